"""The job writing while the dashboard reads, on SQLite and on PostgreSQL: neither sees an error.

The dashboard is the real app over HTTP (Starlette's test client, in a thread of its own), asking for every
page and API answer in a loop for as long as the job runs; PostgreSQL when BSR_TEST_PG_URL names one."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

from bot.job import FetchJob, FetchOptions, SecurityStatus
from dashboard.app import create_app
from solver import Solver
from storage import AsyncStore, Store
from tests.fetching import QUICK

PAGES = (
    "/",
    "/solver",
    "/failures",
    "/reports",
    "/api/overview",
    "/api/job-runs",
    "/api/solver",
    "/api/failures",
    "/api/reports",
)
CODES = ("2330", "2317", "0050", "9998")


class DashboardReader(threading.Thread):
    """Reads every page, and each stored report's, until told to stop; keeps what went wrong."""

    def __init__(self, database_url: str, trade_date: str) -> None:
        super().__init__(daemon=True)
        self.client = TestClient(create_app(database_url), base_url="http://127.0.0.1")
        self.trade_date = trade_date
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.saw_running_job = False

    def run(self) -> None:
        with self.client:
            while not self.stop.is_set():
                try:
                    self._read_once()
                except Exception as error:  # any exception is a finding, reported by the test
                    self.errors.append(f"{type(error).__name__}: {error}")

    def _read_once(self) -> None:
        paths = list(PAGES)
        summaries = self._get(f"/api/reports/{self.trade_date}")
        for summary in summaries.json():
            code = summary["stock_code"]
            paths += [
                f"/api/reports/{self.trade_date}/{code}",
                f"/reports?date={self.trade_date}&code={code}",
            ]
        for path in paths:
            response = self._get(path)
            if path == "/api/job-runs":
                self.saw_running_job |= any(run["status"] == "running" for run in response.json())

    def _get(self, path: str):  # noqa: ANN202
        response = self.client.get(path)
        self.statuses[response.status_code] += 1
        if response.status_code != 200:
            self.errors.append(f"{path}: HTTP {response.status_code} {response.text[:200]}")
        return response


async def test_the_job_writes_while_the_dashboard_reads(
    replica, solver: Solver, database_url: str, tmp_path: Path
) -> None:
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))
    reader = DashboardReader(database_url, replica.config.trade_date.isoformat())
    reader.start()
    try:
        options = FetchOptions(
            base_url=replica.base_url,
            evidence_dir=tmp_path,
            stock_codes=CODES,
            concurrency=2,
            rate=0,
            policy=QUICK,
        )
        summary = await FetchJob(options, solver, store).run()
    finally:
        reader.stop.set()
        await asyncio.to_thread(reader.join, 60)
        await store.close()
    assert summary.statuses[SecurityStatus.STORED] + summary.statuses[SecurityStatus.NO_TRADES] == len(CODES)
    assert reader.errors == []
    assert reader.statuses[200] >= 3 * len(PAGES), "the dashboard hardly read while the job wrote"
    assert reader.saw_running_job, "the dashboard never read while the job was running"
