"""The daily job: every listed security's report of one trade date, fetched politely and stored whole. Workers
share a queue and one pace; each error is handled as the retry policy says; a rerun resumes where a run stopped."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import structlog
from playwright.async_api import Browser, BrowserContext

from bot.browser import launch_browser, person_context, person_user_agent
from bot.errors import (
    BlockedError,
    BotError,
    ReportDoubtedError,
    ReportFormatError,
    SiteChangedError,
    SiteRolledOverError,
    SiteUnreachableError,
    ThrottledError,
    TradeDateNotServedError,
    TransientSiteError,
)
from bot.options import FetchOptions
from bot.pacing import HANDLED_ERRORS, ErrorAction, ErrorKind, Pacing
from bot.query import Outcome, ReportForm
from bot.report_csv import parse_report
from bot.report_view import read_report_view
from bot.universe import resolve_universe
from solver import Solution, Solver
from storage import AsyncStore, Store
from storage.records import Attempt, AttemptOutcome, JobCounts, JobStatus, Missing, MissingReason, Report
from storage.report_checks import Doubt, DoubtKind, check_report, report_doubts

log = structlog.get_logger("bot.job")
# The site opened to read the trade date becomes the first worker's, captcha and all, unless that captcha is
# older than this (the site expires them after about 90 s): the list of securities may have been slow to read.
FRESH_CAPTCHA_S = 60.0

ATTEMPT_OUTCOMES = {
    Outcome.REPORT: AttemptOutcome.ACCEPTED,
    Outcome.NO_DATA: AttemptOutcome.ACCEPTED,  # the site checks the captcha before it looks for data
    Outcome.WRONG_CAPTCHA: AttemptOutcome.REJECTED,
    Outcome.EXPIRED_CAPTCHA: AttemptOutcome.EXPIRED,
}
REJECTED_ANSWERS = {Outcome.WRONG_CAPTCHA: ErrorKind.WRONG_CAPTCHA, Outcome.EXPIRED_CAPTCHA: ErrorKind.EXPIRED_CAPTCHA}


class SecurityStatus(StrEnum):
    """How one security ended in a run."""

    STORED = "stored"
    NO_TRADES = "no_trades"
    FAILED = "failed"


@dataclass
class SecurityFetch:
    """One security's way through a run, as crawlee's Request carries its own: what it took, what went wrong and
    how it ended; the run's summary folds it in once it ended (FetchSummary.add)."""

    code: str
    status: SecurityStatus | None = None  # None: not asked for, the site having moved on to the next day
    answers: int = 0  # captcha answers given: what max_attempts bounds
    attempts: Counter[AttemptOutcome] = field(default_factory=Counter)  # the answers by the site's verdict
    refreshes: int = 0  # captchas left unanswered for a fresh one, the solver being unsure
    failures: int = 0  # network errors, timeouts, 5xx, refused downloads: the backoff grows with them
    throttled: int = 0  # signs of throttling met: they pause everyone and cost no answer
    doubts: Counter[DoubtKind] = field(default_factory=Counter)  # downloads each kind of doubt met
    last_error: str = "no try was made"
    errors: Counter[ErrorKind] = field(default_factory=Counter)  # by kind, for the run's statistics
    refusals: list[str] = field(default_factory=list)  # downloads a check refused, and why
    flags: tuple[str, ...] = ()  # the doubts the stored report is flagged with
    overhead_ms: float = 0.0  # wall time less the site's time

    @property
    def queries(self) -> int:
        """Trips to the site it took, each one query of the browser context's."""
        return self.answers + self.failures + self.throttled


