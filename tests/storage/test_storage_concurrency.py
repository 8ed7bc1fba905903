"""Several writers at once (bot workers) and a reader (the dashboard): nobody fails on a lock, nobody
sees half a report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from storage import Attempt, AttemptOutcome, JobCounts, SaveResult, Store
from testbed.reports import synthetic_report

TRADE_DATE = date(2026, 11, 20)
WRITERS = 4


def run_together(work: Callable[[int], object], count: int) -> list[object]:
    """Runs work(0..count-1) on as many threads, released at the same moment; re-raises their errors."""
    start = threading.Barrier(count)

    def released(index: int) -> object:
        start.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(released, range(count)))


def test_writers_with_their_own_connections_all_succeed(
    database_url: str, make_attempt: Callable[..., Attempt]
) -> None:
    Store.open(database_url).close()

    def worker(index: int) -> None:
        with Store.open(database_url) as store:
            run = store.start_job_run(TRADE_DATE)
            for number in range(6):
                code = f"{index}{number:03d}"
                store.record_attempt(make_attempt(AttemptOutcome.REJECTED, stock_code=code, job_run_id=run))
                store.record_attempt(make_attempt(AttemptOutcome.ACCEPTED, stock_code=code, job_run_id=run))
                report = synthetic_report(stock_code=code, trade_date=TRADE_DATE, records=300, seed=number)
                assert store.save_report(report) is SaveResult.INSERTED
            store.finish_job_run(run, "succeeded", JobCounts(stored=6))

    run_together(worker, WRITERS)
    with Store.open(database_url) as store:
        assert len(store.stored_codes(TRADE_DATE)) == WRITERS * 6
        assert store.failure_queue_size() == WRITERS * 6
        assert {run.status for run in store.list_job_runs()} == {"succeeded"}
        assert all(row.attempts == 2 for row in store.attempts_per_report(TRADE_DATE))


def test_the_same_report_saved_at_once_is_stored_once(store: Store) -> None:
    report = synthetic_report(trade_date=TRADE_DATE, records=500)
    results = run_together(lambda _: store.save_report(report), WRITERS)
    assert sorted(results) == sorted([SaveResult.INSERTED] + [SaveResult.UNCHANGED] * (WRITERS - 1))
    assert store.load_report(TRADE_DATE, "2330") == report


def test_a_reader_sees_whole_reports_while_a_writer_replaces_them(database_url: str) -> None:
    versions = [synthetic_report(trade_date=TRADE_DATE, records=records, seed=records) for records in (300, 500)]
    with Store.open(database_url) as writer_store, Store.open(database_url) as reader_store:
        writer_store.save_report(versions[0])
        writing = threading.Event()
        writing.set()
        seen: list[int] = []

        def write() -> None:
            try:
                for round_ in range(12):
                    writer_store.save_report(versions[(round_ + 1) % 2])
            finally:
                writing.clear()

        def read() -> None:
            while writing.is_set() or not seen:
                loaded = reader_store.load_report(TRADE_DATE, "2330")
                assert loaded in versions
                seen.append(len(loaded.trades))

        with ThreadPoolExecutor(max_workers=2) as pool:
            reading = pool.submit(read)
            pool.submit(write).result()
            reading.result()
    assert seen and set(seen) <= {300, 500}
