"""End to end: the bot in a real Chromium fetches from the replica over HTTP into a real SQLite database.

The solver is the shipped TensorFlow model; outcomes the model cannot cause on its own (wrong answers,
expiry, the firewall) come from the replica's own settings."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest

from bot.errors import SiteUnreachableError
from bot.job import FetchJob, FetchOptions, SecurityStatus
from solver import Solver
from storage import AsyncStore, Store
from storage.records import AttemptOutcome, JobCounts, JobStatus
from tests.fetching import QUICK, assert_whole

UNKNOWN_CODE = "9998"  # not listed: the site answers 查無資料


async def test_fetches_several_securities_and_stores_each_whole(replica, fetch, store) -> None:
    codes = ("2330", "0050", "00878", "2317", UNKNOWN_CODE)
    summary = await fetch(stock_codes=codes, concurrency=2)
    assert summary.statuses[SecurityStatus.STORED] == 4
    assert summary.statuses[SecurityStatus.NO_TRADES] == 1
    assert not summary.failures
    assert summary.trade_date == replica.config.trade_date
    assert store.stored_codes(summary.trade_date) == set(codes)
    trades = store.report_trades(summary.trade_date, "2330")
    assert len(trades) > 1000
    assert sum(t.buy_shares for t in trades) == sum(t.sell_shares for t in trades)
    accepted = summary.attempts[AttemptOutcome.ACCEPTED.value]
    assert accepted == len(codes) and summary.answers >= accepted


def captchas_left_unanswered(stats: dict[str, int]) -> int:
    answered = sum(stats[f"answers_{kind}"] for kind in ("right", "wrong", "too_fast", "expired"))
    return stats["captchas_issued"] - answered


async def test_the_first_query_answers_the_captcha_of_the_site_opened_for_the_date(replica, fetch) -> None:
    # A person opens the site, reads the date and types into the form shown beside it: every answer page brings
    # the next captcha, so the last one is the only one left unanswered.
    summary = await fetch(stock_codes=("2506", "3004"))
    assert summary.statuses[SecurityStatus.STORED] == 2
    assert captchas_left_unanswered(replica.stats()) == 1


async def test_a_worker_goes_on_in_a_fresh_context_after_recycle_after_queries(replica, fetch) -> None:
    codes = ("2506", "3004", "8940", "2430", "2613")
    summary = await fetch(stock_codes=codes, recycle_after=2)
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
    # Each context leaves its last captcha unanswered: at least three for five queries, two a context.
    assert captchas_left_unanswered(replica.stats()) >= 3


async def test_resumes_without_fetching_what_is_stored(replica, fetch) -> None:
    first = await fetch(stock_codes=("2506", "3004"))
    served_before = replica.stats()["reports_served"]
    second = await fetch(stock_codes=("2506", "3004", "8940"))
    assert first.statuses[SecurityStatus.STORED] == 2
    assert second.already_stored == 2 and second.statuses[SecurityStatus.STORED] == 1
    assert replica.stats()["reports_served"] == served_before + 1


async def test_wrong_answers_are_retried_then_given_up(replica, fetch, store, tmp_path, real_captchas) -> None:
    # A replay folder whose labels are all wrong: every answer the model gets right, the site rejects.
    replay = tmp_path / "mislabelled"
    (replay / "images").mkdir(parents=True)
    with (real_captchas / "labels.csv").open() as rows:
        picked = [row for row, _ in zip(csv.DictReader(rows), range(5), strict=False)]
    with (replay / "labels.csv").open("w") as labels:
        labels.write("file,label\n")
        for row in picked:
            (replay / row["file"]).write_bytes((real_captchas / row["file"]).read_bytes())
            labels.write(f"{row['file']},{row['label'][::-1] if row['label'] != row['label'][::-1] else 'AAAAA'}\n")
    replica.use_replay(replay)
    summary = await fetch(stock_codes=("2330",), max_attempts=3)
    assert summary.statuses[SecurityStatus.FAILED] == 1
    assert summary.attempts[AttemptOutcome.REJECTED.value] == 3
    assert "wrong_captcha" in summary.failures["2330"]
    assert store.stored_codes(summary.trade_date) == set()
    assert len(store.failure_queue(limit=10)) == 3


class SlowReader:
    """The shipped solver, but a captcha's lifetime passes on the replica's clock while it reads each one."""

    def __init__(self, solver: Solver, clock, lifetime_s: float) -> None:  # noqa: ANN001
        self.solver, self.clock, self.lifetime_s = solver, clock, lifetime_s

    async def solve_async(self, image: bytes):  # noqa: ANN201
        self.clock.advance(self.lifetime_s)
        return await self.solver.solve_async(image)


async def test_expired_captchas_are_recorded_and_retried(clocked_replica, clock, solver, store, tmp_path) -> None:
    reader = SlowReader(solver, clock, clocked_replica.config.captcha_ttl_s)
    options = FetchOptions(
        base_url=clocked_replica.base_url,
        evidence_dir=tmp_path,
        stock_codes=("2330",),
        rate=0,
        max_attempts=3,
        policy=QUICK,
    )
    summary = await FetchJob(options, reader, AsyncStore(store)).run()
    assert summary.statuses[SecurityStatus.FAILED] == 1
    assert summary.attempts == {AttemptOutcome.EXPIRED.value: 3}
    assert clocked_replica.stats()["answers_expired"] == 3
    assert "expired_captcha" in summary.failures["2330"]


async def test_the_firewall_pauses_the_worker_then_it_goes_on(clocked_replica, solver, store, tmp_path) -> None:
    # A query takes about ten requests (answer page, its scripts, captcha, report view, CSV). The replica's
    # clock stands still, so all of them count in one minute however slow the machine: every 11th is refused,
    # whichever it is, and the bot goes on to store every report.
    clocked_replica.config.firewall_requests_per_minute = 10
    clocked_replica.config.firewall_block_s = 0.0
    options = FetchOptions(
        base_url=clocked_replica.base_url,
        evidence_dir=tmp_path,
        stock_codes=("2506", "3004", "8940"),
        rate=0,
        max_attempts=8,
        policy=QUICK,
    )
    summary = await FetchJob(options, solver, AsyncStore(store)).run()
    assert summary.statuses[SecurityStatus.STORED] == 3, summary.failures
    assert clocked_replica.stats()["firewall_blocked"] >= 3


async def test_the_run_beats_while_a_slow_query_gives_no_other_sign_of_life(replica, solver, store, tmp_path) -> None:
    def hang_every_page(planned: int) -> None:  # from the first query on, until the test has seen enough beats
        replica.config.latency_s = 2.0

    options = FetchOptions(
        base_url=replica.base_url,
        evidence_dir=tmp_path,
        stock_codes=("2330",),
        rate=0,
        heartbeat_s=0.05,
        policy=QUICK,
    )
    running = asyncio.create_task(FetchJob(options, solver, AsyncStore(store)).run(on_start=hang_every_page))
    beats: set[datetime] = set()
    while len(beats) < 5 and not running.done():
        runs = await asyncio.to_thread(store.list_job_runs)
        if runs and runs[0].status is JobStatus.RUNNING and runs[0].counts == JobCounts():
            beats.add(runs[0].heartbeat_at)
        await asyncio.sleep(0.05)
    replica.config.latency_s = 0.0
    assert len(beats) == 5, "the run finished its query before it beat five times"
    assert (await running).statuses[SecurityStatus.STORED] == 1


async def test_a_wrong_base_url_is_one_clear_error(fetch) -> None:
    with pytest.raises(SiteUnreachableError, match="check --base-url"):
        await fetch(base_url="http://127.0.0.1:9/bshtm/", stock_codes=("2330",))


def test_a_killed_fetch_leaves_only_whole_reports_and_a_rerun_completes(replica, tmp_path) -> None:
    database = tmp_path / "bsr.sqlite3"
    env = os.environ | {"BSR_DATABASE_URL": f"sqlite:///{database}", "BSR_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "bsr", "fetch", "--base-url", replica.base_url, "--rate", "0", "--limit", "12"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while replica.stats()["reports_served"] < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = Store.open(f"sqlite:///{database}")
    try:
        trade_date = replica.config.trade_date
        stored = store.stored_codes(trade_date)
        assert 0 < len(stored) < 12
        for code in stored:
            report = store.load_report(trade_date, code)
            if not report.no_trades:
                assert_whole(report)
    finally:
        store.close()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    store = Store.open(f"sqlite:///{database}")
    try:
        assert len(store.stored_codes(trade_date)) == 12
    finally:
        store.close()
