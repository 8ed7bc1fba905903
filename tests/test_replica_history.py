"""The replica's generated history that `bsr demo` stores: each report as the bot would have parsed it."""

from __future__ import annotations

from datetime import date
from itertools import islice

from bot.report_csv import parse_report
from bsr.replica_history import replica_reports, trading_days_before
from replica.market import Market


def test_trading_days_before_skip_weekends() -> None:
    assert trading_days_before(date(2026, 11, 23), 4) == [
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 19),
        date(2026, 11, 20),
    ]


def test_generated_reports_are_what_the_bot_parses_from_the_replicas_csv() -> None:
    day = date(2026, 11, 19)
    for report in islice(replica_reports(Market(1), day), 40):
        if report.no_trades:
            assert report.trades == () and report.figures is None
            continue
        parsed = parse_report(report.raw_csv, report.stock_code, day, report.rec_count, report.fetched_at)
        assert parsed.trades == report.trades
        assert report.figures is not None
        assert report.figures.traded_shares in (report.total_buy_shares, report.total_sell_shares)
        assert report.figures.low_price <= report.figures.close_price <= report.figures.high_price
