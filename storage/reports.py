"""The Store's reports: saving them whole (and in bulk), their trades, and the days stored.
Each report is written with its broker trades, their per-branch sums (branch_days) and its stock's figures of the
day (stock_days) in one transaction."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.base import StoreBase
from storage.errors import StoredReportDiffersError, UnknownRecordError
from storage.models import (
    BRANCH_DAYS,
    REPORTS,
    STOCK_DAYS,
    BranchDayRow,
    BrokerTradeRow,
    ReportRow,
    StockDayRow,
)
from storage.records import (
    BrokerTrade,
    DayFigures,
    Report,
    ReportSource,
    ReportSummary,
    SaveResult,
)
from storage.report_checks import CENT, check_report
from storage.stock_days import fill_stock_days

RAW_CSV_COMPRESSION_LEVEL = 6
_TRADE_COLUMNS = (
    BrokerTradeRow.seq,
    BrokerTradeRow.broker_id,
    BrokerTradeRow.broker_name,
    BrokerTradeRow.price,
    BrokerTradeRow.buy_shares,
    BrokerTradeRow.sell_shares,
)


class Reports(StoreBase):
    """The Store's reports (see storage.store.Store)."""

    def save_report(self, report: Report) -> SaveResult:
        """Stores a complete report in one transaction: new, replacing a different one whole, or a no-op.

        Raises ReportMismatchError (leaving any stored report as it was) for an incomplete download."""
        check_report(report)
        content_sha256 = _content_sha256(report)
        try:
            return self._save_report(report, content_sha256)
        except IntegrityError:
            # Another writer inserted the same (trade_date, stock_code) between our look and our insert
            # (PostgreSQL; SQLite writers queue at BEGIN); looking again finds theirs.
            return self._save_report(report, content_sha256)

    def _save_report(self, report: Report, content_sha256: str) -> SaveResult:
        with self._writing() as session:
            row = _stored_row_for_update(session, report)
            if row is not None and row.content_sha256 == content_sha256:
                return SaveResult.UNCHANGED
            return _write_report(session, row, report, content_sha256)

    def import_report(self, report: Report, replace: bool = False) -> SaveResult:
        """Stores a report read from a saved file in one transaction, whole or not at all.

        A stored report of its day and code with the same trades is left as it is, whatever its source or
        figures (UNCHANGED): the file holds what is stored. One whose trades differ raises
        StoredReportDiffersError, leaving it as it was, unless `replace` (REPLACED). Raises what save_report
        raises for a report that is not whole."""
        check_report(report)
        content_sha256 = _content_sha256(report)
        try:
            return self._import_report(report, content_sha256, replace)
        except IntegrityError:  # another writer stored the day and code meanwhile (see save_report)
            return self._import_report(report, content_sha256, replace)

    def _import_report(self, report: Report, content_sha256: str, replace: bool) -> SaveResult:
        with self._writing() as session:
            row = _stored_row_for_update(session, report)
            if row is not None:
                if row.content_sha256 == content_sha256:
                    return SaveResult.UNCHANGED
                stored = () if row.no_trades else self._trades(session, row.id)
                if stored == tuple(sorted(report.trades, key=lambda trade: trade.seq)):
                    return SaveResult.UNCHANGED
                if not replace:
                    raise StoredReportDiffersError(
                        report.trade_date,
                        report.stock_code,
                        ReportSource(row.source).value,
                        len(stored),
                        len(report.trades),
                    )
            return _write_report(session, row, report, content_sha256)

    def load_reports(self, reports: Iterable[Report]) -> int:
        """Stores many new reports in one transaction, in bulk: history loaded from elsewhere (the demo's
        days, a benchmark's market). Each is checked as save_report checks it; one already stored for its
        day fails the whole load (IntegrityError), since loading is not updating. Returns how many."""
        checked = list(reports)
        for report in checked:
            check_report(report)
        with self._writing() as session:
            rows = []
            for report in checked:
                row = ReportRow(trade_date=report.trade_date, stock_code=report.stock_code)
                _fill_report_row(row, report, _content_sha256(report))
                rows.append(row)
            session.add_all(rows)
            session.flush()
            _insert_trades(session, [(row.id, report.trades) for row, report in zip(rows, checked, strict=True)])
            _insert_branch_days(session, checked)
            _insert_stock_days(session, checked)
        return len(checked)

    def stored_codes(self, trade_date: date) -> set[str]:
        """Codes whose report of `trade_date` is stored (no-trades answers included): what a resume skips."""
        with self._reading() as session:
            return set(session.scalars(select(ReportRow.stock_code).where(ReportRow.trade_date == trade_date)))

    def trade_dates(self) -> list[date]:
        """Days with at least one stored report, newest first."""
        with self._reading() as session:
            return list(session.scalars(select(ReportRow.trade_date).distinct().order_by(ReportRow.trade_date.desc())))

    def report_summaries(self, trade_date: date) -> list[ReportSummary]:
        """The reports stored for a day, without their trades, by stock code."""
        with self._reading() as session:
            rows = session.scalars(
                select(ReportRow).where(ReportRow.trade_date == trade_date).order_by(ReportRow.stock_code)
            )
            return [
                ReportSummary(
                    trade_date=row.trade_date,
                    stock_code=row.stock_code,
                    rec_count=row.rec_count,
                    total_buy_shares=row.total_buy_shares,
                    total_sell_shares=row.total_sell_shares,
                    total_value=row.total_value,
                    no_trades=row.no_trades,
                    fetched_at=row.fetched_at,
                    figures=_figures(row),
                    flags=tuple(row.flags),
                    source=ReportSource(row.source),
                )
                for row in rows
            ]

    def load_report(self, trade_date: date, stock_code: str) -> Report | None:
        """The stored report whole, raw CSV included (decompressed), or None."""
        with self._reading() as session:
            row = self._report_row(session, trade_date, stock_code)
            if row is None:
                return None
            return Report(
                trade_date=row.trade_date,
                stock_code=row.stock_code,
                rec_count=row.rec_count,
                trades=self._trades(session, row.id),
                raw_csv=zlib.decompress(row.raw_csv_zlib),
                fetched_at=row.fetched_at,
                no_trades=row.no_trades,
                figures=_figures(row),
                flags=tuple(row.flags),
                source=ReportSource(row.source),
            )

    def report_trades(self, trade_date: date, stock_code: str) -> tuple[BrokerTrade, ...]:
        """The broker trades of one stored report, by sequence number."""
        with self._reading() as session:
            row = self._report_row(session, trade_date, stock_code)
            if row is None:
                raise UnknownRecordError(
                    f"no report of {stock_code} for {trade_date.isoformat()} is stored; download it first"
                )
            return self._trades(session, row.id)

    def day_trades(self, trade_date: date, batch_size: int = 5000) -> Iterator[tuple[str, BrokerTrade]]:
        """Every broker trade of a day as (stock_code, trade), by stock code and sequence, streamed.

        The read transaction stays open until the iterator is exhausted or closed."""
        with self._reading() as session:
            result = session.execute(
                select(ReportRow.stock_code, *_TRADE_COLUMNS)
                .join(BrokerTradeRow, BrokerTradeRow.report_id == ReportRow.id)
                .where(ReportRow.trade_date == trade_date)
                .order_by(ReportRow.stock_code, BrokerTradeRow.seq)
                .execution_options(yield_per=batch_size)
            )
            for row in result:
                yield row.stock_code, _broker_trade(row)

    @staticmethod
    def _report_row(session: Session, trade_date: date, stock_code: str) -> ReportRow | None:
        return session.scalars(
            select(ReportRow).where(ReportRow.trade_date == trade_date, ReportRow.stock_code == stock_code)
        ).one_or_none()

    @staticmethod
    def _trades(session: Session, report_id: int) -> tuple[BrokerTrade, ...]:
        rows = session.execute(
            select(*_TRADE_COLUMNS).where(BrokerTradeRow.report_id == report_id).order_by(BrokerTradeRow.seq)
        )
        return tuple(_broker_trade(row) for row in rows)


