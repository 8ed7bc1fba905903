"""AsyncStore: the Store for asyncio code, each call run on a worker thread so the event loop never waits.

The bot's workers await these methods; the methods and their types are the Store's, one line each."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Concatenate, Generic, ParamSpec, TypeVar, overload

from storage.store import Store

P = ParamSpec("P")
T = TypeVar("T")


class _OnWorkerThread(Generic[P, T]):
    """A Store method turned into a coroutine method of AsyncStore, with the same parameters."""

    def __init__(self, method: Callable[Concatenate[Store, P], T]) -> None:
        self._method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[AsyncStore]) -> _OnWorkerThread[P, T]: ...
    @overload
    def __get__(self, instance: AsyncStore, owner: type[AsyncStore]) -> Callable[P, Awaitable[T]]: ...
    def __get__(
        self, instance: AsyncStore | None, owner: type[AsyncStore]
    ) -> _OnWorkerThread[P, T] | Callable[P, Awaitable[T]]:
        if instance is None:
            return self
        method = self._method

        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return await instance.run(method, *args, **kwargs)

        return call


class AsyncStore:
    """A Store whose calls run on a small pool of worker threads; create it with `await AsyncStore.open(url)`."""

    def __init__(self, store: Store, workers: int = 4) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bsr-store")

    @classmethod
    async def open(cls, url: str, workers: int = 4) -> AsyncStore:
        return cls(await asyncio.to_thread(Store.open, url), workers)

    async def run(self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs `method(store, ...)` on a worker thread: any Store method, or a function taking a Store."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(method, self.store, *args, **kwargs)
        )

    async def close(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self.store.close()

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    save_report = _OnWorkerThread(Store.save_report)
    stored_codes = _OnWorkerThread(Store.stored_codes)
    trade_dates = _OnWorkerThread(Store.trade_dates)
    report_summaries = _OnWorkerThread(Store.report_summaries)
    load_report = _OnWorkerThread(Store.load_report)
    report_trades = _OnWorkerThread(Store.report_trades)
    upsert_securities = _OnWorkerThread(Store.upsert_securities)
    list_securities = _OnWorkerThread(Store.list_securities)
    record_listing = _OnWorkerThread(Store.record_listing)
    last_listing = _OnWorkerThread(Store.last_listing)
    security_sightings = _OnWorkerThread(Store.security_sightings)
    start_job_run = _OnWorkerThread(Store.start_job_run)
    beat_job_run = _OnWorkerThread(Store.beat_job_run)
    finish_job_run = _OnWorkerThread(Store.finish_job_run)
    update_job_run_counts = _OnWorkerThread(Store.update_job_run_counts)
    job_run_progress = _OnWorkerThread(Store.job_run_progress)
    list_job_runs = _OnWorkerThread(Store.list_job_runs)
    record_attempt = _OnWorkerThread(Store.record_attempt)
    get_attempt = _OnWorkerThread(Store.get_attempt)
    label_attempt = _OnWorkerThread(Store.label_attempt)
    mark_unreadable = _OnWorkerThread(Store.mark_unreadable)
    failure_queue = _OnWorkerThread(Store.failure_queue)
    failure_queue_size = _OnWorkerThread(Store.failure_queue_size)
    labelled_attempts = _OnWorkerThread(Store.labelled_attempts)
    acceptance_by_model_version = _OnWorkerThread(Store.acceptance_by_model_version)
    attempts_per_report = _OnWorkerThread(Store.attempts_per_report)
    accuracy_by_confidence = _OnWorkerThread(Store.accuracy_by_confidence)
    latency_percentiles = _OnWorkerThread(Store.latency_percentiles)
    char_confusions = _OnWorkerThread(Store.char_confusions)
    register_model_version = _OnWorkerThread(Store.register_model_version)
    activate_model_version = _OnWorkerThread(Store.activate_model_version)
    roll_back_model_version = _OnWorkerThread(Store.roll_back_model_version)
    active_model_version = _OnWorkerThread(Store.active_model_version)
    list_model_versions = _OnWorkerThread(Store.list_model_versions)
