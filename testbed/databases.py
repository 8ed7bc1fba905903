"""Databases for tests and benchmarks: a scratch PostgreSQL schema, and what a database holds of a day's
reports, read with plain SQL so that the check shares no code with the Store it checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import create_engine, inspect, text

from storage.engine import parse_url

_REPORTS = text(
    "SELECT r.stock_code, r.no_trades, r.traded_shares, r.total_buy_shares, r.total_sell_shares, "
    "CAST(r.flags AS TEXT) <> '[]' AS flagged, COUNT(t.seq) AS records, "
    "COALESCE(MIN(t.seq), 0) AS first_seq, COALESCE(MAX(t.seq), 0) AS last_seq, "
    "COALESCE(SUM(t.buy_shares), 0) AS bought, COALESCE(SUM(t.sell_shares), 0) AS sold "
    "FROM reports r LEFT JOIN broker_trades t ON t.report_id = r.id WHERE r.trade_date = :trade_date "
    "GROUP BY r.id, r.stock_code, r.no_trades, r.traded_shares, r.total_buy_shares, r.total_sell_shares, "
    "CAST(r.flags AS TEXT)"
)
_DUPLICATES = text(
    "SELECT stock_code FROM reports WHERE trade_date = :trade_date GROUP BY stock_code HAVING COUNT(*) > 1"
)


@dataclass(frozen=True)
class StoredReport:
    """What the database holds of one report, read with plain SQL."""

    records: int
    bought: int
    sold: int
    traded_shares: int | None


def stored_reports(database_url: str, trade_date: date) -> tuple[dict[str, StoredReport], list[str]]:
    """The reports stored for `trade_date` by code, and every way the database breaks "whole reports, once each":
    records numbered 1..N without a gap, both totals kept as the records sum them (a real report's buys and sells
    may differ), and the report view's 成交股數 equal to one of them unless the report was stored flagged.

    Reads the tables with plain SQL, not through the Store, so that the check does not share the code it checks."""
    engine = create_engine(parse_url(database_url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("reports"):  # killed before its first start had made it
                return {}, []
            rows = connection.execute(_REPORTS, {"trade_date": trade_date}).all()
            duplicates = connection.execute(_DUPLICATES, {"trade_date": trade_date}).scalars().all()
    finally:
        engine.dispose()
    problems = [f"{code} is stored more than once" for code in duplicates]
    for row in rows:
        if row.no_trades and row.records:
            problems.append(f"{row.stock_code} is marked no-trades but has {row.records} records")
        elif not row.no_trades and not (row.records and row.first_seq == 1 and row.last_seq == row.records):
            problems.append(f"{row.stock_code} has {row.records} records numbered {row.first_seq}..{row.last_seq}")
        elif (row.total_buy_shares, row.total_sell_shares) != (row.bought, row.sold):
            problems.append(
                f"{row.stock_code} keeps totals {row.total_buy_shares}/{row.total_sell_shares} "
                f"for records of {row.bought}/{row.sold}"
            )
        elif row.traded_shares is not None and not row.flagged and row.traded_shares not in (row.bought, row.sold):
            problems.append(
                f"{row.stock_code} is not flagged, yet 成交股數 {row.traded_shares} is neither {row.bought} nor {row.sold}"
            )
    reports = {row.stock_code: StoredReport(row.records, row.bought, row.sold, row.traded_shares) for row in rows}
    return reports, problems


@contextmanager
def scratch_postgresql_schema(url: str) -> Iterator[str]:
    """A URL of a new, empty schema in the PostgreSQL database at `url`; the schema is dropped afterwards."""
    base = parse_url(url)
    schema = f"bsr_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()
