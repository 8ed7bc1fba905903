"""Reliability figures for docs/RELIABILITY.md: `bsr fetch` killed at random moments, and a full-universe run
with the replica's faults on at realistic rates.

Both run the replica in its own process (replaying the real captchas when they are there). Run from the
repository root: `.venv/bin/python -m benchmarks.reliability --help`."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from sqlalchemy import create_engine, inspect, text

from benchmarks.bot import MemorySampler
from bot.job import FetchJob, FetchOptions, FetchSummary, SecurityStatus
from bsr.demo import replica_process
from bsr.settings import get_settings
from solver import Solver
from storage import AsyncStore, Store
from storage.engine import parse_url

console = Console()

# Faults at rates a busy day could plausibly show; every one of them costs the bot a retry.
REALISTIC_FAULTS = {
    "error_rate": 0.02,
    "drop_rate": 0.01,
    "nonimage_captcha_rate": 0.02,
    "stale_csv_rate": 0.01,
    "truncated_csv_rate": 0.01,
    "unbalanced_csv_rate": 0.01,
}
# Large and small reports, and a code the site does not know (查無資料), so that kills land in every step.
CRASH_CODES = ("2330", "2317", "0050", "00878", "2412", "2882", "9998")

_REPORTS = text(
    "SELECT r.stock_code, r.rec_count, r.no_trades, COUNT(t.seq) AS records, "
    "COALESCE(SUM(t.buy_shares), 0) AS bought, COALESCE(SUM(t.sell_shares), 0) AS sold "
    "FROM reports r LEFT JOIN broker_trades t ON t.report_id = r.id WHERE r.trade_date = :trade_date "
    "GROUP BY r.id, r.stock_code, r.rec_count, r.no_trades"
)
_DUPLICATES = text(
    "SELECT stock_code FROM reports WHERE trade_date = :trade_date GROUP BY stock_code HAVING COUNT(*) > 1"
)


def stored_reports(database_url: str, trade_date: date) -> tuple[set[str], list[str]]:
    """The codes stored for `trade_date` and every way the database breaks "whole reports, once each".

    Reads the tables with plain SQL, not through the Store, so that the check does not share the code it checks."""
    engine = create_engine(parse_url(database_url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("reports"):  # killed before its first start had made it
                return set(), []
            rows = connection.execute(_REPORTS, {"trade_date": trade_date}).all()
            duplicates = connection.execute(_DUPLICATES, {"trade_date": trade_date}).scalars().all()
    finally:
        engine.dispose()
    problems = [f"{code} is stored more than once" for code in duplicates]
    for row in rows:
        if row.no_trades and row.records:
            problems.append(f"{row.stock_code} is marked no-trades but has {row.records} records")
        elif not row.no_trades and row.records != row.rec_count:
            problems.append(f"{row.stock_code} has {row.records} of its {row.rec_count} records")
        elif row.bought != row.sold:
            problems.append(f"{row.stock_code} has {row.bought} shares bought against {row.sold} sold")
    return {row.stock_code for row in rows}, problems


def bsr_fetch(base_url: str, codes: Sequence[str], *extra: str, rate: float = 0) -> list[str]:
    """The `bsr fetch` command line a user would type, politeness off by default: the replica is ours."""
    return [sys.executable, "-m", "bsr", "fetch", "--base-url", base_url, "--rate", str(rate),
            "--stocks", ",".join(codes), *extra]  # fmt: skip


def fetch_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    return os.environ | {"BSR_DATABASE_URL": database_url, "BSR_DATA_DIR": str(data_dir)}


def served_trade_date(base_url: str) -> date:
    root = base_url.split("/bshtm/")[0]
    return date.fromisoformat(httpx.get(f"{root}/replica/api/trade-date", timeout=10).json()["trade_date"])


def reports_served(base_url: str) -> int:
    root = base_url.split("/bshtm/")[0]
    return httpx.get(f"{root}/replica/api/stats", timeout=10).json()["reports_served"]


def wait_for_reports(base_url: str, process: subprocess.Popen[bytes], count: int) -> None:
    """Until the replica has served `count` reports in all (or the fetch has ended)."""
    while process.poll() is None and reports_served(base_url) < count:
        time.sleep(0.02)


def turn_faults(base_url: str, knobs: dict[str, float]) -> None:
    root = base_url.split("/bshtm/")[0]
    response = httpx.post(f"{root}/replica/api/faults", json=knobs, timeout=10)
    if response.status_code != 200:
        raise SystemExit(f"the replica refused the fault knobs: {response.text}")


def crash_trials(base_url: str, trials: int, seed: int, folder: Path) -> None:
    """Kill `bsr fetch` with SIGKILL at a random moment of its work, check the database, rerun, check it is
    complete. The moment: after a random number of its report downloads (at least one, not all), a random
    fraction of a second on, so that kills land in downloads, parsing and saves alike."""
    rng = random.Random(seed)
    trade_date = served_trade_date(base_url)
    command = bsr_fetch(base_url, CRASH_CODES, "--max-attempts", "8")
    reporting = len(CRASH_CODES) - 1  # the unknown code has no report to download
    killed = whole = completed = 0
    stored_at_kill: list[int] = []
    for trial in range(1, trials + 1):
        database_url = f"sqlite:///{folder / f'trial-{trial}.sqlite3'}"
        environment = fetch_environment(database_url, folder)
        downloads, delay = rng.randint(1, reporting - 1), rng.uniform(0, 0.5)
        target = reports_served(base_url) + downloads
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_reports(base_url, process, target)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        stored, problems = stored_reports(database_url, trade_date)
        stored_at_kill.append(len(stored))
        rerun = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        after, problems_after = stored_reports(database_url, trade_date)
        whole += not problems and not problems_after
        done = rerun.returncode == 0 and after == set(CRASH_CODES)
        completed += done
        verdict = "ok" if done and not problems and not problems_after else "PROBLEM"
        console.print(
            f"trial {trial:2d}: SIGKILL {delay:.2f} s after download {downloads} with {len(stored)} stored; rerun "
            f"exit {rerun.returncode}, {len(after)}/{len(CRASH_CODES)} stored: {verdict} {problems + problems_after}"
        )
        if rerun.returncode != 0:
            console.print(rerun.stderr.strip().splitlines()[-1:] or "(no message)")
    partial = sum(count < len(CRASH_CODES) for count in stored_at_kill)
    console.print(
        f"crash trials: {trials}, {killed} killed ({partial} with the day only partly stored); reports stored "
        f"at the kill {min(stored_at_kill)}..{max(stored_at_kill)} of {len(CRASH_CODES)}; whole and unduplicated "
        f"after every kill: {whole}/{trials}; rerun completed the rest: {completed}/{trials}"
    )


async def _load_job(
    base_url: str, solver: Solver, database_url: str, folder: Path, memory: MemorySampler, limit: int
) -> FetchSummary:
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))
    try:
        options = FetchOptions(
            base_url=base_url, evidence_dir=folder, limit=limit, concurrency=2, rate=0, max_attempts=8
        )

        def advance(code: str, status: str) -> None:
            memory.done += 1

        return await FetchJob(options, solver, store).run(on_done=advance)
    finally:
        await store.close()


def load_run(base_url: str, solver: Solver, folder: Path, limit: int, replica_pid: int) -> None:
    """The whole universe the replica lists, faults on, into a fresh SQLite database; the memory of this
    process and its Chromium (the replica's left out) sampled."""
    database_url = f"sqlite:///{folder / 'load.sqlite3'}"
    root = base_url.split("/bshtm/")[0]
    httpx.post(f"{root}/replica/api/stats/reset", timeout=10)
    load_before = os.getloadavg()[0]
    with MemorySampler(interval_s=1.0, skip_pids={replica_pid}) as memory:
        summary = asyncio.run(_load_job(base_url, solver, database_url, folder, memory, limit))
    stats = httpx.get(f"{root}/replica/api/stats", timeout=10).json()
    stored, problems = stored_reports(database_url, summary.trade_date)
    n = memory.done
    first, last = memory.peak_between(0, 300), memory.peak_between(n - 300, n + 1)
    faults = {name: count for name, count in stats.items() if name.startswith("faults_") and count}
    console.print(
        f"load run: {summary.planned} securities in {summary.duration_s / 60:.1f} min "
        f"({summary.planned / summary.duration_s * 60:.0f}/min; load average {load_before:.1f} at the start)\n"
        f"  stored {summary.statuses[SecurityStatus.STORED]}, no trades {summary.statuses[SecurityStatus.NO_TRADES]}, "
        f"failed {summary.statuses[SecurityStatus.FAILED]}; {summary.answers} captcha answers = "
        f"{summary.attempts_per_report:.3f} attempts per report ({dict(summary.attempts)})\n"
        f"  faults the replica served: {faults}; firewall blocks {stats['firewall_blocked']}\n"
        f"  database: {len(stored)} reports, problems: {problems or 'none'}\n"
        f"  peak RSS (bot + Chromium) first 300 securities {first:.0f} MiB, last 300 {last:.0f} MiB "
        f"({(last / first - 1) * 100:+.1f}%)"
    )
    for code, reason in sorted(summary.failures.items()):
        console.print(f"  failed {code}: {reason}")
    curve = [f"{done}:{mib:.0f}" for done, mib in memory.samples[:: max(1, len(memory.samples) // 20)]]
    console.print(f"  memory curve (securities done: MiB): {' '.join(curve)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crash-trials", type=int, default=20, help="SIGKILL trials (0: skip)")
    parser.add_argument("--load", action=argparse.BooleanOptionalAction, default=True,
                        help="run the full-universe load run")  # fmt: skip
    parser.add_argument("--load-limit", type=int, default=0, help="securities in the load run (0: all)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill moments")
    parser.add_argument("--replay-dir", type=Path, default=get_settings().captcha_data)
    args = parser.parse_args()
    replay = args.replay_dir if (args.replay_dir / "labels.csv").is_file() else None
    solver = Solver.load(get_settings().model or None)
    console.print(
        f"model {solver.model_version}; captchas: {replay or 'synthetic'}; faults {REALISTIC_FAULTS}"
    )
    with tempfile.TemporaryDirectory() as scratch, replica_process(replay, console) as base_url:
        turn_faults(base_url, REALISTIC_FAULTS)
        if args.crash_trials:
            crash_trials(base_url, args.crash_trials, args.seed, Path(scratch))
        if args.load:
            replica_pid = next(
                child.pid for child in psutil.Process().children() if "replica" in child.cmdline()
            )
            load_run(base_url, solver, Path(scratch), args.load_limit, replica_pid)


if __name__ == "__main__":
    main()
