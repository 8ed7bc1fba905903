"""Import figures for docs/benchmarks.md: `bsr import` of 1,000 saved reports (half July's Big5 layout
flat, half September's UTF-8 in day folders) into fresh SQLite and PostgreSQL (--pg-url), again, and from their
exported dataset; timed as a user runs it, start-up included. Run from the repository root: python -m benchmarks.import_history"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

from bsr.replica_history import trading_days_before
from replica.market import Market
from testbed.commands import bsr_environment, run_bsr
from testbed.databases import scratch_postgresql_schema
from testbed.saved_reports import JULY_LAYOUT, SEPTEMBER_LAYOUT, write_saved_reports

LAST_DAY = date(2026, 11, 20)
DAYS = 4  # two days of each layout


def timed_import(url: str, data_dir: Path, *paths: Path) -> tuple[float, str]:
    """Seconds `bsr import PATHS` took, and the summary it printed; raises when it did not exit 0."""
    started = time.perf_counter()
    result = run_bsr(
        "import", *map(str, paths), environment=bsr_environment(data_dir, url) | {"COLUMNS": "120"}, timeout=1800
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bsr import exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def summary_line(shown: str, what: str) -> str:
    line = next(line for line in shown.splitlines() if what in line)
    return line.split("│")[2].strip()


@contextmanager
def sqlite_url(folder: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{folder / name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000, help="saved reports in the folder (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="the replica market's seed (default 1)")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BSR_TEST_PG_URL", ""), help="PostgreSQL URL (default BSR_TEST_PG_URL)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        folder = work / "saved"
        days = trading_days_before(LAST_DAY + date.resolution, DAYS)
        per_day = -(-args.reports // DAYS)
        market = Market(args.seed)
        saved = write_saved_reports(folder / "july", market, days[:2], JULY_LAYOUT, per_day)
        saved += write_saved_reports(folder / "september", market, days[2:], SEPTEMBER_LAYOUT, per_day)
        records = sum(len(report.trades) for report in saved)
        size = sum(report.path.stat().st_size for report in saved)
        print(
            f"{len(saved):,} saved reports of {days[0]} to {days[-1]} ({records:,} records, {size / 1e6:.1f} MB of "
            f"CSV; half Big5 flat, half UTF-8 in day folders); {platform.node()}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        databases: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [
            ("SQLite", lambda: sqlite_url(work, "bench.sqlite3"))
        ]
        if args.pg_url:
            databases.append(("PostgreSQL", lambda: scratch_postgresql_schema(args.pg_url)))
        else:
            print("PostgreSQL skipped: give --pg-url or set BSR_TEST_PG_URL")
        print(f"{'database':<12}{'first import s':>16}{'reports/s':>11}{'again s':>9}{'dataset s':>11}")
        for name, database in databases:
            with database() as url:
                first, shown = timed_import(url, work / "data", folder)
                assert summary_line(shown, "reports imported") == str(len(saved)), shown
                again, shown = timed_import(url, work / "data", folder)
                assert summary_line(shown, "already stored") == str(len(saved)), shown
                dataset = work / f"dataset-{name}"
                subprocess.run(
                    [sys.executable, "-m", "bsr", "export", "--format", "dataset", "--out", str(dataset)],
                    env=bsr_environment(work / "data", url),
                    check=True,
                    capture_output=True,
                )
            with sqlite_url(work, f"restored-{name}.sqlite3") as restored:
                from_dataset, shown = timed_import(restored, work / "data", dataset)
                assert summary_line(shown, "reports imported") == str(len(saved)), shown
            print(f"{name:<12}{first:>16.1f}{len(saved) / first:>11.1f}{again:>9.1f}{from_dataset:>11.1f}")
        print("(seconds of `bsr import` as a user runs it, process start-up included; the dataset into SQLite)")


if __name__ == "__main__":
    main()
