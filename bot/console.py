"""`bsr fetch` as a person sees it: a progress bar while the job runs, a summary table at the end.

Ctrl-C or SIGTERM once lets the queries in flight finish; a second time abandons them."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.browser import launch_browser
from bot.job import FetchJob, FetchOptions, FetchSummary, SecurityStatus, served_trade_date
from bot.schedule import DailyRun, RunResult, ScheduleOptions, serve
from solver import ModelNotFoundError, Solver, model_in_service
from storage import AsyncStore, Store
from storage.records import JobCounts, JobStatus

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequests:
    """Ctrl-C and SIGTERM: the first asks the running job to finish its queries, the next abandons them."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.job: FetchJob | None = None
        self.task: asyncio.Task | None = None
        self.stopping = asyncio.Event()

    def __enter__(self) -> StopRequests:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def _on_signal(self) -> None:
        if self.stopping.is_set() and self.task is not None:
            self.task.cancel()
            return
        self.stopping.set()
        if self.job is not None:
            self.console.print("[yellow]stopping: finishing the queries in flight (again to abandon them)[/]")
            self.job.request_stop()


async def fetch_with_progress(
    options: FetchOptions, solver: Solver, store: AsyncStore, console: Console, stops: StopRequests
) -> FetchSummary:
    job = FetchJob(options, solver, store)
    stops.job, stops.task = job, asyncio.current_task()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task("fetching", total=None, last="")

    def on_start(total: int) -> None:  # the bar shows once the date and the securities are known
        progress.update(task, total=total)
        progress.start()

    try:
        summary = await job.run(
            on_start=on_start,
            on_done=lambda code, status: progress.update(task, advance=1, last=f"{code} {status}"),
        )
    finally:
        if progress.live.is_started:
            progress.stop()
        stops.job = stops.task = None
    if summary.universe:
        console.print(f"universe: {summary.universe}")
    console.print(summary_table(summary))
    for code, reasons in sorted(summary.refused.items()):
        console.print(f"[yellow]refused[/] {code}, then fetched again: {'; '.join(reasons)}")
    for code, reasons in sorted(summary.flagged.items()):
        console.print(f"[yellow]flagged[/] {code}: stored as the site gave it again and again: {'; '.join(reasons)}")
    if summary.rolled_over_to is not None:
        console.print(
            f"[yellow]the site began serving {summary.rolled_over_to:%Y-%m-%d} during the run[/]: "
            f"nothing of it was stored under {summary.trade_date:%Y-%m-%d}"
        )
    for code, reason in sorted(summary.missing.items()):
        console.print(f"[red]missing[/] {code}: {reason}")
    return summary


def summary_table(summary: FetchSummary) -> Table:
    table = Table(title=f"Broker reports for {summary.trade_date:%Y-%m-%d}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("stored", summary.statuses[SecurityStatus.STORED]),
        ("no trades (查無資料)", summary.statuses[SecurityStatus.NO_TRADES]),
        ("failed", summary.statuses[SecurityStatus.FAILED]),
        ("not asked", len(summary.not_asked)),
        ("already stored before this run", summary.already_stored),
        ("captcha answers", summary.answers),
        ("attempts per report", f"{summary.attempts_per_report:.3f}"),
        ("answers per security", _histogram(summary.answers_per_security)),
        ("captchas refreshed unanswered", summary.refreshes),
        ("errors by kind", _histogram(summary.errors) or "none"),
        ("pauses of every worker", f"{summary.pauses} ({summary.paused_s:.1f} s)"),
        ("pace halved by throttling", summary.slowdowns),
        ("duration", f"{summary.duration_s:.1f} s"),
    ]
    if summary.stopped:
        rows.append(("stopped early", "yes: run again to resume"))
    for what, value in rows:
        table.add_row(what, str(value))
    return table


def _histogram(counts: Counter) -> str:
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items(), key=lambda item: str(item[0])))


async def fetch(options: FetchOptions, model: str, database_url: str, console: Console) -> FetchSummary:
    """`bsr fetch`: load the solver and the store, then run the job with a progress bar."""
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))
    try:
        with StopRequests(console) as stops:
            return await _fetch_once(options, model, store, console, stops)
    finally:
        await store.close()


async def load_solver(model: str, store: AsyncStore) -> Solver:
    """The model in service (solver.model_in_service): the one the user named in `model` (BSR_MODEL), else the
    store's active model version, else the newest shipped model."""
    chosen = model_in_service(model, await store.run(Store.list_model_versions))
    if chosen is None:
        raise ModelNotFoundError("no model is named in BSR_MODEL, active or shipped; train one with `bsr train`")
    return await asyncio.to_thread(Solver.load, chosen.path)


async def _fetch_once(
    options: FetchOptions, model: str, store: AsyncStore, console: Console, stops: StopRequests
) -> FetchSummary:
    # Loaded for every job, so that a newly promoted model version is used from the next job on.
    solver = await load_solver(model, store)
    console.print(f"solver {solver.model_version} on {solver.info['device']} ({solver.info['runtime']})")
    return await fetch_with_progress(options, solver, store, console, stops)


async def schedule(
    options: FetchOptions,
    schedule_options: ScheduleOptions,
    model: str,
    database_url: str,
    console: Console,
    on_finished: Callable[[RunResult], Awaitable[object]] | None = None,
) -> None:
    """`bsr schedule`: the daily job on trading days, until Ctrl-C or SIGTERM; `on_finished` hears how each
    run ended (the CLI sends its alerts)."""
    store = AsyncStore(await asyncio.to_thread(Store.open, database_url))

    async def read_served_date() -> date:
        async with launch_browser(options.chromium, options.headless) as browser:
            return await served_trade_date(browser, options.base_url, options.evidence_dir)

    async def fetch_day(trade_date: date) -> FetchSummary:
        return await _fetch_once(replace(options, trade_date=trade_date), model, store, console, stops)

    async def record_no_trading(trade_date: date) -> None:
        job_run_id = await store.run(Store.start_job_run, trade_date)
        await store.run(Store.finish_job_run, job_run_id, JobStatus.NO_TRADING, JobCounts())

    run = DailyRun(schedule_options, read_served_date, fetch_day, record_no_trading, on_finished=on_finished)
    try:
        with StopRequests(console) as stops:
            console.print(
                f"scheduled: {schedule_options.days} at {schedule_options.hour:02d}:"
                f"{schedule_options.minute:02d} {schedule_options.timezone}; Ctrl-C to stop"
            )
            await serve(schedule_options, run, stops.stopping)
    finally:
        await store.close()
