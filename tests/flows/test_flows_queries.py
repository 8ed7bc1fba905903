"""Every flows question against the hand-worked history of conftest.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import flows.columnar
from flows import (
    ColumnarCopy,
    FlowsError,
    NoStoredDaysError,
    UnknownBranchError,
    UnknownStockError,
    as_records,
    branch_flows,
    position,
    rank_branches,
    rank_stocks,
    resolve_window,
    stock_flows,
)
from flows.columnar import ANSWERS
from storage import BrokerTrade, DayFigures, Store
from testbed.reports import site_csv
from tests.flows.conftest import D1, D2, D3, history_reports


def test_a_window_is_the_latest_stored_days_or_a_range(history: Store) -> None:
    assert resolve_window(history).trade_dates == (D3,)
    assert resolve_window(history, days=2).trade_dates == (D2, D3)
    assert resolve_window(history, days=10).trade_dates == (D1, D2, D3)
    assert resolve_window(history, start=D2).trade_dates == (D2, D3)
    assert resolve_window(history, start=date(2026, 11, 1), end=D2).trade_dates == (D1, D2)


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"start": D3, "end": D1}, FlowsError, "after"),
        ({"days": 0}, FlowsError, "1 or more"),
        ({"days": 2, "start": D1}, FlowsError, "not both"),
        ({"start": date(2026, 12, 1)}, NoStoredDaysError, "2026-11-16 to 2026-11-18"),
    ],
)
def test_a_window_that_covers_nothing_is_refused(history: Store, arguments, error, words) -> None:
    with pytest.raises(error, match=words):
        resolve_window(history, **arguments)


def test_an_empty_database_has_no_window(database_url: str) -> None:
    with Store.open(database_url) as store, pytest.raises(NoStoredDaysError, match="bsr fetch"):
        resolve_window(store)


def test_a_stock_over_three_days_branch_by_branch(history: Store) -> None:
    flows = stock_flows(history, "2330", resolve_window(history, days=3))
    rows = {row["broker_id"]: row for row in as_records(flows.branches)}
    assert list(flows.branches["broker_id"]) == ["9B2z", "1030", "9B2Z", "1020"]
    taishin = rows["9B2z"]
    assert (taishin["buy_shares"], taishin["sell_shares"], taishin["net_shares"]) == (7000, 2500, 4500)
    # 3,000 at 100.00 + 1,000 at 101.55 + 2,000 at 102.00 + 1,000 at 99.50; sold 2,000 at 101.55 + 500 at 99.50
    assert (taishin["buy_value"], taishin["sell_value"], taishin["net_value"]) == (705_050.0, 252_850.0, 452_200.0)
    assert taishin["avg_buy_price"] == pytest.approx(705_050 / 7000)
    assert taishin["avg_sell_price"] == pytest.approx(101.14)
    assert taishin["volume_share"] == pytest.approx(9500 / 14000)
    assert taishin["broker_name"] == "台新文心"
    twin = rows["9B2Z"]
    assert (twin["broker_name"], twin["net_shares"], twin["sell_value"]) == ("台新五權", -1000, 100_000.0)
    assert twin["avg_buy_price"] is None and twin["avg_sell_price"] == 100.0
    assert rows["1020"]["avg_sell_price"] == pytest.approx(305_550 / 3000)
    assert flows.volume == 7000
    assert sum(row["volume_share"] for row in rows.values()) == pytest.approx(1.0)
    assert (flows.buying_branches, flows.selling_branches) == (1, 3)
    # Fewer than 15 branches each way: the top 15 are everyone, and what everyone nets is zero.
    assert flows.concentration == 0.0
    assert list(flows.top_buyers(5)["broker_id"]) == ["9B2z"]
    assert list(flows.top_sellers(2)["broker_id"]) == ["1020", "9B2Z"]


def test_a_stocks_daily_net_per_branch_has_every_day(history: Store) -> None:
    flows = stock_flows(history, "2330", resolve_window(history, days=3), top=1)
    assert list(flows.daily_net.columns) == ["9B2z", "1020"]
    assert flows.daily_net["9B2z"].tolist() == [2000, 2000, 500]
    assert flows.daily_net["1020"].tolist() == [-1000, -2000, 0]
    assert list(flows.daily_net.index) == [D1, D2, D3]


def test_a_stocks_days_have_their_concentration_and_close_with_gaps(history: Store) -> None:
    days = as_records(stock_flows(history, "2330", resolve_window(history, days=3)).days)
    assert [day["volume"] for day in days] == [4000, 2000, 1000]
    # Each day has fewer than 15 branches a side: every day's concentration is 0.
    assert [day["concentration"] for day in days] == [0.0, 0.0, 0.0]
    assert [day["close_price"] for day in days] == [101.55, None, 99.5]
    quiet = as_records(stock_flows(history, "1101", resolve_window(history, days=3)).days)
    assert [(day["volume"], day["concentration"], day["close_price"]) for day in quiet] == [
        (1000, 0.0, 40.25),
        (0, None, None),
        (2000, 0.0, 41.0),
    ]


def test_the_concentration_counts_the_top_15_each_way(history: Store) -> None:
    flows = stock_flows(history, "2454", resolve_window(history))
    # Top 15 buyers bought 6,000..20,000 = 195,000 net; the top 15 sellers sold 15 x 10,500 = 157,500.
    assert flows.volume == 210_000
    assert flows.concentration == pytest.approx((195_000 - 157_500) / 210_000)
    assert (flows.buying_branches, flows.selling_branches) == (20, 20)
    assert as_records(flows.days)[0]["concentration"] == pytest.approx((195_000 - 157_500) / 210_000)


def test_the_volume_is_the_views_traded_shares_else_the_larger_total(history: Store, tmp_path: Path) -> None:
    # Real reports' buys and sells may differ (2330 by -30 shares on 2026-07-29): every share of volume and
    # concentration divides by one volume, the view's 成交股數 where stored, else the larger total.
    day = date(2026, 11, 19)
    unbalanced = {
        "2330": ([("1020", "100.00", 0, 1060), ("9B2z", "100.00", 3000, 2000)], None),  # 3,000 bought, 3,060 sold
        "2454": ([("1030", "1000.00", 4000, 0), ("9B2z", "1000.00", 0, 3993)], 3993),  # the view says the sells
    }
    for code, (records, traded_shares) in unbalanced.items():
        trades = tuple(
            BrokerTrade(seq, broker_id, f"券商{broker_id}", Decimal(price), bought, sold)
            for seq, (broker_id, price, bought, sold) in enumerate(records, start=1)
        )
        figures = None if traded_shares is None else DayFigures(day, 2, 0, traded_shares, None, None, None, None)
        template = history_reports()[0]
        history.save_report(
            replace(
                template,
                trade_date=day,
                stock_code=code,
                rec_count=1,
                trades=trades,
                raw_csv=site_csv(code, list(trades)),
                figures=figures,
            )
        )
    window = resolve_window(history, start=day, end=day)
    stock = stock_flows(history, "2330", window)
    assert stock.volume == 3060 and as_records(stock.days)[0]["volume"] == 3060
    assert stock.concentration == pytest.approx((1000 - 1060) / 3060)
    assert stock.branches.set_index("broker_id").loc["9B2z", "volume_share"] == pytest.approx(5000 / 6120)
    assert stock_flows(history, "2454", window).concentration == pytest.approx((4000 - 3993) / 3993)
    ranked = rank_stocks(ColumnarCopy(history, tmp_path / "columnar"), window).set_index("stock_code")
    assert (ranked.loc["2330", "volume"], ranked.loc["2454", "volume"]) == (3060, 3993)
    assert ranked.loc["2454", "concentration"] == pytest.approx(7 / 3993)
    branch = branch_flows(history, "9B2z", window).stocks.set_index("stock_code")
    assert branch.loc["2454", "volume_share"] == pytest.approx(3993 / (2 * 3993))


def test_a_stocks_days_follow_a_replaced_report(history: Store) -> None:
    stored = {(report.trade_date, report.stock_code): report for report in history_reports()}
    # 2454 of the 18th fetched again: B001 bought 10,000 shares and S001 sold them, nobody else traded.
    again = stored[(D3, "2454")]
    trades = (replace(again.trades[0], buy_shares=10_000), replace(again.trades[20], seq=2, sell_shares=10_000))
    history.save_report(
        replace(
            again,
            rec_count=2,
            trades=trades,
            raw_csv=site_csv("2454", list(trades)),
            fetched_at=again.fetched_at + timedelta(hours=1),
        )
    )
    # 1101 of the 16th fetched again: 查無資料.
    quiet = stored[(D1, "1101")]
    history.save_report(
        replace(quiet, rec_count=0, trades=(), raw_csv=site_csv("1101", []), no_trades=True, figures=None)
    )
    window = resolve_window(history, days=3)
    flows = stock_flows(history, "2454", window)
    assert [(day["volume"], day["concentration"]) for day in as_records(flows.days)] == [
        (0, None),
        (0, None),
        (10_000, 0.0),
    ]
    assert (flows.buying_branches, flows.selling_branches) == (1, 1)
    quiet_days = as_records(stock_flows(history, "1101", window).days)
    assert [(day["volume"], day["concentration"]) for day in quiet_days] == [
        (0, None),
        (0, None),
        (2000, 0.0),
    ]


def test_a_stock_with_no_trades_in_the_window_is_empty_not_unknown(history: Store) -> None:
    flows = stock_flows(history, "1101", resolve_window(history, start=D2, end=D2))
    assert flows.branches.empty and flows.volume == 0 and math.isnan(flows.concentration)
    assert flows.daily_net.empty


def test_a_stock_never_stored_is_unknown(history: Store) -> None:
    with pytest.raises(UnknownStockError, match="9999"):
        stock_flows(history, "9999", resolve_window(history))


def test_a_branch_over_three_days_stock_by_stock(history: Store) -> None:
    flows = branch_flows(history, "9B2z", resolve_window(history, days=3))
    assert flows.broker_name == "台新文心"
    rows = {row["stock_code"]: row for row in as_records(flows.stocks)}
    assert list(rows) == ["2330", "1101"]
    assert (rows["2330"]["net_shares"], rows["2330"]["net_value"]) == (4500, 452_200.0)
    # 1101: bought 1,000 at 40.25 on the 16th, sold 2,000 at 41.00 on the 18th
    assert (rows["1101"]["buy_value"], rows["1101"]["sell_value"], rows["1101"]["net_value"]) == (
        40_250.0,
        82_000.0,
        -41_750.0,
    )
    assert (rows["1101"]["avg_buy_price"], rows["1101"]["avg_sell_price"]) == (40.25, 41.0)
    # Of 1101's 3,000 shares over the window, 9B2z bought 1,000 and sold 2,000: all of one side.
    assert rows["1101"]["volume_share"] == 0.5
    assert rows["2330"]["volume_share"] == pytest.approx(9500 / 14000)
    assert (rows["2330"]["buy_streak"], rows["1101"]["buy_streak"]) == (3, 0)
    assert as_records(flows.streaks) == [
        {"stock_code": "2330", "days": 3, "first_day": "2026-11-16", "last_day": "2026-11-18", "ongoing": True}
    ]


def test_branch_ids_are_case_sensitive(history: Store) -> None:
    twin = branch_flows(history, "9B2Z", resolve_window(history, days=3))
    assert twin.broker_name == "台新五權"
    assert dict(zip(twin.stocks["stock_code"], twin.stocks["net_shares"], strict=True)) == {
        "1101": 2000,
        "2330": -1000,
    }
    assert twin.streaks.empty
    with pytest.raises(UnknownBranchError, match="case-sensitive"):
        branch_flows(history, "9b2z", resolve_window(history))


def test_a_streak_is_broken_by_a_day_without_a_net_buy(history: Store) -> None:
    # 9B2Z net-bought 1101 on the 18th only; over the 17th-18th 9B2z net-bought 2330 on both.
    window = resolve_window(history, days=2)
    assert as_records(branch_flows(history, "9B2z", window).streaks)[0]["days"] == 2
    assert branch_flows(history, "1030", window).streaks.empty


def test_the_market_ranks_stocks_by_concentration(history: Store, columnar: ColumnarCopy) -> None:
    ranked = rank_stocks(columnar, resolve_window(history, days=3))
    assert list(ranked["stock_code"]) == ["2454", "1101", "2330"]
    assert ranked["concentration"].iloc[0] == pytest.approx(37_500 / 210_000)
    assert ranked.set_index("stock_code").loc["2330", "volume"] == 7000
    one_day = rank_stocks(columnar, resolve_window(history, start=D2, end=D2))
    assert list(one_day["stock_code"]) == ["2330"]


def test_the_market_ranks_branches_by_net_value(history: Store, columnar: ColumnarCopy) -> None:
    ranked = rank_branches(columnar, resolve_window(history, days=3)).set_index("broker_id")
    assert ranked.index[0] == "B020"
    # 2330 net 452,200 + 1101 bought 40,250 and sold 82,000
    assert ranked.loc["9B2z", "net_value"] == 410_450.0
    assert ranked.loc["9B2z", "stocks"] == 2
    assert ranked.loc["B020", "net_value"] == 20_000_000.0
    # The 20 sellers of 2454 tie at 10,500 shares x 1,000.00; ties go by broker id.
    assert ranked.index[-1] == "S020" and ranked.loc["S020", "net_value"] == -10_500_000.0
    assert ranked.loc["1020", "net_value"] == -305_550.0


def test_the_columnar_copy_keeps_each_answer_and_reads_it_back(
    history: Store, columnar: ColumnarCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = resolve_window(history, days=3)
    first = rank_branches(columnar, window)
    (answer,) = (columnar.folder / ANSWERS).glob("*.json")
    # What was kept is what comes back: the same window asks DuckDB nothing.
    kept = json.loads(answer.read_text())
    kept[0][0][2] = 99
    answer.write_text(json.dumps(kept))
    again = rank_branches(columnar, window)
    assert again.loc[again["broker_id"] == kept[0][0][0], "stocks"].item() == 99
    assert len(again) == len(first)
    rank_branches(columnar, resolve_window(history, days=2))
    assert len(list((columnar.folder / ANSWERS).glob("*.json"))) == 2
    # Only the newest answers are kept.
    monkeypatch.setattr(flows.columnar, "KEPT_ANSWERS", 1)
    rank_stocks(columnar, window)
    assert len(list((columnar.folder / ANSWERS).glob("*.json"))) == 1


def test_the_columnar_copy_follows_a_replaced_report_and_a_new_day(history: Store, columnar: ColumnarCopy) -> None:
    window = resolve_window(history, days=3)
    assert rank_branches(columnar, window).set_index("broker_id").loc["9B2z", "net_value"] == 410_450.0
    # 2330 of the 18th fetched again: 9B2z bought 2,500 at 99.50 (not 1,000) and sold nothing (not 500).
    replaced = next(report for report in history_reports() if (report.trade_date, report.stock_code) == (D3, "2330"))
    trades = (
        replace(replaced.trades[0], sell_shares=2500),
        replace(replaced.trades[1], buy_shares=2500, sell_shares=0),
    )
    history.save_report(
        replace(
            replaced,
            trades=trades,
            raw_csv=site_csv("2330", list(trades)),
            fetched_at=replaced.fetched_at + timedelta(hours=1),
            figures=replace(replaced.figures, traded_shares=2500),
        )
    )
    assert rank_branches(columnar, window).set_index("broker_id").loc["9B2z", "net_value"] == 410_450.0 + 199_000.0
    new_day = date(2026, 11, 19)
    history.save_report(replace(replaced, trade_date=new_day, figures=replace(replaced.figures, trade_date=new_day)))
    latest = resolve_window(history, days=1)
    assert rank_stocks(columnar, latest)["stock_code"].tolist() == ["2330"]
    # One file a day: the replaced day's old file is gone.
    assert sorted(path.name.split(".")[0] for path in columnar.folder.glob("*.parquet")) == [
        day.isoformat() for day in (D1, D2, D3, new_day)
    ]


def test_a_position_built_day_by_day_and_its_average_cost(history: Store) -> None:
    days = as_records(position(history, "9B2z", "2330", resolve_window(history, days=3)))
    assert [day["position"] for day in days] == [2000, 4000, 4500]
    assert [day["cost"] for day in days] == [198_450.0, 402_450.0, 452_200.0]
    assert [day["avg_cost"] for day in days] == pytest.approx([99.225, 100.6125, 452_200 / 4500])


def test_a_position_through_a_day_without_trades_and_below_zero(history: Store) -> None:
    days = as_records(position(history, "9B2z", "1101", resolve_window(history, days=3)))
    assert [day["trade_date"] for day in days] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert [day["net_shares"] for day in days] == [1000, 0, -2000]
    assert [day["position"] for day in days] == [1000, 1000, -1000]
    assert days[1]["avg_buy_price"] is None
    assert [day["avg_cost"] for day in days] == [40.25, 40.25, 41.75]
