"""Broker trades read back from the Parquet `bsr export` writes (a day's file, or a dataset's `trade_date=` partition),
one report's trades per day and stock: what `bsr import` restores. The files carry no RecCount, view or raw CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage.errors import StorageError
from storage.export import DATASET_SCHEMA, PARQUET_SCHEMA
from storage.records import BrokerTrade

TRADE_DATE = "trade_date"


class ExportedTradesError(StorageError):
    """A Parquet file that is not broker trades as `bsr export` writes them, or cannot be read."""


@dataclass(frozen=True)
class ExportedReport:
    """One report's trades from an exported file; `trade_date` is None where the file has no trade_date column
    (a dataset's partition, whose folder name carries the day)."""

    trade_date: date | None
    stock_code: str
    trades: tuple[BrokerTrade, ...]


def read_exported_trades(path: Path) -> Iterator[ExportedReport]:
    """The reports of one exported Parquet file, by day, stock code and sequence number. Raises
    ExportedTradesError before yielding anything when the file lacks a column, holds an empty value, or
    cannot be read as those columns' types."""
    try:
        table = pq.ParquetFile(path).read()
    except (OSError, pa.ArrowException) as error:
        raise ExportedTradesError(f"it cannot be read as Parquet ({error})") from error
    fields = list(DATASET_SCHEMA)
    if TRADE_DATE in table.column_names:
        fields.insert(0, PARQUET_SCHEMA.field(TRADE_DATE))
    columns = {}
    for field in fields:
        if field.name not in table.column_names:
            raise ExportedTradesError(
                f"it has no column {field.name}: it is not broker trades as `bsr export` writes them "
                "(--what trades, the default)"
            )
        column = table.column(field.name)
        if column.null_count:
            raise ExportedTradesError(f"its column {field.name} has {column.null_count:,} empty values")
        try:
            columns[field.name] = column.cast(field.type).to_pylist()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise ExportedTradesError(f"its column {field.name} is not {field.type} ({error})") from error
    days = columns.get(TRADE_DATE) or [None] * table.num_rows
    rows = sorted(range(table.num_rows), key=lambda row: (days[row] or date.min, columns["stock_code"][row]))
    return _reports(rows, days, columns)


def _reports(rows: list[int], days: list[date | None], columns: dict[str, list]) -> Iterator[ExportedReport]:
    key: tuple[date | None, str] | None = None
    trades: list[BrokerTrade] = []
    for row in rows:
        row_key = (days[row], columns["stock_code"][row])
        if row_key != key:
            if key is not None:
                yield _report(key, trades)
            key, trades = row_key, []
        trades.append(
            BrokerTrade(
                seq=columns["seq"][row],
                broker_id=columns["broker_id"][row],
                broker_name=columns["broker_name"][row],
                price=columns["price"][row],
                buy_shares=columns["buy_shares"][row],
                sell_shares=columns["sell_shares"][row],
            )
        )
    if key is not None:
        yield _report(key, trades)


def _report(key: tuple[date | None, str], trades: list[BrokerTrade]) -> ExportedReport:
    trade_date, stock_code = key
    return ExportedReport(trade_date, stock_code, tuple(sorted(trades, key=lambda trade: trade.seq)))
