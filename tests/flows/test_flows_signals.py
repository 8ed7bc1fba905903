"""The watchlist's rules as flows answers them over the hand-checked history (tests/flows/conftest.py), on
SQLite and PostgreSQL: net buying over 1 or N days, a concentration streak, a branch among a stock's top 15,
and a branch buying one day and selling the next (隔日沖)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from flows import (
    NoStoredDaysError,
    SignalKind,
    UnknownBranchError,
    among_top,
    concentration_streak,
    day_trade_flips,
    net_buying,
    window_to,
)
from storage import BrokerTrade, Report, Store
from testbed.reports import site_csv
from tests.flows.conftest import D1, D2, D3

D4 = date(2026, 11, 19)


def store_day(store: Store, day: date, code: str, records: list[tuple[str, str, int, int]]) -> None:
    trades = tuple(
        BrokerTrade(seq, broker_id, f"券商{broker_id}", Decimal(price), bought, sold)
        for seq, (broker_id, price, bought, sold) in enumerate(records, start=1)
    )
    store.save_report(
        Report(
            day,
            code,
            len(trades),
            trades,
            site_csv(code, list(trades)),
            datetime(2026, 11, 19, 9, tzinfo=UTC),
        )
    )


def test_a_window_ends_on_a_stored_day(history: Store) -> None:
    assert window_to(history, D3, 2).trade_dates == (D2, D3)
    assert window_to(history, D2, 5).trade_dates == (D1, D2)
    with pytest.raises(NoStoredDaysError, match="2026-11-19"):
        window_to(history, D4, 1)


def test_net_buying_over_one_day_or_several(history: Store) -> None:
    # 9B2z net-bought 2330: 2,000 shares on the 16th, 2,000 on the 17th and 500 on the 18th.
    assert net_buying(history, "9B2z", window_to(history, D3, 1), lots=1) == []
    (signal,) = net_buying(history, "9B2z", window_to(history, D3, 3), lots=4)
    assert (signal.kind, signal.stock_code, signal.broker_id) == (SignalKind.NET_BUY, "2330", "9B2z")
    assert "4.500 張 of 2330 over the 3 trading days to 2026-11-18" in signal.text
    assert net_buying(history, "9B2z", window_to(history, D3, 3), lots=5) == []
    # A watched stock narrows the rule; 9B2Z net-bought 2,000 shares of 1101 on the 18th.
    assert [s.stock_code for s in net_buying(history, "9B2Z", window_to(history, D3, 1), 2)] == ["1101"]
    assert net_buying(history, "9B2Z", window_to(history, D3, 1), 2, stock_codes=("2330",)) == []
    with pytest.raises(UnknownBranchError):
        net_buying(history, "XXXX", window_to(history, D3, 1), 1)


def test_a_concentration_above_a_threshold_day_after_day(history: Store) -> None:
    # 2454 traded on the 18th only, at a concentration of (195,000 − 157,500) / 210,000, about 17.9%.
    signal = concentration_streak(history, "2454", window_to(history, D3, 1), percent=15)
    assert signal is not None and signal.kind is SignalKind.CONCENTRATION and "17.9%" in signal.text
    assert concentration_streak(history, "2454", window_to(history, D3, 1), percent=18) is None
    # A day without trades breaks the streak.
    assert concentration_streak(history, "2454", window_to(history, D3, 2), percent=15) is None


def test_a_watched_branch_among_the_top_15_buyers_or_sellers(history: Store) -> None:
    # Buyers B020 (first) .. B006 are the top 15; the sellers sold alike, S020 .. S006 lead them.
    signals = among_top(history, "2454", ("B020", "B005", "S020", "S001"), window_to(history, D3, 1))
    assert [(s.broker_id, s.kind) for s in signals] == [
        ("B020", SignalKind.TOP_BRANCH),
        ("S020", SignalKind.TOP_BRANCH),
    ]
    assert "net buyer no. 1 of the top 15" in signals[0].text
    assert "net seller no. 1" in signals[1].text


def test_a_branch_buying_one_day_and_selling_the_next(history: Store) -> None:
    # 9B2Z net-bought 2,000 shares of 1101 on the 18th; on the 19th it sells them.
    store_day(history, D4, "1101", [("1030", "41.50", 2000, 0), ("9B2Z", "41.50", 0, 2000)])
    (flip,) = day_trade_flips(history, "9B2Z", window_to(history, D4, 2), lots=2)
    assert (flip.kind, flip.stock_code) == (SignalKind.DAY_TRADE_FLIP, "1101")
    assert "net-bought 2 張 of 1101 on 2026-11-18 and net-sold 2 張 on 2026-11-19" in flip.text
    assert day_trade_flips(history, "9B2Z", window_to(history, D4, 2), lots=3) == []
    assert day_trade_flips(history, "9B2Z", window_to(history, D4, 2), lots=1, stock_codes=("2330",)) == []
    # 9B2z bought 2330 on the 17th and bought more on the 18th: no flip.
    assert day_trade_flips(history, "9B2z", window_to(history, D3, 2), lots=1) == []
