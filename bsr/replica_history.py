"""Trading days of the replica's generated market, stored straight into the database (not fetched by the
bot): the history `bsr demo` leaves for the flows pages, and the market benchmarks/flows.py measures on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from replica.market import Market
from replica.market import Report as GeneratedReport
from replica.report_csv import report_csv_bytes
from storage import BrokerTrade, DayFigures, Report, Store

# The site publishes a day's reports around 16:00-16:30 Taipei time (08:00 UTC); the history says so.
PUBLISHED_UTC = time(8, 30)
CENT = Decimal("0.01")


def trading_days_before(day: date, count: int) -> list[date]:
    """The `count` weekdays before `day`, oldest first (the replica trades every weekday)."""
    days: list[date] = []
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return list(reversed(days))


def replica_reports(market: Market, trade_date: date) -> Iterator[Report]:
    """Every security listed on `trade_date`, its report as the bot would store it (查無資料 ones included)."""
    fetched_at = datetime.combine(trade_date, PUBLISHED_UTC, UTC)
    for security in market.listed(trade_date):
        generated = market.report(trade_date, security.code)
        if generated is None:
            yield Report(trade_date, security.code, 0, (), b"", fetched_at, no_trades=True)
            continue
        trades = replica_trades(generated)
        figures = DayFigures(
            trade_date=trade_date,
            trade_count=generated.trade_count,
            turnover=generated.turnover,
            traded_shares=generated.traded_shares,
            open_price=Decimal(generated.open_cents) * CENT,
            high_price=Decimal(generated.high_cents) * CENT,
            low_price=Decimal(generated.low_cents) * CENT,
            close_price=Decimal(generated.last_cents) * CENT,
        )
        raw_csv = report_csv_bytes(generated, "utf-8-sig")
        yield Report(trade_date, security.code, len(trades), trades, raw_csv, fetched_at, figures=figures)


def replica_trades(generated: GeneratedReport) -> tuple[BrokerTrade, ...]:
    """A report of the replica's market as the records the bot stores of it."""
    return tuple(
        BrokerTrade(
            seq,
            record.broker.broker_id,
            record.broker.name,
            Decimal(record.price_cents) * CENT,
            record.buy,
            record.sell,
        )
        for seq, record in enumerate(generated.records, start=1)
    )


def load_replica_day(store: Store, market: Market, trade_date: date) -> int:
    """Stores every report of one day of the replica's market in one transaction; returns the trades stored."""
    reports = list(replica_reports(market, trade_date))
    store.load_reports(reports)
    return sum(report.rec_count for report in reports)
