"""What makes a downloaded report whole, and what only doubts one; each rule names the artefact it rests on.
A report that is not whole is refused (the bot fetches it again). A doubt never refuses, since a day missed is gone:
the bot fetches again a few times, then stores the report flagged with the doubt's reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from storage.errors import InvalidReportError, ReportMismatchError
from storage.records import Report

CENT = Decimal("0.01")
# RecCount = ceil(records / 100) fits both exact live pairs (2330: 15,695 records and RecCount=157 on
# 2026-07-29; about 6,200 and 62 in May 2026; SITE.md, "The report"): an inference from two points.
RECORDS_PER_REC_COUNT = 100


class DoubtKind(StrEnum):
    """A soft sign that a download may not be what the site holds."""

    REC_COUNT = "rec_count"  # the link's RecCount does not fit the records
    TRADED_SHARES = "traded_shares"  # the view's 成交股數 is neither total
    VIEW = "view"  # the report view could not be read, or is of another security


@dataclass(frozen=True)
class Doubt:
    kind: DoubtKind
    reason: str


def check_report(report: Report) -> None:
    """Refuses a report that is not a whole download (ReportMismatchError) or no report of the site at all
    (InvalidReportError). Buys and sells are never compared: 6 of 27 real reports of 2026-07-29 differ."""
    where = f"report {report.stock_code} of {report.trade_date.isoformat()}"
    if report.no_trades:
        if report.trades or report.figures:
            raise InvalidReportError(
                f"{where} is marked no_trades but has {len(report.trades)} trades or figures; "
                "a 查無資料 answer is stored with neither"
            )
        return
    if report.figures is not None and report.figures.trade_date != report.trade_date:
        raise InvalidReportError(
            f"{where}: the report view is of {report.figures.trade_date.isoformat()}; "
            "a report is stored only under its own trade date"
        )
    # The site links a CSV only when there is a report (the captured answer of 2026-09-17 for 0050; 查無資料
    # otherwise), and every real CSV has records: a download without any was cut after its header.
    if not report.trades:
        raise ReportMismatchError(report.trade_date, report.stock_code, "no records")
    # Every real CSV (../shared/data/live-csv-2026-07, the September 2026 capture of 2330) numbers its records
    # 1..N without a gap or a repeat.
    if len({trade.seq for trade in report.trades}) != len(report.trades):
        raise InvalidReportError(f"{where} repeats sequence numbers; parse the CSV again")
    numbers = sorted(trade.seq for trade in report.trades)
    if numbers[0] != 1 or numbers[-1] != len(numbers):
        raise ReportMismatchError(
            report.trade_date,
            report.stock_code,
            f"records numbered {numbers[0]}..{numbers[-1]} are not 1..{len(numbers)} without a gap",
        )
    # Every price of the real CSVs has two decimals, and no share count is negative.
    for trade in report.trades:
        if not trade.price.is_finite() or trade.price != trade.price.quantize(CENT) or trade.price < 0:
            raise InvalidReportError(f"{where}: record {trade.seq} has price {trade.price}, not a price in cents")
        if trade.buy_shares < 0 or trade.sell_shares < 0:
            raise InvalidReportError(f"{where}: record {trade.seq} has negative shares")


def expected_rec_count(records: int) -> int:
    """The RecCount a link to `records` records would carry, if RecCount counts pages of 100 records."""
    return -(-records // RECORDS_PER_REC_COUNT)


def report_doubts(report: Report) -> list[Doubt]:
    """The soft signs against a whole downloaded report and its view's figures; none for a 查無資料 answer."""
    if report.no_trades:
        return []
    doubts = []
    records, expected = len(report.trades), expected_rec_count(len(report.trades))
    if report.rec_count != expected:
        doubts.append(
            Doubt(
                DoubtKind.REC_COUNT,
                f"the link's RecCount {report.rec_count} does not fit {records:,} records "
                f"(ceil(records / 100) = {expected}): the download may be cut at a line end",
            )
        )
    # No capture shows which total the view's 成交股數 counts, if either (SITE.md, "The report").
    figures = report.figures
    if figures is not None and figures.traded_shares not in (report.total_buy_shares, report.total_sell_shares):
        doubts.append(
            Doubt(
                DoubtKind.TRADED_SHARES,
                f"the view's 成交股數 {figures.traded_shares:,} is neither the buys {report.total_buy_shares:,} "
                f"nor the sells {report.total_sell_shares:,}",
            )
        )
    return doubts