@dataclass
class FetchSummary:
    """What a run did, for the summary table and the job-run row."""

    trade_date: date
    planned: int = 0  # securities this run set out to fetch
    already_stored: int = 0
    statuses: Counter[SecurityStatus] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)
    not_asked: list[str] = field(default_factory=list)  # left in the queue when the run stopped
    attempts: Counter[AttemptOutcome] = field(default_factory=Counter)
    refreshes: int = 0
    errors: Counter[ErrorKind] = field(default_factory=Counter)  # every error met, by kind
    answers_per_security: Counter[int] = field(default_factory=Counter)  # how many securities took N answers
    pauses: int = 0  # times every worker paused together (firewall, throttling)
    paused_s: float = 0.0
    slowdowns: int = 0  # times throttling halved the pace
    overheads_ms: list[float] = field(default_factory=list)  # per security: wall time less the site's time
    duration_s: float = 0.0
    stopped: bool = False
    rolled_over_to: date | None = None  # the site began serving this day while the run went on
    universe: str = ""  # where the securities came from, when the universe was read
    flagged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # stored flagged, with the reasons
    refused: dict[str, list[str]] = field(default_factory=dict)  # downloads a check refused, by security

    @property
    def answers(self) -> int:
        return sum(self.attempts.values())

    def add(self, fetch: SecurityFetch) -> None:
        """One security's way through the run, once it ended: the only place the summary grows."""
        self.attempts.update(fetch.attempts)
        self.refreshes += fetch.refreshes
        self.errors.update(fetch.errors)
        if fetch.status is None:  # back in the queue, not asked for under this day
            return
        self.statuses[fetch.status] += 1
        self.answers_per_security[fetch.answers] += 1
        self.overheads_ms.append(fetch.overhead_ms)
        if fetch.status is SecurityStatus.FAILED:
            self.failures[fetch.code] = fetch.last_error
        if fetch.refusals:
            self.refused[fetch.code] = fetch.refusals
        if fetch.flags:
            self.flagged[fetch.code] = fetch.flags

    @property
    def attempts_per_report(self) -> float:
        done = self.statuses[SecurityStatus.STORED] + self.statuses[SecurityStatus.NO_TRADES]
        return self.answers / done if done else 0.0

    @property
    def missing(self) -> dict[str, Missing]:
        """Securities this run set out to fetch and did not store, with why."""
        if self.rolled_over_to is not None:
            why = Missing(MissingReason.ROLLED_OVER, f"{self.rolled_over_to:%Y-%m-%d}")
        else:
            why = Missing(MissingReason.STOPPED)
        failed = {code: Missing(MissingReason.FAILED, error) for code, error in self.failures.items()}
        return failed | dict.fromkeys(self.not_asked, why)

    def counts(self) -> JobCounts:
        return JobCounts(
            planned=self.planned,
            already_stored=self.already_stored,
            stored=self.statuses[SecurityStatus.STORED],
            no_trades=self.statuses[SecurityStatus.NO_TRADES],
            failed=self.statuses[SecurityStatus.FAILED],
            not_asked=len(self.not_asked),
            refused=sum(len(reasons) for reasons in self.refused.values()),
            flagged=len(self.flagged),
            pauses=self.pauses,
            attempts_accepted=self.attempts[AttemptOutcome.ACCEPTED],
            attempts_rejected=self.attempts[AttemptOutcome.REJECTED],
            attempts_expired=self.attempts[AttemptOutcome.EXPIRED],
            attempts_error=self.attempts[AttemptOutcome.ERROR],
        )


ProgressCallback = Callable[[str, str], None]


