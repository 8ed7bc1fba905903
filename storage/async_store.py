"""AsyncStore: the Store for asyncio code, each call run on a worker thread so the event loop never waits.

One runner serves every Store method: `await store.run(Store.save_report, report)` keeps the method's types."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar

from storage.store import Store

P = ParamSpec("P")
T = TypeVar("T")


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
        return await loop.run_in_executor(self._executor, functools.partial(method, self.store, *args, **kwargs))

    async def close(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self.store.close()

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
