"""What a run of the daily job is told, and when the schedule starts one: the options and their defaults.

Light to import (no solver, no browser), so that the command line shows and passes the very defaults the job uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

from bot.listing import EXCHANGE_LISTING_URL
from bot.pacing import RetryPolicy
from storage import TAIPEI

HEARTBEAT_S = 30.0  # a run silent for storage.job_runs.JOB_RUN_LOST_AFTER was killed


@dataclass(frozen=True)
class FetchOptions:
    """Everything one run of `bsr fetch` is told."""

    base_url: str
    evidence_dir: Path
    trade_date: date | None = None  # None: the date the site serves now (Label_Date)
    stock_codes: tuple[str, ...] = ()  # empty: the universe
    universe: str = "all"  # the exchange's list at listing_url on the day, or a file of codes
    listing_url: str = EXCHANGE_LISTING_URL
    limit: int = 0  # only the first N securities of the universe; 0: all of them
    concurrency: int = 1
    rate: float = 1.0  # queries per second across all workers; 0 lifts the limit
    max_attempts: int = 5
    min_confidence: float = 0.0  # below this, take a fresh captcha instead of answering
    headless: bool = True
    chromium: str = ""
    # Queries per browser context: a fresh one lets go of what the browser and Playwright keep of every page
    # (the renderer's heap after large views, request records).
    recycle_after: int = 25
    timeout_s: float = 30.0
    answer_delay_s: float = 0.0  # submit no sooner after the captcha loaded (the site's minimum delay)
    heartbeat_s: float = HEARTBEAT_S  # how often the job run's sign of life is stored
    policy: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class ScheduleOptions:
    """When `bsr schedule` starts the daily job, and how long it waits for the day's data to be served."""

    hour: int = 16
    minute: int = 35
    days: str = "mon-fri"
    timezone: str = TAIPEI.key
    poll_interval_s: float = 300.0  # new data appears around 16:00-16:30, sometimes later
    ready_window_s: float = 3 * 3600.0  # after this, the day had no trading (a holiday)
    misfire_grace_s: int = 6 * 3600  # a run missed while the machine slept still happens that evening
    # A day is served until the next one comes up: securities missing after a run are tried again, with
    # pauses that grow from the first to the last, until the site serves the next day.
    catch_up_first_s: float = 600.0
    catch_up_longest_s: float = 3600.0

    def trigger(self) -> CronTrigger:
        return CronTrigger(day_of_week=self.days, hour=self.hour, minute=self.minute, timezone=self.timezone)
