"""Bot figures for the README: attempts per stored report, overhead per query, throughput, memory.

Runs the replica in its own process (replaying the real captchas when they are there) and the real bot
with the shipped model into throw-away SQLite databases. Run from the repository root:
`.venv/bin/python -m benchmarks.bot --help`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Collection
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

from bot.job import FetchJob, FetchOptions, FetchSummary, SecurityStatus
from bot.pacing import RetryPolicy
from bsr.demo import REPLICA_LISTING_PATH, replica_process
from bsr.settings import get_settings
from solver import Solver
from storage import AsyncStore, Store

console = Console()


class MemorySampler:
    """Peak resident memory of this process and its Chromium children, sampled against progress.

    `skip_pids`: children that are not the bot's, such as a replica started from the same script."""

    def __init__(self, interval_s: float = 0.5, skip_pids: Collection[int] = ()) -> None:
        self.interval_s = interval_s
        self.skip_pids = set(skip_pids)
        self.samples: list[tuple[int, float]] = []  # (securities done, MiB)
        self.done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval_s):
            rss = 0
            for process in [me, *me.children(recursive=True)]:
                if process.pid in self.skip_pids:
                    continue
                try:
                    rss += process.memory_info().rss
                except psutil.Error:
                    pass
            self.samples.append((self.done, rss / 2**20))

    def peak_between(self, low: int, high: int) -> float:
        return max((mib for done, mib in self.samples if low <= done < high), default=float("nan"))


def replica_listing_url(base_url: str) -> str:
    """The replica's copy of the exchange's list of securities, beside its report site at `base_url`."""
    return base_url.removesuffix("/bshtm/") + REPLICA_LISTING_PATH


async def fetch(
    base_url: str,
    solver: Solver,
    limit: int,
    concurrency: int,
    on_done=None,  # noqa: ANN001
    policy: RetryPolicy | None = None,
) -> FetchSummary:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            options = FetchOptions(
                base_url=base_url,
                listing_url=replica_listing_url(base_url),
                evidence_dir=Path(folder),
                limit=limit,
                concurrency=concurrency,
                rate=0,
                policy=policy or RetryPolicy(),
            )
            return await FetchJob(options, solver, AsyncStore(store)).run(on_done=on_done)
        finally:
            store.close()


def reports_done(summary: FetchSummary) -> int:
    return summary.statuses[SecurityStatus.STORED] + summary.statuses[SecurityStatus.NO_TRADES]


def answers_per_report(summary: FetchSummary) -> str:
    """How many securities took 1, 2, ... captcha answers, e.g. `1: 118, 2: 2`."""
    return ", ".join(f"{n}: {count}" for n, count in sorted(summary.answers_per_security.items())) or "-"


def trouble(summary: FetchSummary) -> str:
    """Errors met by kind, pauses and slowdowns, flagged and missing securities: '-' for a clean run."""
    parts = [f"{kind} {n}" for kind, n in summary.errors.most_common()]
    if summary.pauses:
        parts.append(f"{summary.pauses} pauses ({summary.paused_s:.0f} s)")
    if summary.slowdowns:
        parts.append(f"{summary.slowdowns} slowdowns")
    if summary.flagged:
        parts.append(f"flagged {sorted(summary.flagged)}")
    if summary.missing:
        parts.append(f"missing {sorted(summary.missing)}")
    return "; ".join(parts) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--securities", type=int, default=120, help="securities per throughput run")
    parser.add_argument("--concurrency", default="1,2,4", help="worker counts to compare")
    parser.add_argument("--memory-run", type=int, default=1300, help="securities in the memory run (0: skip)")
    parser.add_argument("--replay-dir", type=Path, default=get_settings().captcha_data)
    args = parser.parse_args()
    replay = args.replay_dir if (args.replay_dir / "labels.csv").is_file() else None
    solver = Solver.load()
    console.print(f"model {solver.model_version} on {solver.info['device']}; captchas: {replay or 'synthetic'}")
    with replica_process(replay, console) as base_url:
        runs = Table(title=f"{args.securities} securities per run, replica, no rate limit")
        for column in ("workers", "reports", "s", "reports/min", "answers/report", "answers per security",
                       "overhead median ms", "overhead p90 ms", "failed", "errors, pauses, missing"):  # fmt: skip
            runs.add_column(column, justify="left" if column.startswith(("answers per", "errors")) else "right")
        answers = stored = 0
        for concurrency in (int(n) for n in args.concurrency.split(",")):
            summary = asyncio.run(fetch(base_url, solver, args.securities, concurrency))
            done = reports_done(summary)
            answers, stored = answers + summary.answers, stored + done
            runs.add_row(
                str(concurrency), str(done), f"{summary.duration_s:.1f}", f"{done / summary.duration_s * 60:.0f}",
                f"{summary.attempts_per_report:.4f}", answers_per_report(summary),
                f"{statistics.median(summary.overheads_ms):.1f}",
                f"{statistics.quantiles(summary.overheads_ms, n=10)[-1]:.1f}",
                str(len(summary.failures)), trouble(summary),
            )  # fmt: skip
        console.print(runs)
        console.print(f"all runs: {answers} answers for {stored} reports = {answers / stored:.4f} attempts per report")
        if args.memory_run:
            with MemorySampler() as memory:

                def advance(code: str, status: str) -> None:
                    memory.done += 1

                started = time.monotonic()
                summary = asyncio.run(fetch(base_url, solver, args.memory_run, 2, on_done=advance))
            n = memory.done
            first, last = memory.peak_between(0, 300), memory.peak_between(n - 300, n + 1)
            table = Table(title=f"memory run: {args.memory_run} securities at concurrency 2")
            table.add_column("figure")
            table.add_column("value", justify="right")
            table.add_row("securities done", f"{n} ({reports_done(summary)} reports, {len(summary.failures)} failed)")
            table.add_row("wall time", f"{time.monotonic() - started:.0f} s")
            table.add_row("attempts per report", f"{summary.attempts_per_report:.4f} ({ {str(outcome): n for outcome, n in summary.attempts.items()} })")
            table.add_row("answers per security", answers_per_report(summary))
            table.add_row("errors, pauses, missing", trouble(summary))
            table.add_row("peak RSS first 300 / last 300", f"{first:.0f} / {last:.0f} MiB ({(last / first - 1) * 100:+.1f}%)")
            console.print(table)

if __name__ == "__main__":
    main()