def _stored_row_for_update(session: Session, report: Report) -> ReportRow | None:
    return session.scalars(
        select(ReportRow)
        .where(ReportRow.trade_date == report.trade_date, ReportRow.stock_code == report.stock_code)
        .with_for_update()
    ).one_or_none()


def _write_report(session: Session, row: ReportRow | None, report: Report, content_sha256: str) -> SaveResult:
    """Inserts the report, or replaces the stored `row` whole: its trades, branch days and stock day."""
    if row is None:
        row = ReportRow(trade_date=report.trade_date, stock_code=report.stock_code)
        session.add(row)
        result = SaveResult.INSERTED
    else:
        session.execute(delete(BrokerTradeRow).where(BrokerTradeRow.report_id == row.id))
        for derived in (BranchDayRow, StockDayRow):
            session.execute(
                delete(derived).where(derived.stock_code == report.stock_code, derived.trade_date == report.trade_date)
            )
        result = SaveResult.REPLACED
    _fill_report_row(row, report, content_sha256)
    session.flush()
    _insert_trades(session, [(row.id, report.trades)])
    _insert_branch_days(session, [report])
    _insert_stock_days(session, [report])
    return result


def _fill_report_row(row: ReportRow, report: Report, content_sha256: str) -> None:
    row.rec_count = report.rec_count
    row.total_buy_shares = report.total_buy_shares
    row.total_sell_shares = report.total_sell_shares
    row.total_value = report.total_value
    row.no_trades = report.no_trades
    row.fetched_at = report.fetched_at
    row.content_sha256 = content_sha256
    row.raw_csv_zlib = zlib.compress(report.raw_csv, RAW_CSV_COMPRESSION_LEVEL)
    _set_figures(row, report.figures)
    row.flags = list(report.flags)
    row.source = report.source


