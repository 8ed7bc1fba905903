"""The daily job: fetch every security's report for one trade date, politely, storing each whole.

Workers share a queue of security codes, one rate limit and one firewall gate; every solve attempt is
recorded; a stop request lets in-flight queries finish, and a rerun resumes where a run stopped."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import structlog
from playwright.async_api import Browser, BrowserContext

from bot.browser import launch_browser
from bot.errors import (
    BlockedError,
    ReportFormatError,
    SiteChangedError,
    SiteUnreachableError,
    TradeDateNotServedError,
    TransientSiteError,
)
from bot.pacing import Pacing, RetryPolicy
from bot.query import Outcome, ReportForm
from bot.report_csv import parse_report
from bot.universe import load_universe
from solver import Solution, Solver
from solver.errors import SolverInputError
from storage import AsyncStore
from storage.errors import InvalidReportError, ReportMismatchError
from storage.records import Attempt, AttemptOutcome, JobStatus, Report

log = structlog.get_logger("bot.job")
SERVED_DATE_TRIES = 3
HEARTBEAT_S = 30.0  # a run silent for storage.store.JOB_RUN_LOST_AFTER was killed

ATTEMPT_OUTCOMES = {
    Outcome.REPORT: AttemptOutcome.ACCEPTED,
    Outcome.NO_DATA: AttemptOutcome.ACCEPTED,  # the site checks the captcha before it looks for data
    Outcome.WRONG_CAPTCHA: AttemptOutcome.REJECTED,
    Outcome.EXPIRED_CAPTCHA: AttemptOutcome.EXPIRED,
}


@dataclass(frozen=True)
class FetchOptions:
    """Everything one run of `bsr fetch` is told."""

    base_url: str
    evidence_dir: Path
    trade_date: date | None = None  # None: the date the site serves now (Label_Date)
    stock_codes: tuple[str, ...] = ()  # empty: the universe
    universe: str = "all"
    limit: int = 0  # only the first N securities of the universe; 0: all of them
    concurrency: int = 1
    rate: float = 1.0  # queries per second across all workers; 0 lifts the limit
    max_attempts: int = 5
    min_confidence: float = 0.0  # below this, take a fresh captcha instead of answering
    headless: bool = True
    chromium: str = ""
    recycle_after: int = 200  # queries per browser context, so that memory stays flat
    timeout_s: float = 30.0
    answer_delay_s: float = 0.0  # submit no sooner after the captcha loaded (the site's minimum delay)
    heartbeat_s: float = HEARTBEAT_S  # how often the job run's sign of life is stored
    policy: RetryPolicy = field(default_factory=RetryPolicy)


class SecurityStatus:
    STORED = "stored"
    NO_TRADES = "no_trades"
    FAILED = "failed"
    SKIPPED = "skipped"  # stopped before its turn


@dataclass
class FetchSummary:
    """What a run did, for the summary table and the job-run row."""

    trade_date: date
    planned: int = 0  # securities this run set out to fetch
    already_stored: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)
    attempts: Counter[str] = field(default_factory=Counter)
    refreshes: int = 0
    overheads_ms: list[float] = field(default_factory=list)  # per security: wall time less the site's time
    duration_s: float = 0.0
    stopped: bool = False

    @property
    def answers(self) -> int:
        return sum(self.attempts.values())

    @property
    def attempts_per_report(self) -> float:
        done = self.statuses[SecurityStatus.STORED] + self.statuses[SecurityStatus.NO_TRADES]
        return self.answers / done if done else 0.0

    def counts(self) -> dict[str, int]:
        attempts = {f"attempts_{name}": n for name, n in self.attempts.items()}
        return {"planned": self.planned, "already_stored": self.already_stored, **self.statuses, **attempts}


ProgressCallback = Callable[[str, str], None]


class FetchJob:
    """One run: resolve the date and the securities, then let the workers drain the queue."""

    def __init__(self, options: FetchOptions, solver: Solver, store: AsyncStore) -> None:
        self.options = options
        self.solver = solver
        self.store = store
        self.stop_requested = asyncio.Event()
        self.pacing = Pacing(options.rate, options.policy)

    def request_stop(self) -> None:
        """Finish the queries in flight, start no new one."""
        self.stop_requested.set()

    async def run(
        self, on_start: Callable[[int], None] | None = None, on_done: ProgressCallback | None = None
    ) -> FetchSummary:
        started = time.monotonic()
        async with launch_browser(self.options.chromium, self.options.headless) as browser:
            trade_date = await self._trade_date(browser)
            summary = FetchSummary(trade_date=trade_date)
            codes = await self._pending_codes(trade_date, summary)
            summary.planned = len(codes)
            if on_start:
                on_start(len(codes))
            job_run_id = await self.store.start_job_run(trade_date)
            heartbeat = asyncio.create_task(self._beat(job_run_id))
            queue: asyncio.Queue[str] = asyncio.Queue()
            for code in codes:
                queue.put_nowait(code)
            status = JobStatus.FAILED
            try:
                workers = [
                    asyncio.create_task(self._worker(browser, queue, summary, job_run_id, on_done))
                    for _ in range(max(1, min(self.options.concurrency, len(codes))))
                ]
                # A worker that fails for good (a changed site) asks the others to stop; they finish their
                # query in flight, and then its error reaches the user.
                ended = await asyncio.gather(*workers, return_exceptions=True)
                for outcome in ended:
                    if isinstance(outcome, BaseException):
                        raise outcome
                summary.stopped = self.stop_requested.is_set()
                if summary.stopped:
                    status = JobStatus.INTERRUPTED
                elif not summary.failures:
                    status = JobStatus.SUCCEEDED
            except asyncio.CancelledError:  # a second Ctrl-C abandoned the queries in flight
                status = JobStatus.INTERRUPTED
                raise
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
                summary.duration_s = time.monotonic() - started
                await self.store.finish_job_run(job_run_id, status, summary.counts())
        log.info("fetch finished", trade_date=str(trade_date), status=status.value, **summary.counts())
        return summary

    async def _beat(self, job_run_id: int) -> None:
        """Stores the run's sign of life while it works, also through long pauses, so that a killed run can
        be told from a slow one."""
        while True:
            await asyncio.sleep(self.options.heartbeat_s)
            await self.store.beat_job_run(job_run_id)

    async def _trade_date(self, browser: Browser) -> date:
        # One HTTP 500 or dropped connection must not cost the day's run; a wrong URL still fails within seconds.
        for failures in range(1, SERVED_DATE_TRIES + 1):
            try:
                served = await served_trade_date(browser, self.options.base_url, self.options.evidence_dir)
                break
            except SiteUnreachableError as error:
                if failures == SERVED_DATE_TRIES:
                    raise
                log.warning("retrying", step="served trade date", error=str(error))
                await asyncio.sleep(self.options.policy.transient_delay(failures))
        wanted = self.options.trade_date
        if wanted is not None and wanted != served:
            raise TradeDateNotServedError(wanted, served)
        return served

    async def _pending_codes(self, trade_date: date, summary: FetchSummary) -> list[str]:
        if self.options.stock_codes:
            codes = list(dict.fromkeys(self.options.stock_codes))
        else:
            securities = await asyncio.to_thread(load_universe, self.options.universe, self.options.base_url)
            await self.store.upsert_securities(securities)
            codes = [security.code for security in securities][: self.options.limit or None]
        stored = await self.store.stored_codes(trade_date)
        summary.already_stored = sum(code in stored for code in codes)
        return [code for code in codes if code not in stored]

    async def _worker(
        self,
        browser: Browser,
        queue: asyncio.Queue[str],
        summary: FetchSummary,
        job_run_id: int,
        on_done: ProgressCallback | None,
    ) -> None:
        context: BrowserContext | None = None
        form: ReportForm | None = None
        queries = 0
        try:
            while not self.stop_requested.is_set():
                try:
                    code = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if form is None or queries >= self.options.recycle_after:
                    if context is not None:
                        await context.close()
                    context = await browser.new_context()
                    form = await ReportForm.open_in(
                        context, self.options.base_url, self.options.evidence_dir, self.options.timeout_s
                    )
                    queries = 0
                started, site_before = time.perf_counter(), form.site_s
                status, tries = await self._fetch_security(form, code, summary, job_run_id)
                summary.overheads_ms.append(
                    (time.perf_counter() - started - (form.site_s - site_before)) * 1000
                )
                queries += tries
                summary.statuses[status] += 1
                await self.store.update_job_run_counts(job_run_id, summary.counts())  # for the dashboard
                if on_done:
                    on_done(code, status)
        except BaseException:
            # What escapes a query (a changed site, a lost database) ends the run: retrying would not help.
            self.request_stop()
            raise
        finally:
            if context is not None:
                await context.close()

    async def _fetch_security(
        self, form: ReportForm, code: str, summary: FetchSummary, job_run_id: int
    ) -> tuple[str, int]:
        """One security, from a fresh captcha to a stored report; its status and how many tries it took."""
        options = self.options
        tries = failures = 0
        reason = "no try was made"
        submitted = None
        while tries < options.max_attempts:
            await self.pacing.wait_turn()
            tries += 1
            try:
                if not form.has_captcha:
                    await form.open_form()
                image = await form.read_captcha()
                solve_started = time.perf_counter()
                solution = await self.solver.solve_async(image)
                solve_ms = (time.perf_counter() - solve_started) * 1000
                if solution.confidence < options.min_confidence:
                    summary.refreshes += 1
                    tries -= 1  # a refresh spends no answer; the limit below keeps it finite
                    if summary.refreshes > options.max_attempts * 1000:
                        raise TransientSiteError("the solver is unsure of every captcha")
                    await form.open_form()
                    continue
                submitted = solution
                await form.submit(code, solution.text, options.answer_delay_s)
                outcome = await form.outcome()
                submitted = None
                await self._record(code, job_run_id, image, solution, solve_ms, ATTEMPT_OUTCOMES[outcome])
                summary.attempts[ATTEMPT_OUTCOMES[outcome].value] += 1
                self.pacing.unblocked()
                if outcome is Outcome.REPORT:
                    raw, rec_count = await form.download_csv()
                    report = parse_report(raw, code, summary.trade_date, rec_count, datetime.now(UTC))
                    await self.store.save_report(report)
                    return SecurityStatus.STORED, tries
                if outcome is Outcome.NO_DATA:
                    await self.store.save_report(
                        Report(summary.trade_date, code, 0, (), b"", datetime.now(UTC), no_trades=True)
                    )
                    return SecurityStatus.NO_TRADES, tries
                reason = f"the site said {outcome.value}"
            except (
                BlockedError,
                TransientSiteError,
                ReportFormatError,
                ReportMismatchError,
                InvalidReportError,
                SolverInputError,  # a captcha body that only looks like an image: take a fresh one
            ) as error:
                reason = str(error)
                form.discard_captcha()
                if submitted is not None:  # answered, but the site's verdict never came back
                    await self._record(code, job_run_id, image, submitted, solve_ms, AttemptOutcome.ERROR)
                    summary.attempts[AttemptOutcome.ERROR.value] += 1
                    submitted = None
                if isinstance(error, BlockedError):
                    log.warning("blocked by the site's firewall", stock_code=code)
                    await self.pacing.blocked()
                else:
                    failures += 1
                    log.warning("retrying", stock_code=code, error=reason)
                    await asyncio.sleep(options.policy.transient_delay(failures))
        summary.failures[code] = reason
        return SecurityStatus.FAILED, tries

    async def _record(
        self,
        code: str,
        job_run_id: int,
        image: bytes,
        solution: Solution,
        solve_ms: float,
        outcome: AttemptOutcome,
    ) -> None:
        await self.store.record_attempt(
            Attempt(
                attempted_at=datetime.now(UTC),
                job_run_id=job_run_id,
                stock_code=code,
                image=image,
                model_version=solution.model_version,
                guess=solution.text,
                confidence=solution.confidence,
                latency_ms=solve_ms,
                outcome=outcome,
            )
        )


async def served_trade_date(browser: Browser, base_url: str, evidence_dir: Path) -> date:
    """The trade date the site serves now; a site that answers nothing usable is unreachable."""
    context = await browser.new_context()
    try:
        form = await ReportForm.open_in(context, base_url, evidence_dir)
        return await form.read_trade_date()
    except (TransientSiteError, SiteChangedError) as error:
        raise SiteUnreachableError(base_url, str(error)) from error
    finally:
        await context.close()
