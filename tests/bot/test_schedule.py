"""The scheduler: weekday trigger in Taipei time, readiness polling on a fake clock, one job at a time."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES

from bot.errors import TransientSiteError
from bot.job import FetchSummary
from bot.schedule import JOB_ID, DailyRun, RunOutcome, RunResult, ScheduleOptions, build_scheduler

TAIPEI = ZoneInfo("Asia/Taipei")
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 20)


class FakeSite:
    """A clock that sleeping advances, and a site that starts serving today's data at a given time."""

    def __init__(self, now: datetime, ready_at: datetime | None) -> None:
        self.now = now
        self.ready_at = ready_at
        self.polls = 0
        self.fetched: list[date] = []
        self.no_trading: list[date] = []
        self.fail_first_polls = 0
        self.missing_after: list[set[str]] = []  # what each fetch leaves missing, in turn
        self.next_day_at: datetime | None = None  # when the site begins serving the next day
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    async def served_date(self) -> date:
        self.polls += 1
        if self.polls <= self.fail_first_polls:
            raise TransientSiteError("HTTP 503")
        if self.next_day_at is not None and self.now >= self.next_day_at:
            return self.ready_at.date() + timedelta(days=1)
        if self.ready_at is not None and self.now >= self.ready_at:
            return self.ready_at.date()
        return FRIDAY

    async def fetch(self, trade_date: date) -> FetchSummary:
        self.fetched.append(trade_date)
        missing = self.missing_after.pop(0) if self.missing_after else set()
        return FetchSummary(trade_date, failures=dict.fromkeys(missing, "the site said wrong_captcha"))

    async def record_no_trading(self, trade_date: date) -> None:
        self.no_trading.append(trade_date)

    def run(self, options: ScheduleOptions) -> DailyRun:
        return DailyRun(options, self.served_date, self.fetch, self.record_no_trading, self.clock, self.sleep)


def test_trigger_fires_on_weekdays_at_1635_taipei() -> None:
    trigger = ScheduleOptions().trigger()
    saturday_noon = datetime(2026, 11, 21, 12, 0, tzinfo=TAIPEI)
    first = trigger.get_next_fire_time(None, saturday_noon)
    assert first == datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert second == datetime(2026, 11, 24, 16, 35, tzinfo=TAIPEI)


async def test_polls_until_the_site_serves_today_then_fetches() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=start + timedelta(minutes=12))
    site.fail_first_polls = 1  # a busy site at that hour does not end the run
    outcome = await site.run(ScheduleOptions(poll_interval_s=300)).run_once()
    assert outcome == RunOutcome.FETCHED
    assert site.fetched == [MONDAY] and site.no_trading == []
    assert site.polls == 4  # 16:35 (error), 16:40, 16:45, 16:50 (ready since 16:47)


async def test_a_day_the_site_never_serves_is_recorded_as_no_trading() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=None)
    outcome = await site.run(ScheduleOptions(poll_interval_s=600, ready_window_s=3600)).run_once()
    assert outcome == RunOutcome.NO_TRADING
    assert site.no_trading == [MONDAY] and site.fetched == []
    assert site.now - start <= timedelta(hours=1)


async def test_runs_a_misfired_job_once_and_never_two_at_once() -> None:
    release, first_started, skipped = asyncio.Event(), asyncio.Event(), asyncio.Event()
    started: list[datetime] = []

    class BlockingRun:
        running = None

        async def run_once(self) -> RunOutcome:
            started.append(datetime.now(TAIPEI))
            first_started.set()
            await release.wait()
            return RunOutcome.FETCHED

    scheduler = build_scheduler(ScheduleOptions(), BlockingRun())  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    scheduler.add_listener(lambda event: loop.call_soon_threadsafe(skipped.set), EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    try:
        job = scheduler.get_job(JOB_ID)
        # A run missed by a minute (the machine slept) still happens, within the grace time.
        job.modify(next_run_time=datetime.now(TAIPEI) - timedelta(minutes=1))
        scheduler.wakeup()
        await asyncio.wait_for(first_started.wait(), 60)
        job.modify(next_run_time=datetime.now(TAIPEI))  # due again while the first still runs
        scheduler.wakeup()
        await asyncio.wait_for(skipped.wait(), 60)  # the scheduler's own word that it did not start it
        assert len(started) == 1
    finally:
        release.set()
        scheduler.shutdown(wait=False)


async def test_missing_securities_are_fetched_again_in_rounds_with_growing_pauses() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=start)
    site.missing_after = [{"2330", "2317", "0050"}, {"2317"}, set()]
    options = ScheduleOptions(catch_up_first_s=600, catch_up_longest_s=3600)
    assert await site.run(options).run_once() == RunOutcome.FETCHED
    assert site.fetched == [MONDAY] * 3
    assert site.sleeps == [600, 1200]


