"""`bsr export`: a day's broker trades (one row per trade), or its reports with the site's figures of the day (one
row per report, `--what reports`), to a CSV or Parquet file, or stored days into a Hive-partitioned Parquet dataset
(`trade_date=YYYY-MM-DD/` folders) that DuckDB, Polars, Spark or Trino read; each file appears whole or not at all."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from storage.errors import NothingToExportError
from storage.records import BrokerTrade
from storage.store import Store

COLUMNS = (
    "trade_date",
    "stock_code",
    "seq",
    "broker_id",
    "broker_name",
    "price",
    "buy_shares",
    "sell_shares",
)
PARQUET_SCHEMA = pa.schema(
    [
        ("trade_date", pa.date32()),
        ("stock_code", pa.string()),
        ("seq", pa.int32()),
        ("broker_id", pa.string()),
        ("broker_name", pa.string()),
        ("price", pa.decimal128(12, 2)),
        ("buy_shares", pa.int64()),
        ("sell_shares", pa.int64()),
    ]
)
# In the dataset the trade date is the folder's name (the Hive partition), not a column of its files.
DATASET_SCHEMA = PARQUET_SCHEMA.remove(PARQUET_SCHEMA.get_field_index("trade_date"))
DATASET_FILE = "part-0.parquet"
PARQUET_BATCH_ROWS = 50_000
DATASET_FOLDER = "broker-trades"
# One row per report: both totals, what the site's report view said of the day, and why it was flagged.
REPORT_SCHEMA = pa.schema(
    [
        ("trade_date", pa.date32()),
        ("stock_code", pa.string()),
        ("no_trades", pa.bool_()),
        ("rec_count", pa.int32()),  # the download link's RecCount, as the site gave it
        ("total_buy_shares", pa.int64()),
        ("total_sell_shares", pa.int64()),
        ("total_value", pa.decimal128(20, 2)),
        ("trade_count", pa.int64()),
        ("turnover", pa.int64()),
        ("traded_shares", pa.int64()),
        ("open_price", pa.decimal128(12, 2)),
        ("high_price", pa.decimal128(12, 2)),
        ("low_price", pa.decimal128(12, 2)),
        ("close_price", pa.decimal128(12, 2)),
        ("flags", pa.string()),  # why it was stored flagged, reasons joined by "; "; null (empty in CSV) for none
        ("fetched_at", pa.timestamp("us", tz="UTC")),  # for an imported report: when it was imported
        ("source", pa.string()),  # fetched (by the bot) or imported (bsr import: no figures, rec_count 0)
    ]
)
REPORTS_DATASET_FOLDER = "broker-reports"
FIGURE_COLUMNS = ("trade_count", "turnover", "traded_shares", "open_price", "high_price", "low_price", "close_price")


class ExportTable(StrEnum):
    TRADES = "trades"  # one row per broker trade
    REPORTS = "reports"  # one row per report, with the site's figures of the day


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    DATASET = "dataset"  # a folder of trade_date=YYYY-MM-DD/ partitions


@dataclass(frozen=True)
class ExportResult:
    path: Path
    trade_date: date
    reports: int
    rows: int


def default_filename(trade_date: date, export_format: ExportFormat) -> str:
    return f"broker-trades-{trade_date.isoformat()}.{export_format.value}"


def export_day(store: Store, trade_date: date, export_format: ExportFormat, out: Path | None = None) -> ExportResult:
    """Writes every broker trade stored for `trade_date` to `out` (a file, a folder, or the working folder);
    a dataset's partition goes into the dataset folder `out` (default: ./broker-trades)."""
    reports = store.report_summaries(trade_date)
    if not reports:
        stored = [day.isoformat() for day in store.trade_dates()[:5]]
        known = f"the latest stored days are {', '.join(stored)}" if stored else "no report is stored at all"
        raise NothingToExportError(
            f"no report is stored for {trade_date.isoformat()} ({known}); download that day first or pick a stored day"
        )
    if export_format is ExportFormat.DATASET:
        path = (out or Path.cwd() / DATASET_FOLDER) / f"trade_date={trade_date.isoformat()}" / DATASET_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path = _target(out, default_filename(trade_date, export_format))
    partial = path.with_name(f".{path.name}.partial")
    writers = {
        ExportFormat.CSV: _write_csv,
        ExportFormat.PARQUET: _write_parquet,
        ExportFormat.DATASET: _write_partition,
    }
    try:
        rows = writers[export_format](partial, trade_date, store.day_trades(trade_date))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportResult(path, trade_date, len(reports), rows)


