"""Saving reports: exact round trips, idempotent saves, whole replacement and refusal of incomplete ones."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storage import (
    BrokerTrade,
    DayFigures,
    InvalidReportError,
    Report,
    ReportMismatchError,
    SaveResult,
    Store,
    UnknownRecordError,
)
from testbed.reports import synthetic_report

TRADE_DATE = date(2026, 11, 20)


def small_report(stock_code: str = "2330", records: int = 40, seed: int = 1, **changes: object) -> Report:
    report = synthetic_report(stock_code=stock_code, trade_date=TRADE_DATE, records=records, seed=seed)
    return replace(report, **changes) if changes else report


def test_report_round_trips_exactly(store: Store) -> None:
    report = small_report()
    assert store.save_report(report) is SaveResult.INSERTED
    loaded = store.load_report(TRADE_DATE, "2330")
    assert loaded == report
    assert store.report_trades(TRADE_DATE, "2330") == report.trades
    prices = {trade.price for trade in loaded.trades}
    assert all(isinstance(price, Decimal) and price.as_tuple().exponent == -2 for price in prices)


def test_broker_ids_differing_in_case_stay_apart(store: Store) -> None:
    store.save_report(small_report())
    ids = [trade.broker_id for trade in store.report_trades(TRADE_DATE, "2330")]
    assert "9B2z" in ids and "9B2Z" in ids


def test_summary_carries_totals(store: Store) -> None:
    report = small_report()
    store.save_report(report)
    [summary] = store.report_summaries(TRADE_DATE)
    assert summary.rec_count == 40
    assert (summary.total_buy_shares, summary.total_sell_shares) == (report.total_buy_shares, report.total_sell_shares)
    assert summary.total_value == sum(trade.price * trade.buy_shares for trade in report.trades)
    assert summary.fetched_at == report.fetched_at
    assert not summary.no_trades


def test_same_report_again_is_a_no_op(store: Store) -> None:
    report = small_report()
    store.save_report(report)
    refetched = replace(report, fetched_at=datetime(2026, 11, 20, 10, tzinfo=UTC))
    assert store.save_report(refetched) is SaveResult.UNCHANGED
    assert store.load_report(TRADE_DATE, "2330") == report


def test_different_report_replaces_the_stored_one_whole(store: Store) -> None:
    store.save_report(small_report(records=60, seed=1))
    newer = small_report(records=30, seed=2)
    assert store.save_report(newer) is SaveResult.REPLACED
    assert store.load_report(TRADE_DATE, "2330") == newer
    assert len(store.report_summaries(TRADE_DATE)) == 1


def test_a_gap_in_the_record_numbers_is_refused_and_the_stored_report_kept(store: Store) -> None:
    stored = small_report()
    store.save_report(stored)
    holed = small_report(seed=3)
    holed = replace(holed, trades=holed.trades[:10] + holed.trades[11:])
    with pytest.raises(ReportMismatchError) as refused:
        store.save_report(holed)
    message = str(refused.value)
    assert "numbered 1..40 are not 1..39 without a gap" in message
    assert "incomplete" in message and "retried" in message
    assert store.load_report(TRADE_DATE, "2330") == stored


def test_rec_count_is_kept_as_the_site_gave_it_whatever_the_number_of_records(store: Store) -> None:
    # On the live site RecCount is not the record count (2330 came with RecCount=62 for ~6,000 records).
    report = replace(small_report(), rec_count=62)
    assert store.save_report(report) is SaveResult.INSERTED
    assert store.load_report(TRADE_DATE, "2330").rec_count == 62


def test_figures_of_another_date_are_never_stored_under_this_one(store: Store) -> None:
    report = small_report()
    figures = DayFigures(
        date(2026, 11, 23), 10, 1_000_000, report.total_buy_shares, None, None, None, Decimal("1040.00")
    )
    with pytest.raises(InvalidReportError, match="only under its own trade date"):
        store.save_report(replace(report, figures=figures))
    assert store.stored_codes(TRADE_DATE) == set()


def test_figures_and_flags_come_back(store: Store) -> None:
    report = small_report()
    figures = DayFigures(
        TRADE_DATE,
        12,
        3_456_789,
        report.total_buy_shares + 1000,
        Decimal("1035.00"),
        Decimal("1050.00"),
        Decimal("1030.00"),
        Decimal("1045.00"),
    )
    flags = ("the view's 成交股數 is neither total", "the link's RecCount does not fit")
    store.save_report(replace(report, figures=figures, flags=flags))
    stored = store.load_report(TRADE_DATE, "2330")
    assert stored is not None and (stored.figures, stored.flags) == (figures, flags)
    (summary,) = store.report_summaries(TRADE_DATE)
    assert (summary.figures, summary.flags) == (figures, flags)


def test_buys_differing_from_sells_are_stored_with_both_totals(store: Store) -> None:
    # 6 of 27 real reports of 2026-07-29 differ so (2330 by -30 shares: ../shared/data/live-csv-2026-07).
    report = small_report()
    last = report.trades[-1]
    skewed = replace(report, trades=(*report.trades[:-1], replace(last, buy_shares=last.buy_shares + 7)))
    assert store.save_report(skewed) is SaveResult.INSERTED
    (summary,) = store.report_summaries(TRADE_DATE)
    assert summary.total_buy_shares == summary.total_sell_shares + 7 == report.total_sell_shares + 7
    assert summary.flags == ()


def test_no_trades_answer_is_stored_so_resume_skips_it(store: Store) -> None:
    empty = Report(TRADE_DATE, "9999", 0, (), b"", datetime(2026, 11, 20, 9, tzinfo=UTC), no_trades=True)
    assert store.save_report(empty) is SaveResult.INSERTED
    assert store.save_report(empty) is SaveResult.UNCHANGED
    assert store.stored_codes(TRADE_DATE) == {"9999"}
    assert store.report_trades(TRADE_DATE, "9999") == ()
    assert store.report_summaries(TRADE_DATE)[0].no_trades


@pytest.mark.parametrize(
    "broken",
    [
        lambda r: replace(r, no_trades=True),
        lambda r: replace(r, trades=(r.trades[0], replace(r.trades[1], seq=r.trades[0].seq), *r.trades[2:])),
        lambda r: replace(r, trades=(replace(r.trades[0], price=Decimal("1040.005")), *r.trades[1:])),
    ],
    ids=["no-trades-with-trades", "repeated-seq", "price-below-cents"],
)
def test_malformed_report_is_refused(store: Store, broken) -> None:
    with pytest.raises(InvalidReportError):
        store.save_report(broken(small_report()))
    assert store.stored_codes(TRADE_DATE) == set()


def test_stored_codes_are_per_trade_date(store: Store) -> None:
    store.save_report(small_report("2330"))
    store.save_report(small_report("2317"))
    store.save_report(replace(small_report("1101"), trade_date=date(2026, 11, 19)))
    assert store.stored_codes(TRADE_DATE) == {"2330", "2317"}
    assert store.stored_codes(date(2026, 11, 19)) == {"1101"}
    assert store.trade_dates() == [TRADE_DATE, date(2026, 11, 19)]


def test_naive_fetch_time_is_taken_as_utc(store: Store) -> None:
    store.save_report(small_report(fetched_at=datetime(2026, 11, 20, 9, 30)))
    assert store.report_summaries(TRADE_DATE)[0].fetched_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_raw_csv_is_kept_compressed_and_returned_whole(store: Store) -> None:
    report = small_report(records=400)
    store.save_report(report)
    loaded = store.load_report(TRADE_DATE, "2330")
    assert loaded is not None and loaded.raw_csv == report.raw_csv
    assert len(zlib.compress(report.raw_csv)) < len(report.raw_csv) / 2


def test_trades_of_a_missing_report_say_so(store: Store) -> None:
    with pytest.raises(UnknownRecordError, match="no report of 2330 for 2026-11-20"):
        store.report_trades(TRADE_DATE, "2330")
    assert store.load_report(TRADE_DATE, "2330") is None


def test_large_share_counts_fit(store: Store) -> None:
    big = 9_000_000_000
    trades = (
        BrokerTrade(1, "1020", "合庫", Decimal("99999999.99"), big, 0),
        BrokerTrade(2, "1030", "土銀", Decimal("0.01"), 0, big),
    )
    report = Report(TRADE_DATE, "0050", 2, trades, b"csv", datetime(2026, 11, 20, 9, tzinfo=UTC))
    store.save_report(report)
    assert store.report_trades(TRADE_DATE, "0050") == trades


def test_reports_loaded_in_bulk_are_stored_as_saved_ones(store: Store) -> None:
    reports = [small_report("2330"), small_report("2317", seed=2), small_report("9999", records=2, seed=3)]
    no_trades = Report(TRADE_DATE, "1101", 0, (), b"", reports[0].fetched_at, no_trades=True)
    assert store.load_reports([*reports, no_trades]) == 4
    for report in [*reports, no_trades]:
        assert store.load_report(TRADE_DATE, report.stock_code) == report
    # Identical to what save_report stores: saving the same again changes nothing.
    assert store.save_report(reports[1]) is SaveResult.UNCHANGED


def test_a_bulk_load_refuses_an_incomplete_report_and_stores_none(store: Store) -> None:
    whole = small_report("2317")
    bad = replace(whole, trades=whole.trades[:5] + whole.trades[6:])  # record 6 is missing
    with pytest.raises(ReportMismatchError):
        store.load_reports([small_report("2330"), bad])
    assert store.trade_dates() == []
