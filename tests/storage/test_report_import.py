"""Reports imported from files: Store.import_report stores them whole and marked imported, leaves the same trades
as they are whatever their source, refuses to replace different ones unless told; the Parquet `bsr export`
writes reads back report by report; migration 0012 keeps every report and its trades."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import (
    DayFigures,
    ExportedTradesError,
    ExportFormat,
    ReportMismatchError,
    ReportSource,
    SaveResult,
    Store,
    StoredReportDiffersError,
    export_dataset,
    export_day,
    export_reports,
    read_exported_trades,
)
from storage.engine import open_engine
from tests.storage.test_migrations import upgraded_again_from
from tests.storage.test_report_storage import TRADE_DATE, small_report


def imported(stock_code: str = "2330", seed: int = 1, records: int = 40, **changes: object):
    """A report as `bsr import` builds it: no RecCount (0), no view figures, marked imported."""
    return small_report(stock_code, records, seed, source=ReportSource.IMPORTED, rec_count=0, **changes)


def one_more_share(report):
    first = report.trades[0]
    return replace(report, trades=(replace(first, buy_shares=first.buy_shares + 1), *report.trades[1:]))


def test_an_imported_report_is_stored_whole_and_marked_imported(store: Store) -> None:
    report = imported()
    assert store.import_report(report) is SaveResult.INSERTED
    assert store.load_report(TRADE_DATE, "2330") == report
    [summary] = store.report_summaries(TRADE_DATE)
    assert (summary.source, summary.rec_count, summary.figures) == (ReportSource.IMPORTED, 0, None)
    assert store.import_report(replace(report, fetched_at=datetime.now(UTC))) is SaveResult.UNCHANGED
    assert store.load_report(TRADE_DATE, "2330") == report


def test_the_same_trades_fetched_before_are_left_as_they_are(store: Store) -> None:
    fetched = small_report(figures=DayFigures(TRADE_DATE, 5, 1_000, 1, None, None, None, Decimal("9.50")))
    store.save_report(fetched)
    assert store.import_report(imported()) is SaveResult.UNCHANGED
    assert store.import_report(imported(), replace=True) is SaveResult.UNCHANGED
    assert store.load_report(TRADE_DATE, "2330") == fetched


def test_different_trades_are_refused_unless_replace(store: Store) -> None:
    fetched = small_report()
    store.save_report(fetched)
    other = one_more_share(imported())
    with pytest.raises(StoredReportDiffersError, match="a different report of 2330 for 2026-11-20 is stored .fetched"):
        store.import_report(other)
    assert store.load_report(TRADE_DATE, "2330") == fetched
    assert store.import_report(other, replace=True) is SaveResult.REPLACED
    assert store.load_report(TRADE_DATE, "2330") == other
    [summary] = store.report_summaries(TRADE_DATE)
    assert summary.source is ReportSource.IMPORTED and summary.total_buy_shares == fetched.total_buy_shares + 1


def test_a_report_of_no_trades_stored_is_a_different_report(store: Store) -> None:
    store.save_report(small_report(trades=(), rec_count=0, raw_csv=b"", no_trades=True))
    with pytest.raises(StoredReportDiffersError, match="0 records; this one 40"):
        store.import_report(imported())


def test_an_imported_report_that_is_not_whole_stores_nothing(store: Store) -> None:
    gapped = imported(trades=imported().trades[1:])
    with pytest.raises(ReportMismatchError) as refused:
        store.import_report(gapped)
    assert "without a gap" in refused.value.detail
    assert store.stored_codes(TRADE_DATE) == set()


def test_exported_trades_read_back_report_by_report(store: Store, tmp_path: Path) -> None:
    reports = [imported("2330"), imported("2317", seed=2), imported("0050", seed=3, records=3)]
    for report in reports:
        store.import_report(report)
    [partition] = export_dataset(store, tmp_path / "dataset")
    day_file = export_day(store, TRADE_DATE, ExportFormat.PARQUET, tmp_path / "day.parquet")
    from_partition = list(read_exported_trades(partition.path))
    from_day = list(read_exported_trades(day_file.path))
    expected = sorted((report.stock_code, report.trades) for report in reports)
    assert [(found.stock_code, found.trades) for found in from_partition] == expected
    assert {found.trade_date for found in from_partition} == {None}  # the folder's name carries it
    assert [(found.trade_date, found.stock_code, found.trades) for found in from_day] == [
        (TRADE_DATE, code, trades) for code, trades in expected
    ]
    # The reports' export says where each came from.
    reports_file = export_reports(store, TRADE_DATE, ExportFormat.PARQUET, tmp_path / "reports.parquet")
    assert set(pq.read_table(reports_file.path).column("source").to_pylist()) == {"imported"}
    with pytest.raises(ExportedTradesError, match="no column seq: it is not broker trades"):
        read_exported_trades(reports_file.path)


def test_exported_trades_with_an_empty_value_or_another_type_are_refused_whole(tmp_path: Path) -> None:
    columns = {
        "stock_code": ["2330", "2330"],
        "seq": [1, 2],
        "broker_id": ["1020", "1030"],
        "broker_name": ["合庫", None],
        "price": [Decimal("1040.00"), Decimal("1045.00")],
        "buy_shares": [1000, 0],
        "sell_shares": [0, 1000],
    }
    pq.write_table(pa.table(columns), tmp_path / "empty.parquet")
    with pytest.raises(ExportedTradesError, match="column broker_name has 1 empty values"):
        read_exported_trades(tmp_path / "empty.parquet")
    pq.write_table(pa.table(columns | {"broker_name": ["a", "b"], "seq": ["one", "two"]}), tmp_path / "text.parquet")
    with pytest.raises(ExportedTradesError, match="column seq is not int32"):
        read_exported_trades(tmp_path / "text.parquet")


def count(url: str, sql: str) -> int:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_migration_0012_keeps_every_report_and_its_trades_and_checks_the_source(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_report(small_report("2330"))
        store.import_report(imported("2317", seed=2))
    trades = count(database_url, "SELECT count(*) FROM broker_trades")
    assert trades == 80
    assert upgraded_again_from(database_url, "0011")
    # Down and up again: no copy of reports dropped its trades (SQLite's DROP TABLE would cascade to them), and
    # every report from before the column is a fetched one.
    assert count(database_url, "SELECT count(*) FROM broker_trades") == trades
    with Store.open(database_url) as store:
        assert {summary.source for summary in store.report_summaries(TRADE_DATE)} == {ReportSource.FETCHED}
    engine = open_engine(database_url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("UPDATE reports SET source = 'guessed'"))
    finally:
        engine.dispose()