def _insert_trades(session: Session, report_trades: list[tuple[int, tuple[BrokerTrade, ...]]]) -> None:
    """The trades of stored report rows, (report id, trades) each, in one bulk statement."""
    if not any(trades for _, trades in report_trades):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY stores a report's trades faster than batched INSERTs (benchmarks.storage; docs/benchmarks.md).
        statement = (
            "COPY broker_trades (report_id, seq, broker_id, broker_name, price, buy_shares, sell_shares) FROM STDIN"
        )
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for report_id, trades in report_trades:
                    for t in trades:
                        copy.write_row(
                            (
                                report_id,
                                t.seq,
                                t.broker_id,
                                t.broker_name,
                                t.price,
                                t.buy_shares,
                                t.sell_shares,
                            )
                        )
        return
    # The driver's own executemany: SQLAlchemy's per-row parameter work would double a day's load. The price
    # goes as text, which the column's NUMERIC affinity stores exactly as it stores SQLAlchemy's binding.
    connection.exec_driver_sql(
        "INSERT INTO broker_trades (report_id, seq, broker_id, broker_name, price, buy_shares, sell_shares) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (report_id, t.seq, t.broker_id, t.broker_name, str(t.price), t.buy_shares, t.sell_shares)
            for report_id, trades in report_trades
            for t in trades
        ],
    )


def _insert_branch_days(session: Session, reports: list[Report]) -> None:
    """Each report's records summed per branch (see BranchDayRow)."""
    rows = [
        {"stock_code": report.stock_code, "trade_date": report.trade_date, **asdict(branch)}
        for report in reports
        for branch in report.branch_days()
    ]
    if rows:
        session.connection().execute(insert(BRANCH_DAYS), rows)


def _insert_stock_days(session: Session, reports: list[Report]) -> None:
    """The figures of each report's stock and day (see StockDayRow), from the branch days just written."""
    codes_by_day: dict[date, list[str]] = {}
    for report in reports:
        if report.trades:
            codes_by_day.setdefault(report.trade_date, []).append(report.stock_code)
    for day, codes in codes_by_day.items():
        session.execute(
            fill_stock_days(
                STOCK_DAYS,
                BRANCH_DAYS,
                BRANCH_DAYS.c.trade_date == day,
                BRANCH_DAYS.c.stock_code.in_(codes),
                reports=REPORTS,
            )
        )


def _broker_trade(row: Row[*tuple[Any, ...]]) -> BrokerTrade:
    return BrokerTrade(row.seq, row.broker_id, row.broker_name, row.price, row.buy_shares, row.sell_shares)


def _set_figures(row: ReportRow, figures: DayFigures | None) -> None:
    row.trade_count = figures.trade_count if figures else None
    row.turnover = figures.turnover if figures else None
    row.traded_shares = figures.traded_shares if figures else None
    row.open_price = figures.open_price if figures else None
    row.high_price = figures.high_price if figures else None
    row.low_price = figures.low_price if figures else None
    row.close_price = figures.close_price if figures else None


def _figures(row: ReportRow) -> DayFigures | None:
    if row.traded_shares is None:
        return None
    return DayFigures(
        trade_date=row.trade_date,
        trade_count=row.trade_count or 0,
        turnover=row.turnover or 0,
        traded_shares=row.traded_shares,
        open_price=row.open_price,
        high_price=row.high_price,
        low_price=row.low_price,
        close_price=row.close_price,
    )


def _content_sha256(report: Report) -> str:
    # Flags join the hash only where there are some, so that reports hashed before flags existed keep theirs.
    flags = f"\t{report.flags}" if report.flags else ""
    digest = hashlib.sha256(f"{report.rec_count}\t{report.no_trades}\t{report.figures}{flags}\n".encode())
    for trade in report.trades:
        line = (
            f"{trade.seq}\t{trade.broker_id}\t{trade.broker_name}\t{trade.price.quantize(CENT)}\t"
            f"{trade.buy_shares}\t{trade.sell_shares}\n"
        )
        digest.update(line.encode())
    return digest.hexdigest()
