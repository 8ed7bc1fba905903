"""Storage figures for docs/benchmarks.md: the time to store one 6,000-record report, on SQLite and PostgreSQL.
Medians of an insert, a replace, an identical save (a no-op) and a read back; PostgreSQL with --pg-url or
BSR_TEST_PG_URL. Run as `python -m benchmarks.storage` from the repository root (as a file it shadows storage)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

from storage import Report, SaveResult, Store
from testbed.databases import scratch_postgresql_schema
from testbed.reports import synthetic_report


def measure(store: Store, report: Report, changed: Report, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per call: each phase over `repeat` reports of their own stock codes."""
    times: dict[str, list[float]] = {"insert": [], "replace": [], "unchanged": [], "read": []}
    codes = [f"B{index:04d}" for index in range(repeat)]
    for phase, source, expected in [
        ("insert", report, SaveResult.INSERTED),
        ("replace", changed, SaveResult.REPLACED),
        ("unchanged", changed, SaveResult.UNCHANGED),
    ]:
        for code in codes:
            coded = replace(source, stock_code=code)
            started = time.perf_counter()
            result = store.save_report(coded)
            times[phase].append((time.perf_counter() - started) * 1000)
            assert result is expected, (phase, result)
    for code in codes:
        started = time.perf_counter()
        loaded = store.load_report(report.trade_date, code)
        times["read"].append((time.perf_counter() - started) * 1000)
        assert loaded is not None and len(loaded.trades) == changed.rec_count
    return times


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=6000, help="records per report (default 6000)")
    parser.add_argument("--repeat", type=int, default=10, help="reports stored per measurement (default 10)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BSR_TEST_PG_URL", ""),
        help="PostgreSQL URL (default BSR_TEST_PG_URL)",
    )
    args = parser.parse_args()

    report = synthetic_report(records=args.records, seed=1)
    changed = synthetic_report(records=args.records, seed=2)
    databases: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [("SQLite", sqlite_url)]
    if args.pg_url:
        databases.append(("PostgreSQL", lambda: scratch_postgresql_schema(args.pg_url)))
    else:
        print("PostgreSQL skipped: give --pg-url or set BSR_TEST_PG_URL")

    print(
        f"one report of {args.records} records ({len(report.raw_csv) / 1e3:.0f} kB of CSV), {args.repeat} reports each"
    )
    print(f"{'database':<12}{'insert ms':>11}{'replace ms':>12}{'no-op ms':>10}{'read ms':>9}{'records/s':>12}")
    for name, scratch in databases:
        with scratch() as url, Store.open(url) as store:
            times = measure(store, report, changed, args.repeat)
        median = {phase: statistics.median(values) for phase, values in times.items()}
        print(
            f"{name:<12}{median['insert']:>11.1f}{median['replace']:>12.1f}{median['unchanged']:>10.1f}"
            f"{median['read']:>9.1f}{args.records / median['insert'] * 1000:>12,.0f}"
        )


if __name__ == "__main__":
    main()
