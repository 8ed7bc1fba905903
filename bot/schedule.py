"""`bsr schedule`: run the daily job on trading days once the site serves the new day's data (its Label_Date
shows today), then catch-up rounds for what is missing until the site moves on; one job at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.errors import BotError, TradeDateNotServedError
from bot.job import FetchSummary
from bot.options import ScheduleOptions

log = structlog.get_logger("bot.schedule")
JOB_ID = "daily-fetch"


class RunOutcome(StrEnum):
    FETCHED = "fetched"  # every security of the day stored
    INCOMPLETE = "incomplete"  # securities still missing when the site moved on to the next day
    NO_TRADING = "no_trading"


@dataclass
class RunResult:
    """How one scheduled run ended, for whoever tells the user (the CLI's alerts): the day, the outcome, the
    summary of every fetch it made (the first, then each catch-up round's), or the error that ended it."""

    trade_date: date
    outcome: RunOutcome | None = None  # None when an error ended the run
    summaries: list[FetchSummary] = field(default_factory=list)
    error: BaseException | None = None


class DailyRun:
    """One scheduled run; the site, the job, the clock and sleeping are given, so tests can fake time.
    `on_finished` hears how each run ended; what it raises is logged, never stops the schedule."""

    def __init__(
        self,
        options: ScheduleOptions,
        read_served_date: Callable[[], Awaitable[date]],
        fetch: Callable[[date], Awaitable[FetchSummary]],
        record_no_trading: Callable[[date], Awaitable[object]],
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        on_finished: Callable[[RunResult], Awaitable[object]] | None = None,
    ) -> None:
        self.options = options
        self.zone = ZoneInfo(options.timezone)
        self.read_served_date = read_served_date
        self.fetch = fetch
        self.record_no_trading = record_no_trading
        self.clock = clock or (lambda: datetime.now(self.zone))
        self.sleep = sleep
        self.on_finished = on_finished
        self.running: asyncio.Task | None = None

    async def run_once(self) -> RunOutcome:
        self.running = asyncio.current_task()
        result = RunResult(self.clock().astimezone(self.zone).date())
        try:
            result.outcome = await self._poll_then_fetch(result)
            return result.outcome
        except Exception as error:
            result.error = error
            raise
        finally:
            self.running = None
            await self._tell(result)

    async def _tell(self, result: RunResult) -> None:
        if self.on_finished is None or (result.outcome is None and result.error is None):  # abandoned
            return
        try:
            await self.on_finished(result)
        except Exception as error:  # telling the user must never cost the next run
            log.warning("could not tell how the run ended", error=str(error))

    async def _poll_then_fetch(self, result: RunResult) -> RunOutcome:
        today = result.trade_date
        deadline = self.clock() + timedelta(seconds=self.options.ready_window_s)
        while True:
            try:
                served = await self.read_served_date()
            except BotError as error:  # the site may be busy at this hour; keep polling
                log.warning("could not read the served date", error=str(error))
                served = None
            if served == today:
                log.info("the site serves today; fetching", trade_date=str(today))
                return await self._fetch_until_complete(today, result.summaries)
            if self.clock() + timedelta(seconds=self.options.poll_interval_s) > deadline:
                log.info("no new data today: no trading", trade_date=str(today), served=str(served))
                await self.record_no_trading(today)
                return RunOutcome.NO_TRADING
            await self.sleep(self.options.poll_interval_s)

    async def _fetch_until_complete(self, today: date, summaries: list[FetchSummary]) -> RunOutcome:
        """Fetch the day, then what is missing again in rounds with growing pauses, while the site still
        serves it and the next scheduled run is not due: a day missed is gone. Each fetch's summary goes
        to `summaries`."""
        summary = await self.fetch(today)
        summaries.append(summary)
        # The run that fired this one is due now: the next one is at least a minute away.
        next_run = self.options.trigger().get_next_fire_time(None, self.clock() + timedelta(minutes=1))
        pause = self.options.catch_up_first_s
        rounds = 0
        while summary.missing and summary.rolled_over_to is None and not summary.stopped:
            if next_run is not None and self.clock() + timedelta(seconds=pause) >= next_run:
                break
            rounds += 1
            log.info("catching up", trade_date=str(today), missing=len(summary.missing), round=rounds, pause_s=pause)
            await self.sleep(pause)
            pause = min(pause * 2, self.options.catch_up_longest_s)
            try:
                served = await self.read_served_date()
            except BotError as error:
                log.warning("could not read the served date", error=str(error))
                continue
            if served != today:
                break
            try:
                summary = await self.fetch(today)
            except TradeDateNotServedError:  # the site moved on between the look and the run
                break
            summaries.append(summary)
        if summary.missing:
            log.warning("the day stays incomplete", trade_date=str(today), missing=sorted(summary.missing))
            return RunOutcome.INCOMPLETE
        return RunOutcome.FETCHED


def build_scheduler(options: ScheduleOptions, run: DailyRun) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=ZoneInfo(options.timezone))
    scheduler.add_job(
        run.run_once,  # a bound coroutine method, so that the asyncio executor awaits it
        options.trigger(),
        id=JOB_ID,
        max_instances=1,  # never two jobs at once
        coalesce=True,  # several missed runs become one
        misfire_grace_time=options.misfire_grace_s,
        replace_existing=True,
    )
    return scheduler


async def serve(options: ScheduleOptions, run: DailyRun, stop: asyncio.Event) -> None:
    """Run the scheduler until `stop` is set, then shut down and let a running job finish."""
    scheduler = build_scheduler(options, run)
    scheduler.start()
    log.info("scheduled", next_run=str(scheduler.get_job(JOB_ID).next_run_time))
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        if run.running is not None:
            log.info("waiting for the running job to finish")
            await asyncio.gather(run.running, return_exceptions=True)
        log.info("scheduler stopped")