def export_reports(
    store: Store, trade_date: date, export_format: ExportFormat, out: Path | None = None
) -> ExportResult:
    """Writes one row per report stored for `trade_date`, with the report view's figures, to `out` (a file,
    a folder or the working folder; a dataset's partition into the folder `out`, default ./broker-reports)."""
    reports = store.report_summaries(trade_date)
    if not reports:
        raise NothingToExportError(f"no report is stored for {trade_date.isoformat()}; download that day first")
    rows = [
        {
            "trade_date": report.trade_date,
            "stock_code": report.stock_code,
            "no_trades": report.no_trades,
            "rec_count": report.rec_count,
            "total_buy_shares": report.total_buy_shares,
            "total_sell_shares": report.total_sell_shares,
            "total_value": report.total_value,
            **{name: getattr(report.figures, name, None) for name in FIGURE_COLUMNS},
            "flags": "; ".join(report.flags) or None,
            "fetched_at": report.fetched_at,
            "source": report.source.value,
        }
        for report in reports
    ]
    if export_format is ExportFormat.DATASET:
        partition = (out or Path.cwd() / REPORTS_DATASET_FOLDER) / f"trade_date={trade_date.isoformat()}"
        path = partition / DATASET_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        schema = REPORT_SCHEMA.remove(REPORT_SCHEMA.get_field_index("trade_date"))
    else:
        name = f"broker-reports-{trade_date.isoformat()}.{export_format.value}"
        path = _target(out, name)
        schema = REPORT_SCHEMA
    partial = path.with_name(f".{path.name}.partial")
    try:
        if export_format is ExportFormat.CSV:
            with partial.open("w", encoding="utf-8", newline="") as file:
                writer = csv.DictWriter(file, fieldnames=REPORT_SCHEMA.names)
                writer.writeheader()
                writer.writerows({**row, "fetched_at": row["fetched_at"].isoformat()} for row in rows)
        else:
            table = pa.Table.from_pylist([{name: row[name] for name in schema.names} for row in rows], schema=schema)
            pq.write_table(table, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportResult(path, trade_date, len(reports), len(rows))


def export_dataset(
    store: Store, out: Path | None = None, days: list[date] | None = None, table: ExportTable = ExportTable.TRADES
) -> list[ExportResult]:
    """Writes (or rewrites) the partitions of `days`, every stored day when None, into the dataset `out`."""
    chosen = store.trade_dates() if days is None else days
    if not chosen:
        raise NothingToExportError("no report is stored at all; download a day first")
    export = export_day if table is ExportTable.TRADES else export_reports
    return [export(store, day, ExportFormat.DATASET, out) for day in sorted(chosen)]


def _target(out: Path | None, name: str) -> Path:
    if out is None:
        return Path.cwd() / name
    if out.is_dir():
        return out / name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _write_csv(path: Path, trade_date: date, trades: Iterator[tuple[str, BrokerTrade]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as file:
        return write_trades_csv(file, trade_date, trades)


def write_trades_csv(file: TextIO, trade_date: date, trades: Iterable[tuple[str, BrokerTrade]]) -> int:
    """Broker trades as CSV rows under COLUMNS, one (stock code, trade) pair a row; the number of rows."""
    writer = csv.writer(file)
    writer.writerow(COLUMNS)
    rows = 0
    for stock_code, trade in trades:
        writer.writerow(
            (
                trade_date.isoformat(),
                stock_code,
                trade.seq,
                trade.broker_id,
                trade.broker_name,
                f"{trade.price:.2f}",
                trade.buy_shares,
                trade.sell_shares,
            )
        )
        rows += 1
    return rows


def _write_parquet(path: Path, trade_date: date, trades: Iterator[tuple[str, BrokerTrade]]) -> int:
    return _write_parquet_schema(path, PARQUET_SCHEMA, trade_date, trades)


def _write_partition(path: Path, trade_date: date, trades: Iterator[tuple[str, BrokerTrade]]) -> int:
    return _write_parquet_schema(path, DATASET_SCHEMA, trade_date, trades)


def _write_parquet_schema(
    path: Path, schema: pa.Schema, trade_date: date, trades: Iterator[tuple[str, BrokerTrade]]
) -> int:
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        while batch := list(islice(trades, PARQUET_BATCH_ROWS)):
            columns = {
                "trade_date": [trade_date] * len(batch),
                "stock_code": [stock_code for stock_code, _ in batch],
                "seq": [trade.seq for _, trade in batch],
                "broker_id": [trade.broker_id for _, trade in batch],
                "broker_name": [trade.broker_name for _, trade in batch],
                "price": [trade.price for _, trade in batch],
                "buy_shares": [trade.buy_shares for _, trade in batch],
                "sell_shares": [trade.sell_shares for _, trade in batch],
            }
            writer.write_table(pa.Table.from_pydict({name: columns[name] for name in schema.names}, schema=schema))
            rows += len(batch)
    return rows