class FetchJob:
    """One run: resolve the date and the securities, then let the workers drain the queue."""

    def __init__(self, options: FetchOptions, solver: Solver, store: AsyncStore) -> None:
        self.options = options
        self.solver = solver
        self.store = store
        self.stop_requested = asyncio.Event()
        self.pacing = Pacing(options.rate, options.policy)
        self._formless_in_a_row = 0  # complete pages without the form, across workers
        self._rolled_over_to: date | None = None
        self._opened: list[tuple[BrowserContext, ReportForm]] = []  # the site as the trade date was read

    def request_stop(self) -> None:
        """Finish the queries in flight, start no new one."""
        self.stop_requested.set()

    async def run(
        self, on_start: Callable[[int], None] | None = None, on_done: ProgressCallback | None = None
    ) -> FetchSummary:
        started = time.monotonic()
        async with launch_browser(self.options.chromium, self.options.headless) as browser:
            user_agent = await person_user_agent(browser)
            launched = time.monotonic()
            trade_date = await self._trade_date(browser, user_agent)
            dated = time.monotonic()
            summary = FetchSummary(trade_date=trade_date)
            codes = await self._pending_codes(trade_date, summary)
            summary.planned = len(codes)
            if on_start:
                on_start(len(codes))
            job_run_id = await self.store.run(Store.start_job_run, trade_date)
            start_s = {"browser": launched - started, "served date": dated - launched}
            start_s["securities"] = time.monotonic() - dated
            log.info(
                "fetch started",
                trade_date=str(trade_date),
                planned=len(codes),
                start_s={step: round(seconds, 3) for step, seconds in start_s.items()},
            )
            heartbeat = asyncio.create_task(self._beat(job_run_id))
            queue: asyncio.Queue[str] = asyncio.Queue()
            for code in codes:
                queue.put_nowait(code)
            status = JobStatus.FAILED
            try:
                workers = [
                    asyncio.create_task(self._worker(browser, user_agent, queue, summary, job_run_id, on_done))
                    for _ in range(max(1, min(self.options.concurrency, len(codes))))
                ]
                # A worker that fails for good (a changed site) asks the others to stop; they finish their
                # query in flight, and then its error reaches the user.
                ended = await asyncio.gather(*workers, return_exceptions=True)
                for outcome in ended:
                    if isinstance(outcome, BaseException):
                        raise outcome
                summary.rolled_over_to = self._rolled_over_to
                summary.stopped = self.stop_requested.is_set() and self._rolled_over_to is None
                if summary.stopped:
                    status = JobStatus.INTERRUPTED
                elif not summary.failures and summary.rolled_over_to is None:
                    status = JobStatus.SUCCEEDED
            except asyncio.CancelledError:  # a second Ctrl-C abandoned the queries in flight
                status = JobStatus.INTERRUPTED
                raise
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
                for context, _ in self._opened:  # no worker took it
                    await context.close()
                summary.not_asked = [queue.get_nowait() for _ in range(queue.qsize())]
                summary.pauses, summary.paused_s = self.pacing.pauses, self.pacing.paused_s
                summary.slowdowns = self.pacing.slowdowns
                summary.duration_s = time.monotonic() - started
                await self.store.run(
                    Store.finish_job_run, job_run_id, status, summary.counts(), missing=summary.missing
                )
        log.info("fetch finished", trade_date=str(trade_date), status=status.value, **summary.counts().to_json())
        return summary

    async def _beat(self, job_run_id: int) -> None:
        """Stores the run's sign of life while it works, also through long pauses, so that a killed run can
        be told from a slow one."""
        while True:
            await asyncio.sleep(self.options.heartbeat_s)
            await self.store.run(Store.beat_job_run, job_run_id)

    async def _trade_date(self, browser: Browser, user_agent: str) -> date:
        """The trade date the site serves, read as a person opens the site; the site stays open for the first
        worker."""
        # A wrong URL still fails within seconds.
        options = self.options
        for failures in range(1, options.policy.served_date_tries + 1):
            try:
                context, form, served = await open_site(
                    browser, options.base_url, options.evidence_dir, user_agent, options.timeout_s
                )
                break
            except SiteUnreachableError as error:
                if failures == options.policy.served_date_tries:
                    raise
                log.warning("retrying", step="served trade date", error=str(error))
                await asyncio.sleep(self.pacing.jittered(options.policy.transient_delay(failures)))
        wanted = options.trade_date
        if wanted is not None and wanted != served:
            await context.close()
            raise TradeDateNotServedError(wanted, served)
        self._opened.append((context, form))
        return served

    async def _pending_codes(self, trade_date: date, summary: FetchSummary) -> list[str]:
        if self.options.stock_codes:
            codes = list(dict.fromkeys(self.options.stock_codes))
        else:
            universe = await resolve_universe(self.options.universe, self.options.listing_url, self.store, trade_date)
            summary.universe = universe.note
            if universe.source in ("stored", "twstock"):
                log.warning("universe", note=universe.note)
            codes = [security.code for security in universe.securities][: self.options.limit or None]
        stored = await self.store.run(Store.stored_codes, trade_date)
        summary.already_stored = sum(code in stored for code in codes)
        return [code for code in codes if code not in stored]

    async def _worker(
        self,
        browser: Browser,
        user_agent: str,
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
                    context, form = await self._site_for_worker(browser, user_agent)
                    queries = 0
                fetch = await self._fetch_security(form, code, summary.trade_date, job_run_id)
                summary.add(fetch)
                if fetch.status is None:  # the site moved on to the next day: this one was not asked for
                    queue.put_nowait(code)
                    return
                queries += fetch.queries
                # The counts so far, for the dashboard.
                await self.store.run(Store.update_job_run_counts, job_run_id, summary.counts())
                if on_done:
                    on_done(code, fetch.status)
        except BaseException:
            # What escapes a query (a changed site, a lost database) ends the run: retrying would not help.
            self.request_stop()
            raise
        finally:
            if context is not None:
                await context.close()

    async def _site_for_worker(self, browser: Browser, user_agent: str) -> tuple[BrowserContext, ReportForm]:
        """The site opened for the trade date, else a new context whose form opens it at its first query."""
        if self._opened:
            context, form = self._opened.pop()
            if form.captcha_age_s > FRESH_CAPTCHA_S:
                form.discard_captcha()
            return context, form
        context = await person_context(browser, user_agent)
        options = self.options
        form = await ReportForm.open_in(context, options.base_url, options.evidence_dir, options.timeout_s)
        return context, form

    async def _fetch_security(self, form: ReportForm, code: str, trade_date: date, job_run_id: int) -> SecurityFetch:
        """One security, from a fresh captcha to a stored report, each error met handled as the retry policy
        says; its status None when the site rolled over to the next trading day, so that it is not asked for
        under the old one."""
        options, policy = self.options, self.options.policy
        fetch = SecurityFetch(code)
        started, site_before = time.perf_counter(), form.site_s
        while (
            fetch.answers < options.max_attempts
            and fetch.failures < options.max_attempts
            and fetch.throttled < policy.max_throttled
        ):
            if self._rolled_over_to is not None:
                break
            await self.pacing.wait_turn()
            try:
                fetch.status = await self._try(form, fetch, trade_date, job_run_id)
            except HANDLED_ERRORS as error:
                if not await self._handle(error, fetch, form):
                    break
            if fetch.status is not None:
                break
        else:
            fetch.status = SecurityStatus.FAILED
        fetch.overhead_ms = (time.perf_counter() - started - (form.site_s - site_before)) * 1000
        return fetch

    async def _handle(self, error: Exception, fetch: SecurityFetch, form: ReportForm) -> bool:
        """Does what the retry policy says of `error`; False when the security is not to be tried again."""
        policy = self.options.policy
        rule = policy.rule_for(error)
        fetch.errors[rule.kind] += 1
        fetch.last_error = str(error)
        if rule.action is ErrorAction.GIVE_UP:
            assert isinstance(error, SiteRolledOverError)
            log.warning("the site rolled over", stock_code=fetch.code, error=str(error))
            self._rolled_over_to = error.served
            self.request_stop()
            return False
        form.discard_captcha()
        if rule.action is ErrorAction.RETRY_NOW:
            self._formless_in_a_row += 1
            if self._formless_in_a_row >= policy.site_changed_after:
                raise error
        elif rule.action is ErrorAction.SLOW_DOWN:
            assert isinstance(error, ThrottledError)
            fetch.throttled += 1
            log.warning("throttled", stock_code=fetch.code, error=error.what)
            await self.pacing.throttled()
        elif rule.action is ErrorAction.PAUSE_ALL:
            log.warning("blocked by the site's firewall", stock_code=fetch.code)
            await self.pacing.blocked()
        else:  # BACK_OFF, REFUSE
            if rule.action is ErrorAction.REFUSE:
                fetch.refusals.append(str(error))
            fetch.failures += 1
            log.warning("retrying", stock_code=fetch.code, error=str(error))
            await asyncio.sleep(self.pacing.jittered(policy.transient_delay(fetch.failures)))
        return True

    async def _try(
        self, form: ReportForm, fetch: SecurityFetch, trade_date: date, job_run_id: int
    ) -> SecurityStatus | None:
        """One captcha answered and what follows it; None when the answer leaves the security to try again."""
        options = self.options
        if not form.has_captcha:
            await form.open_form()
        self._formless_in_a_row = 0
        image = await form.read_captcha()
        solve_started = time.perf_counter()
        solution = await self.solver.solve_async(image)
        solve_ms = (time.perf_counter() - solve_started) * 1000
        if solution.confidence < options.min_confidence:
            fetch.refreshes += 1  # a refresh spends no answer; the limit below keeps it finite
            if fetch.refreshes > options.max_attempts * 1000:
                raise TransientSiteError("the solver is unsure of every captcha")
            await form.open_form()
            return None
        fetch.answers += 1
        try:
            await form.submit(fetch.code, solution.text, options.answer_delay_s)
            outcome = await form.outcome()
        except BotError:  # answered, but the site's verdict never came back
            await self._record(fetch.code, job_run_id, image, solution, solve_ms, AttemptOutcome.ERROR)
            fetch.attempts[AttemptOutcome.ERROR] += 1
            raise
        self._formless_in_a_row = 0
        await self._record(fetch.code, job_run_id, image, solution, solve_ms, ATTEMPT_OUTCOMES[outcome])
        fetch.attempts[ATTEMPT_OUTCOMES[outcome]] += 1
        self.pacing.answered()
        if outcome is Outcome.REPORT:
            return await self._store_report(form, fetch, trade_date)
        if outcome is Outcome.NO_DATA:
            await self.store.run(
                Store.save_report,
                Report(trade_date, fetch.code, 0, (), b"", datetime.now(UTC), no_trades=True),
            )
            return SecurityStatus.NO_TRADES
        fetch.last_error = f"the site said {outcome.value}"
        fetch.errors[REJECTED_ANSWERS[outcome]] += 1
        return None

    async def _store_report(self, form: ReportForm, fetch: SecurityFetch, trade_date: date) -> SecurityStatus:
        """The report view the answer opened, then the CSV: refused unless whole, fetched again while a doubt
        is young, stored whole (flagged with the doubts that persisted).

        The view alone carries the report's date: one of another day means the site has rolled over."""
        doubts: list[Doubt] = []
        figures = None
        # The view's markup rests on scrapers' parsers of a 2022 page, not on a capture of 2026 (SITE.md): one
        # the bot cannot read, or of another security, doubts the report and never loses it.
        try:
            view = read_report_view(await form.read_report_view())
        except ReportFormatError as error:
            doubts.append(Doubt(DoubtKind.VIEW, f"the report view could not be read ({error})"))
        else:
            if view.stock_code != fetch.code:
                doubts.append(Doubt(DoubtKind.VIEW, f"the report view shows {view.stock_code}, not {fetch.code}"))
            elif view.figures.trade_date != trade_date:
                raise SiteRolledOverError(trade_date, view.figures.trade_date)
            else:
                figures = view.figures
        raw, rec_count = await form.download_csv()
        report = replace(parse_report(raw, fetch.code, trade_date, rec_count, datetime.now(UTC)), figures=figures)
        check_report(report)
        doubts += report_doubts(report)
        if doubts:
            fetch.doubts.update({doubt.kind for doubt in doubts})
            if any(fetch.doubts[doubt.kind] < self.options.policy.doubted_downloads[doubt.kind] for doubt in doubts):
                raise ReportDoubtedError(fetch.code, [doubt.reason for doubt in doubts])
            fetch.flags = tuple(doubt.reason for doubt in doubts)
            report = replace(report, flags=fetch.flags)
            log.warning("stored flagged", stock_code=fetch.code, flags=list(report.flags))
        await self.store.run(Store.save_report, report)
        return SecurityStatus.STORED

    async def _record(
        self,
        code: str,
        job_run_id: int,
        image: bytes,
        solution: Solution,
        solve_ms: float,
        outcome: AttemptOutcome,
    ) -> None:
        await self.store.run(Store.record_attempt, solve_attempt(code, job_run_id, image, solution, solve_ms, outcome))


def solve_attempt(
    code: str, job_run_id: int, image: bytes, solution: Solution, solve_ms: float, outcome: AttemptOutcome
) -> Attempt:
    """One captcha answered, as every attempt is stored: the image, the solver's guess, and the site's verdict."""
    return Attempt(
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


async def served_trade_date(browser: Browser, base_url: str, evidence_dir: Path, user_agent: str = "") -> date:
    """The trade date the site serves now; a site that answers nothing usable is unreachable."""
    user_agent = user_agent or await person_user_agent(browser)
    context, _, served = await open_site(browser, base_url, evidence_dir, user_agent)
    await context.close()
    return served


async def open_site(
    browser: Browser, base_url: str, evidence_dir: Path, user_agent: str, timeout_s: float = 30.0
) -> tuple[BrowserContext, ReportForm, date]:
    """A person's context with the site's frameset open in it, its form, and the trade date the site serves
    now; a site that answers nothing usable is unreachable."""
    context = await person_context(browser, user_agent)
    try:
        form = await ReportForm.open_in(context, base_url, evidence_dir, timeout_s)
        return context, form, await form.read_trade_date()
    except (TransientSiteError, ThrottledError, BlockedError, SiteChangedError) as error:
        await context.close()
        raise SiteUnreachableError(base_url, str(error)) from error
    except BaseException:
        await context.close()
        raise
