"""AsyncStore: the event loop keeps running while a store call waits on the database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import pytest

from storage import AsyncStore, JobCounts, JobStatus, ReportMismatchError, SaveResult, Store
from storage.engine import open_engine, writer
from testbed.reports import synthetic_report

TRADE_DATE = date(2026, 11, 20)
TICKS = 1000  # turns of the event loop while the save waits


@contextmanager
def write_lock_held_elsewhere(database_url: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Another connection takes the write lock on reports and holds it until the test releases it."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        engine = open_engine(database_url)
        with writer(engine).begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE reports IN EXCLUSIVE MODE")
            taken.set()
            release.wait()
        engine.dispose()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        yield taken, release
    finally:
        release.set()
        holder.join()


async def test_a_call_waiting_on_a_lock_leaves_the_loop_running(database_url: str) -> None:
    async with await AsyncStore.open(database_url) as store:
        ticks = 0
        ticked = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while ticks < TICKS:
                ticks += 1
                await asyncio.sleep(0)
            ticked.set()

        with write_lock_held_elsewhere(database_url) as (taken, release):
            await asyncio.to_thread(taken.wait)
            saving = asyncio.create_task(
                store.run(Store.save_report, synthetic_report(trade_date=TRADE_DATE, records=200))
            )
            await asyncio.create_task(tick())
            await ticked.wait()  # the loop ran on while the save was waiting...
            assert not saving.done(), "the save went through a lock held elsewhere"  # ...for the lock
            release.set()
            result = await saving
    assert result is SaveResult.INSERTED


async def test_results_and_errors_come_back_from_the_worker_threads(database_url: str) -> None:
    async with await AsyncStore.open(database_url) as store:
        report = synthetic_report(trade_date=TRADE_DATE, records=20)
        results = await asyncio.gather(*(store.run(Store.save_report, report) for _ in range(3)))
        assert sorted(results) == sorted([SaveResult.INSERTED, SaveResult.UNCHANGED, SaveResult.UNCHANGED])
        assert await store.run(Store.stored_codes, TRADE_DATE) == {"2330"}
        run = await store.run(Store.start_job_run, TRADE_DATE)
        await store.run(Store.finish_job_run, run, JobStatus.SUCCEEDED, JobCounts(stored=1))
        assert (await store.run(Store.list_job_runs))[0].counts == JobCounts(stored=1)
        with pytest.raises(ReportMismatchError):
            await store.run(Store.save_report, replace(report, trades=report.trades[1:]))


async def test_any_function_taking_a_store_runs_on_a_worker_thread(database_url: str) -> None:
    def where(store: Store, trade_date: date) -> tuple[str, set[str]]:
        return threading.current_thread().name, store.stored_codes(trade_date)

    async with await AsyncStore.open(database_url, workers=2) as store:
        await store.run(Store.save_report, synthetic_report(trade_date=TRADE_DATE, records=20))
        thread, codes = await store.run(where, TRADE_DATE)
    assert thread.startswith("bsr-store") and thread != threading.current_thread().name
    assert codes == {"2330"}