async def test_catching_up_stops_when_the_site_serves_the_next_day() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=start)
    site.missing_after = [{"2330"}] * 100
    site.next_day_at = datetime(2026, 11, 24, 2, 0, tzinfo=TAIPEI)  # early, so that no next run is due yet
    assert await site.run(ScheduleOptions()).run_once() == RunOutcome.INCOMPLETE
    assert site.now >= site.next_day_at
    assert site.sleeps[:3] == [600, 1200, 2400] and set(site.sleeps[3:]) == {3600}
    assert site.now - timedelta(hours=1) < site.next_day_at  # the first look after 02:00 saw the next day
    assert len(site.fetched) == len(site.sleeps)  # the last look found the next day: no fetch of the old one


async def test_catching_up_leaves_room_for_the_next_scheduled_run() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=start)
    site.missing_after = [{"2330"}] * 100
    assert await site.run(ScheduleOptions()).run_once() == RunOutcome.INCOMPLETE
    assert site.now < datetime(2026, 11, 24, 16, 35, tzinfo=TAIPEI)
    assert site.now + timedelta(hours=1) >= datetime(2026, 11, 24, 16, 35, tzinfo=TAIPEI)


async def test_the_end_of_a_run_is_told_with_every_fetch_it_made() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    site = FakeSite(start, ready_at=start)
    site.missing_after = [{"2330", "2317"}, {"2330"}]
    heard: list[RunResult] = []

    async def on_finished(result: RunResult) -> None:
        heard.append(result)

    run = DailyRun(
        ScheduleOptions(), site.served_date, site.fetch, site.record_no_trading, site.clock, site.sleep, on_finished
    )
    assert await run.run_once() == RunOutcome.FETCHED
    (result,) = heard
    assert (result.trade_date, result.outcome, result.error) == (MONDAY, RunOutcome.FETCHED, None)
    assert [sorted(summary.missing) for summary in result.summaries] == [["2317", "2330"], ["2330"], []]


async def test_a_failing_listener_never_stops_the_schedule_and_hears_errors_too() -> None:
    start = datetime(2026, 11, 23, 16, 35, tzinfo=TAIPEI)
    heard: list[RunResult] = []

    async def on_finished(result: RunResult) -> None:
        heard.append(result)
        raise RuntimeError("no network")

    async def broken_fetch(trade_date: date) -> FetchSummary:
        raise TransientSiteError("HTTP 500")

    site = FakeSite(start, ready_at=start)
    run = DailyRun(
        ScheduleOptions(), site.served_date, broken_fetch, site.record_no_trading, site.clock, site.sleep, on_finished
    )
    with pytest.raises(TransientSiteError):  # the fetch's error still reaches the scheduler
        await run.run_once()
    assert isinstance(heard[0].error, TransientSiteError) and heard[0].outcome is None
    no_trading = FakeSite(start, ready_at=None)
    run = DailyRun(
        ScheduleOptions(ready_window_s=0),
        no_trading.served_date,
        no_trading.fetch,
        no_trading.record_no_trading,
        no_trading.clock,
        no_trading.sleep,
        on_finished,
    )
    assert await run.run_once() == RunOutcome.NO_TRADING  # the listener's RuntimeError is only logged
    assert heard[1].outcome is RunOutcome.NO_TRADING and heard[1].summaries == []
