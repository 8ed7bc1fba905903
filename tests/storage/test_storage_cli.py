"""`bsr db upgrade` and `bsr export` as a user runs them: from any folder, errors as one line."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from storage import Store
from testbed.commands import bsr_environment, run_bsr
from testbed.reports import synthetic_report


def bsr(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bsr(*args, environment=bsr_environment(tmp_path / "data", database_url), cwd=tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'bsr.sqlite3'}"


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr


def test_db_upgrade_from_any_folder(tmp_path: Path, sqlite_url: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = bsr(elsewhere, sqlite_url, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty to revision" in first.stdout
    again = bsr(elsewhere, sqlite_url, "db", "upgrade")
    assert "is up to date" in again.stdout


def test_export_writes_the_day(tmp_path: Path, sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        store.save_report(synthetic_report(trade_date=date(2026, 11, 20), records=30))
    result = bsr(tmp_path, sqlite_url, "export", "--date", "2026-11-20", "--format", "parquet", "--out", "day.parquet")
    assert result.returncode == 0, result.stderr
    assert "wrote 30 broker trades of 1 reports" in result.stdout
    assert pq.read_table(tmp_path / "day.parquet").num_rows == 30
    result = bsr(tmp_path, sqlite_url, "export", "--date", "2026-11-20")
    assert (tmp_path / "broker-trades-2026-11-20.csv").read_text(encoding="utf-8").count("\n") == 31


def test_export_errors_are_one_line(tmp_path: Path, sqlite_url: str) -> None:
    assert_one_line_error(bsr(tmp_path, sqlite_url, "export", "--date", "2026-13-01"), "YYYY-MM-DD")
    assert_one_line_error(bsr(tmp_path, sqlite_url, "export", "--date", "2026-11-20", "--format", "xls"), "parquet")
    assert_one_line_error(bsr(tmp_path, sqlite_url, "export", "--date", "2026-11-20"), "no report is stored")
    unreachable = "postgresql://bsr:secret@127.0.0.1:1/bsr"
    result = bsr(tmp_path, unreachable, "export", "--date", "2026-11-20")
    assert_one_line_error(
        result, "cannot use database postgresql+psycopg://bsr:***@127.0.0.1:1/bsr", "BSR_DATABASE_URL"
    )
    assert "secret" not in result.stderr


def test_export_writes_a_dataset_of_every_stored_day(tmp_path: Path, sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        for day, records in ((date(2026, 11, 19), 12), (date(2026, 11, 20), 30)):
            store.save_report(synthetic_report(trade_date=day, records=records))
    result = bsr(tmp_path, sqlite_url, "export", "--format", "dataset")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote") == 2
    assert (tmp_path / "broker-trades" / "trade_date=2026-11-20" / "part-0.parquet").is_file()
    assert_one_line_error(bsr(tmp_path, sqlite_url, "export", "--format", "parquet"), "needs --date")
