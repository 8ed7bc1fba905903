"""Reliability figures for docs/benchmarks.md: `bsr fetch` killed at random moments, full-universe runs under
the replica's faults and its 2026 throttling, and a run during which the site rolls over to the next day.
Run from the repository root: .venv/bin/python -m benchmarks.reliability --help"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

from benchmarks.bot import TreeMemory, answers_per_report, mib, replica_listing_url, replica_stats
from bot.job import FetchJob, FetchOptions, FetchSummary, SecurityStatus
from bot.pacing import RetryPolicy
from bsr.demo import replica_process
from bsr.settings import get_settings
from replica.config import ReplicaConfig
from replica.server import ReplicaServer
from solver import Solver
from storage import AsyncStore, Store
from testbed.commands import bsr_environment, bsr_fetch
from testbed.databases import stored_reports

console = Console()

# Faults at rates a busy day could plausibly show; every one of them costs the bot a retry.
REALISTIC_FAULTS = {
    "error_rate": 0.02,
    "drop_rate": 0.01,
    "nonimage_captcha_rate": 0.02,
    "stale_csv_rate": 0.01,
    "truncated_csv_rate": 0.01,
}
# The throttling seen on the live site in September 2026 (SITE.md): 403s on any page, blank and silent answers.
THROTTLING_FAULTS = {"forbidden_rate": 0.06, "blank_post_rate": 0.08, "silent_post_rate": 0.05}
# ...and, for the full-universe run, the firewall and the throttle's 403s for a while on top of every other fault.
CLIENT_LIMITS = {
    "firewall_requests_per_minute": 600,
    "firewall_block_s": 10,
    "throttle_requests_per_minute": 300,
    "throttle_block_s": 10,
}
# Under these rates the default policy's pauses of up to a minute and its slowing pace would stretch a full
# universe out a long way (docs/benchmarks.md, "Reliability"): the throttled run uses shorter pauses and a nearer floor.
THROTTLED_RUN_POLICY = RetryPolicy(
    throttled_base_s=1.0,
    throttled_cap_s=10.0,
    blocked_base_s=5.0,
    blocked_cap_s=30.0,
    throttled_interval_s=0.25,
    slowest_interval_s=1.0,
    quiet_answers=5,
    seed=7,
)
# Big and small reports, ETFs among them, for the throttled `bsr fetch`.
THROTTLING_CODES = ("2330", "2317", "0050", "00878", "2412", "2882", "2303", "2454", "1101", "2881", "006208", "2002")
ROLLOVER_SECURITIES = 40
ROLLOVER_AFTER = 10  # reports stored before the replica starts serving the next trading day
# Large and small reports, and a code the site does not know (查無資料), so that kills land in every step.
CRASH_CODES = ("2330", "2317", "0050", "00878", "2412", "2882", "9998")


def served_trade_date(base_url: str) -> date:
    root = base_url.split("/bshtm/")[0]
    return date.fromisoformat(httpx.get(f"{root}/replica/api/trade-date", timeout=10).json()["trade_date"])


def reports_served(base_url: str) -> int:
    return replica_stats(base_url)["reports_served"]


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
        environment = bsr_environment(folder, database_url)
        downloads, delay = rng.randint(1, reporting - 1), rng.uniform(0, 0.5)
        target = reports_served(base_url) + downloads
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        done = rerun.returncode == 0 and set(after) == set(CRASH_CODES)
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
    base_url: str,
    solver: Solver,
    database_url: str,
    folder: Path,
    done: list[str],
    limit: int,
    policy: RetryPolicy,
) -> FetchSummary:
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))
    try:
        options = FetchOptions(
            base_url=base_url,
            listing_url=replica_listing_url(base_url),
            evidence_dir=folder,
            limit=limit,
            concurrency=2,
            rate=0,
            max_attempts=8,
            policy=policy,
        )

        return await FetchJob(options, solver, store).run(on_done=lambda code, status: done.append(code))
    finally:
        await store.close()


def load_run(
    base_url: str,
    solver: Solver,
    folder: Path,
    limit: int,
    replica_pid: int,
    name: str = "load",
    policy: RetryPolicy | None = None,
) -> None:
    """The whole universe the replica lists, with the faults turned on, into a fresh SQLite database; the memory
    of this process and its Chromium (the replica's left out) sampled: PSS, as benchmarks.bot takes it."""
    database_url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    root = base_url.split("/bshtm/")[0]
    httpx.post(f"{root}/replica/api/stats/reset", timeout=10)
    load_before = os.getloadavg()[0]
    memory, done = TreeMemory(interval_s=1.0), []
    with memory.sampling(os.getpid(), lambda: len(done), skip_pids={replica_pid}):
        summary = asyncio.run(_load_job(base_url, solver, database_url, folder, done, limit, policy or RetryPolicy()))
    stats = httpx.get(f"{root}/replica/api/stats", timeout=10).json()
    stored, problems = stored_reports(database_url, summary.trade_date)
    n = len(done)
    first, last = memory.peak(high=300), memory.peak(low=n - 300, high=n + 1)
    served = {
        kind: count
        for kind, count in stats.items()
        if count and (kind.startswith("faults_") or kind in ("firewall_blocked", "throttled"))
    }
    table = Table(title=f"{name} run: every security the replica lists, 2 workers, no rate limit")
    table.add_column("figure")
    table.add_column("value")
    table.add_row("securities", f"{summary.planned} (universe: {summary.universe})")
    table.add_row(
        "stored / no trades / failed",
        f"{summary.statuses[SecurityStatus.STORED]} / "
        f"{summary.statuses[SecurityStatus.NO_TRADES]} / {summary.statuses[SecurityStatus.FAILED]}",
    )
    table.add_row("missing", ", ".join(f"{code}: {why}" for code, why in sorted(summary.missing.items())) or "none")
    table.add_row("flagged", str(summary.flagged or "none"))
    table.add_row(
        "captcha answers",
        f"{summary.answers} = {summary.attempts_per_report:.3f} per report "
        f"({ {str(outcome): n for outcome, n in summary.attempts.items()} })",
    )
    table.add_row("securities by answers taken", answers_per_report(summary))
    table.add_row("pauses of every worker", f"{summary.pauses}, {summary.paused_s:.0f} s in all")
    table.add_row("pace slowdowns", str(summary.slowdowns))
    table.add_row("errors met, by kind", ", ".join(f"{kind} {n}" for kind, n in summary.errors.most_common()) or "none")
    table.add_row("faults the replica served", ", ".join(f"{kind} {n}" for kind, n in served.items()) or "none")
    table.add_row("database", f"{len(stored)} reports; problems: {'; '.join(problems) or 'none'}")
    table.add_row(
        "wall time",
        f"{summary.duration_s / 60:.1f} min ({summary.planned / summary.duration_s * 60:.0f} "
        f"securities/min; load average {load_before:.1f} at the start)",
    )
    if first and last:
        table.add_row(
            "peak PSS (bot + Chromium) first 300 / last 300",
            f"{mib(first.total)} / {mib(last.total)} ({(last.total / first.total - 1) * 100:+.1f}%)",
        )
    console.print(table)
    for code, reason in sorted(summary.failures.items()):
        console.print(f"  failed {code}: {reason}")
    curve = [
        f"{sample.done}:{sample.total / 2**20:.0f}" for sample in memory.samples[:: max(1, len(memory.samples) // 20)]
    ]
    console.print(f"  memory curve (securities done: MiB): {' '.join(curve)}")


def throttled_fetch(base_url: str, folder: Path) -> None:
    """`bsr fetch` of THROTTLING_CODES at concurrency 2 as a subprocess under the 2026 throttling: every report
    stored whole, exit code 0, and no page taken for a redesign (nothing under BSR_DATA_DIR/site-changes)."""
    data_dir = folder / "throttled-fetch"
    database_url = f"sqlite:///{data_dir / 'bsr.sqlite3'}"
    data_dir.mkdir()
    trade_date = served_trade_date(base_url)
    command = bsr_fetch(base_url, THROTTLING_CODES, "--concurrency", "2")
    started = time.monotonic()
    run = subprocess.run(
        command, env=bsr_environment(data_dir, database_url), capture_output=True, text=True, check=False
    )
    wall_s = time.monotonic() - started
    stored, problems = stored_reports(database_url, trade_date)
    evidence = sorted(path.name for path in (data_dir / "site-changes").glob("*"))
    table = Table(title=f"bsr fetch of {len(THROTTLING_CODES)} securities, concurrency 2, under {THROTTLING_FAULTS}")
    table.add_column("figure")
    table.add_column("value")
    table.add_row("command", " ".join(["bsr", *command[3:]]))
    table.add_row("exit code", str(run.returncode))
    table.add_row(
        "stored whole",
        f"{len(set(stored) & set(THROTTLING_CODES))} / {len(THROTTLING_CODES)}; "
        f"problems: {'; '.join(problems) or 'none'}",
    )
    table.add_row("saved under site-changes", ", ".join(evidence) or "nothing")
    table.add_row("wall time", f"{wall_s:.0f} s")
    console.print(table)
    if run.returncode != 0 or evidence:
        console.print(run.stdout[-3000:], run.stderr[-3000:], soft_wrap=True)


def throttling_runs(base_url: str, solver: Solver, folder: Path, limit: int, replica_pid: int) -> None:
    """The 2026 throttling alone on a few securities through the CLI, then on the whole universe together with
    every older fault, the firewall and the throttle's 403s for a while."""
    turn_faults(base_url, {name: 0 for name in REALISTIC_FAULTS | CLIENT_LIMITS} | THROTTLING_FAULTS)
    throttled_fetch(base_url, folder)
    turn_faults(base_url, REALISTIC_FAULTS | THROTTLING_FAULTS | CLIENT_LIMITS)
    console.print(
        f"throttled run: faults {REALISTIC_FAULTS | THROTTLING_FAULTS | CLIENT_LIMITS}; {THROTTLED_RUN_POLICY}"
    )
    load_run(base_url, solver, folder, limit, replica_pid, name="throttled", policy=THROTTLED_RUN_POLICY)


def next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def _rollover_job(server: ReplicaServer, solver: Solver, database_url: str, folder: Path) -> FetchSummary:
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))
    next_day = next_weekday(server.config.trade_date)
    stored = 0

    def roll_over(code: str, status: str) -> None:
        nonlocal stored
        stored += status == SecurityStatus.STORED
        if stored == ROLLOVER_AFTER:
            server.config.trade_date = next_day

    try:
        options = FetchOptions(
            base_url=server.base_url,
            listing_url=server.listing_url,
            evidence_dir=folder,
            limit=ROLLOVER_SECURITIES,
            concurrency=2,
            rate=0,
        )
        return await FetchJob(options, solver, store).run(on_done=roll_over)
    finally:
        await store.close()


def rollover_run(replay: Path | None, solver: Solver, folder: Path) -> None:
    """A fetch of ROLLOVER_SECURITIES during which the replica starts serving the next trading day once
    ROLLOVER_AFTER reports are stored; each stored report is compared with the replica's report of its own day."""
    config = ReplicaConfig(captcha_source="replay", replay_dir=replay) if replay else ReplicaConfig()
    database_url = f"sqlite:///{folder / 'rollover.sqlite3'}"
    with ReplicaServer(config) as server:
        day = server.config.trade_date
        summary = asyncio.run(_rollover_job(server, solver, database_url, folder))
        market = server.state.market
    stored, problems = stored_reports(database_url, day)
    wrong_day, told_apart = [], 0
    for code, report in sorted(stored.items()):
        own, next_one = market.report(day, code), market.report(summary.rolled_over_to or next_weekday(day), code)
        if own is None:
            continue  # no trades: nothing to tell the days apart by
        if (report.records, report.bought) != (len(own.records), own.total_buy):
            wrong_day.append(code)
        told_apart += next_one is None or (len(next_one.records), next_one.total_buy) != (
            len(own.records),
            own.total_buy,
        )
    table = Table(
        title=f"rollover: {ROLLOVER_SECURITIES} securities, the replica serves the next day after "
        f"{ROLLOVER_AFTER} stored"
    )
    table.add_column("figure")
    table.add_column("value")
    table.add_row("run's trade date / rolled_over_to", f"{day} / {summary.rolled_over_to}")
    table.add_row(
        "stored / no trades / failed",
        f"{summary.statuses[SecurityStatus.STORED]} / "
        f"{summary.statuses[SecurityStatus.NO_TRADES]} / {summary.statuses[SecurityStatus.FAILED]}",
    )
    table.add_row(
        "stored under a date not their own",
        f"{len(wrong_day)} {wrong_day or ''} (of {len(stored)} "
        f"stored; {told_apart} of them differ from the next day's report)",
    )
    table.add_row("database problems", "; ".join(problems) or "none")
    table.add_row("not asked", f"{len(summary.not_asked)}")
    table.add_row("missing", f"{len(summary.missing)}: {', '.join(sorted(set(summary.missing.values()))) or 'none'}")
    table.add_row("errors met", ", ".join(f"{kind} {n}" for kind, n in summary.errors.most_common()) or "none")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crash-trials", type=int, default=20, help="SIGKILL trials (0: skip)")
    parser.add_argument(
        "--load", action=argparse.BooleanOptionalAction, default=True, help="run the full-universe load run"
    )
    parser.add_argument("--load-limit", type=int, default=0, help="securities in the load run (0: all)")
    parser.add_argument(
        "--throttling",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="the 2026 throttling: bsr fetch of 12 securities, then a full-universe run",
    )
    parser.add_argument(
        "--rollover",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="a fetch during which the site starts serving the next trading day",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill moments")
    parser.add_argument("--replay-dir", type=Path, default=get_settings().captcha_data)
    args = parser.parse_args()
    replay = args.replay_dir if (args.replay_dir / "labels.csv").is_file() else None
    solver = Solver.load(get_settings().model or None)
    console.print(f"model {solver.model_version}; captchas: {replay or 'synthetic'}")
    with tempfile.TemporaryDirectory() as scratch:
        if args.crash_trials or args.load or args.throttling:
            with replica_process(replay, console) as base_url:
                replica_pid = next(child.pid for child in psutil.Process().children() if "replica" in child.cmdline())
                turn_faults(base_url, REALISTIC_FAULTS)
                console.print(f"faults {REALISTIC_FAULTS}")
                if args.crash_trials:
                    crash_trials(base_url, args.crash_trials, args.seed, Path(scratch))
                if args.load:
                    load_run(base_url, solver, Path(scratch), args.load_limit, replica_pid)
                if args.throttling:
                    throttling_runs(base_url, solver, Path(scratch), args.load_limit, replica_pid)
        if args.rollover:
            rollover_run(replay, solver, Path(scratch))


if __name__ == "__main__":
    main()
