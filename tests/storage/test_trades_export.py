"""Exporting a day's broker trades to CSV and Parquet: every trade, exact prices, ids as stored."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from storage import (
    DayFigures,
    ExportFormat,
    ExportTable,
    NothingToExportError,
    Report,
    Store,
    export_dataset,
    export_day,
    export_reports,
)
from testbed.reports import synthetic_report

TRADE_DATE = date(2026, 11, 20)


@pytest.fixture
def reports(store: Store) -> list[Report]:
    stored = [
        synthetic_report(stock_code="2330", trade_date=TRADE_DATE, records=120, seed=1),
        synthetic_report(stock_code="2317", trade_date=TRADE_DATE, records=45, seed=2),
    ]
    for report in stored:
        store.save_report(report)
    store.save_report(Report(TRADE_DATE, "9999", 0, (), b"", datetime(2026, 11, 20, tzinfo=UTC), no_trades=True))
    store.save_report(synthetic_report(stock_code="1101", trade_date=date(2026, 11, 19), records=10))
    return sorted(stored, key=lambda report: report.stock_code)


def expected_rows(reports: list[Report]) -> list[tuple[str, str, int, str, str, Decimal, int, int]]:
    return [
        (
            TRADE_DATE.isoformat(),
            r.stock_code,
            t.seq,
            t.broker_id,
            t.broker_name,
            t.price,
            t.buy_shares,
            t.sell_shares,
        )
        for r in reports
        for t in r.trades
    ]


def test_csv_export_holds_every_trade_of_the_day(store: Store, reports: list[Report], tmp_path: Path) -> None:
    result = export_day(store, TRADE_DATE, ExportFormat.CSV, tmp_path / "out.csv")
    assert (result.path, result.reports, result.rows) == (tmp_path / "out.csv", 3, 165)
    with result.path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == [
        "trade_date",
        "stock_code",
        "seq",
        "broker_id",
        "broker_name",
        "price",
        "buy_shares",
        "sell_shares",
    ]
    parsed = [(d, c, int(s), b, n, Decimal(p), int(buy), int(sell)) for d, c, s, b, n, p, buy, sell in rows[1:]]
    assert parsed == expected_rows(reports)
    assert all(len(price.split(".")[1]) == 2 for *_, price, _, _ in rows[1:])


def test_parquet_export_keeps_decimal_prices(store: Store, reports: list[Report], tmp_path: Path) -> None:
    result = export_day(store, TRADE_DATE, ExportFormat.PARQUET, tmp_path)
    assert result.path == tmp_path / "broker-trades-2026-11-20.parquet"
    table = pq.read_table(result.path)
    assert table.schema.field("price").type == pa.decimal128(12, 2)
    rows = [(row.pop("trade_date").isoformat(), *row.values()) for row in table.to_pylist()]
    assert rows == expected_rows(reports)


def test_export_of_a_day_without_reports_names_the_stored_days(
    store: Store, reports: list[Report], tmp_path: Path
) -> None:
    with pytest.raises(NothingToExportError, match="no report is stored for 2026-11-21.*2026-11-20, 2026-11-19"):
        export_day(store, date(2026, 11, 21), ExportFormat.CSV, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_the_dataset_is_hive_partitioned_by_trade_date(store: Store, reports: list[Report], tmp_path: Path) -> None:
    results = export_dataset(store, tmp_path / "dataset")
    assert [(result.trade_date, result.rows) for result in results] == [(date(2026, 11, 19), 10), (TRADE_DATE, 165)]
    assert sorted(path.name for path in (tmp_path / "dataset").iterdir()) == [
        "trade_date=2026-11-19",
        "trade_date=2026-11-20",
    ]
    # Read as any Hive-aware reader reads it: the folder names give the trade_date column back.
    table = ds.dataset(tmp_path / "dataset", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 175
    rows = sorted(
        (str(day), code, seq, broker, name, price, buy, sell)
        for day, code, seq, broker, name, price, buy, sell in zip(
            *(
                table.column(column).to_pylist()
                for column in (
                    "trade_date",
                    "stock_code",
                    "seq",
                    "broker_id",
                    "broker_name",
                    "price",
                    "buy_shares",
                    "sell_shares",
                )
            ),
            strict=True,
        )
        if str(day) == TRADE_DATE.isoformat()
    )
    assert rows == sorted(expected_rows(reports))
    # Exporting a day again rewrites its partition whole and leaves the others.
    again = export_dataset(store, tmp_path / "dataset", [TRADE_DATE])
    assert [result.rows for result in again] == [165]
    assert len(list((tmp_path / "dataset").rglob("*.parquet"))) == 2


def test_reports_export_both_totals_the_sites_figures_and_the_flags(store: Store, tmp_path: Path) -> None:
    report = synthetic_report(stock_code="2330", trade_date=TRADE_DATE, records=30, seed=5)
    last = report.trades[-1]
    report = replace(report, trades=(*report.trades[:-1], replace(last, sell_shares=last.sell_shares + 30)))
    figures = DayFigures(
        TRADE_DATE,
        4321,
        12_345_678_900,
        report.total_buy_shares + 1000,
        Decimal("1030.00"),
        Decimal("1050.00"),
        Decimal("1025.00"),
        Decimal("1045.00"),
    )
    store.save_report(replace(report, rec_count=62, figures=figures, flags=("成交股數 is neither", "RecCount")))
    store.save_report(Report(TRADE_DATE, "9999", 0, (), b"", datetime(2026, 11, 20, tzinfo=UTC), no_trades=True))
    result = export_reports(store, TRADE_DATE, ExportFormat.PARQUET, tmp_path)
    assert (result.path.name, result.reports) == ("broker-reports-2026-11-20.parquet", 2)
    rows = {row["stock_code"]: row for row in pq.read_table(result.path).to_pylist()}
    assert rows["2330"]["rec_count"] == 62 and rows["2330"]["close_price"] == Decimal("1045.00")
    assert rows["2330"]["traded_shares"] == report.total_buy_shares + 1000
    assert (rows["2330"]["total_buy_shares"], rows["2330"]["total_sell_shares"]) == (
        report.total_buy_shares,
        report.total_sell_shares,
    )
    assert report.total_sell_shares - report.total_buy_shares == 30
    assert rows["2330"]["flags"] == "成交股數 is neither; RecCount" and rows["9999"]["flags"] is None
    assert rows["9999"]["no_trades"] and rows["9999"]["traded_shares"] is None
    with export_reports(store, TRADE_DATE, ExportFormat.CSV, tmp_path).path.open(encoding="utf-8") as file:
        csv_rows = {row["stock_code"]: row for row in csv.DictReader(file)}
    assert csv_rows["2330"]["turnover"] == "12345678900" and csv_rows["9999"]["close_price"] == ""
    assert csv_rows["2330"]["total_sell_shares"] == str(report.total_sell_shares) and csv_rows["9999"]["flags"] == ""
    (partition,) = export_dataset(store, tmp_path / "reports", table=ExportTable.REPORTS)
    table = ds.dataset(tmp_path / "reports", format="parquet", partitioning="hive").to_table()
    assert partition.reports == 2 and sorted(table.column("stock_code").to_pylist()) == ["2330", "9999"]
