"""Conformance to real artefacts: every whole CSV the live site gave on 2026-07-29 (../shared/data/live-csv-2026-07)
is parsed, stored, exported and fetched end to end through the replica serving it byte for byte, with exact
record counts and totals, on SQLite and PostgreSQL. The files stay in ../shared: the exchange's terms forbid
redistributing them."""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.job import FetchJob, FetchOptions, SecurityStatus
from bot.report_csv import parse_report
from solver import Solver
from storage import AsyncStore, ExportFormat, Store, export_day, export_reports
from storage.engine import open_engine
from storage.report_checks import expected_rec_count, report_doubts
from tests.fetching import LIVE_DAY, QUICK, REAL_CSV_FIGURES, assert_whole


def real_csv(folder: Path, code: str) -> bytes:
    return (folder / f"20260729_{code}_twse_broker_trades.csv").read_bytes()


@pytest.mark.parametrize("code", sorted(REAL_CSV_FIGURES))
def test_each_real_csv_parses_to_its_exact_records_and_totals(real_csv_dir: Path, code: str) -> None:
    records, bought, sold = REAL_CSV_FIGURES[code]
    report = parse_report(real_csv(real_csv_dir, code), code, LIVE_DAY, expected_rec_count(records), datetime.now(UTC))
    assert_whole(report)
    assert (len(report.trades), report.total_buy_shares, report.total_sell_shares) == (records, bought, sold)
    assert report_doubts(report) == []  # RecCount = ceil(records / 100) fits, and there is no view to doubt


def test_real_reports_are_stored_and_exported_whole(real_csv_dir: Path, database_url: str, tmp_path: Path) -> None:
    with Store.open(database_url) as store:
        for code, (records, _, _) in REAL_CSV_FIGURES.items():
            raw = real_csv(real_csv_dir, code)
            store.save_report(parse_report(raw, code, LIVE_DAY, expected_rec_count(records), datetime.now(UTC)))
        summaries = {summary.stock_code: summary for summary in store.report_summaries(LIVE_DAY)}
        for code, (records, bought, sold) in REAL_CSV_FIGURES.items():
            assert (summaries[code].total_buy_shares, summaries[code].total_sell_shares) == (bought, sold)
            stored = store.load_report(LIVE_DAY, code)
            assert stored is not None and len(stored.trades) == records
            assert stored.raw_csv == real_csv(real_csv_dir, code)
        trades = export_day(store, LIVE_DAY, ExportFormat.CSV, tmp_path)
        assert trades.rows == sum(records for records, _, _ in REAL_CSV_FIGURES.values())
        with export_reports(store, LIVE_DAY, ExportFormat.CSV, tmp_path).path.open(encoding="utf-8") as file:
            exported = {row["stock_code"]: row for row in csv.DictReader(file)}
    assert {code: (int(row["total_buy_shares"]), int(row["total_sell_shares"])) for code, row in exported.items()} == {
        code: (bought, sold) for code, (_, bought, sold) in REAL_CSV_FIGURES.items()
    }


@pytest.fixture
def real_replica(real_csv_dir: Path) -> Iterator:
    """A replica of its own serving the real CSVs for their codes, on the day the live site gave them."""
    from replica.config import ReplicaConfig
    from replica.server import ReplicaServer

    with ReplicaServer(ReplicaConfig(trade_date=LIVE_DAY, seed=1, real_csv_dir=real_csv_dir)) as server:
        yield server


async def test_the_bot_stores_every_real_report_exactly(
    real_replica, real_csv_dir: Path, solver: Solver, database_url: str, tmp_path: Path
) -> None:
    codes = tuple(sorted(REAL_CSV_FIGURES))
    options = FetchOptions(
        base_url=real_replica.base_url, evidence_dir=tmp_path, stock_codes=codes, rate=0, concurrency=2, policy=QUICK
    )
    with Store.open(database_url) as store:
        summary = await FetchJob(options, solver, AsyncStore(store)).run()
        assert summary.trade_date == LIVE_DAY
        assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
        # Unbalanced reports cost no refusal: every download was taken as the site gave it.
        assert not summary.refused and not summary.flagged
        for code, (records, bought, sold) in REAL_CSV_FIGURES.items():
            stored = store.load_report(LIVE_DAY, code)
            assert stored is not None and stored.raw_csv == real_csv(real_csv_dir, code)
            assert (len(stored.trades), stored.total_buy_shares, stored.total_sell_shares) == (records, bought, sold)
            assert stored.rec_count == expected_rec_count(records) and stored.flags == ()
            assert stored.figures is not None and stored.figures.traded_shares in (bought, sold)
    # What the database holds, read without the Store: the raw CSV kept byte for byte, both totals.
    engine = open_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT stock_code, total_buy_shares, total_sell_shares, raw_csv_zlib FROM reports")
            ).all()
    finally:
        engine.dispose()
    assert {row.stock_code: (row.total_buy_shares, row.total_sell_shares) for row in rows} == {
        code: (bought, sold) for code, (_, bought, sold) in REAL_CSV_FIGURES.items()
    }
    assert all(zlib.decompress(row.raw_csv_zlib) == real_csv(real_csv_dir, row.stock_code) for row in rows)
