"""`bsr fetch`, `bsr schedule` and `bsr demo`: the daily download, its schedule, and the demo; after each run of
the first two, the day's alerts. Rooms are imported inside the commands, so that `bsr --help` loads no Chromium."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import typer
from rich.console import Console

from bot.options import FetchOptions, ScheduleOptions
from bsr.cli import alerts as alerts_cli
from bsr.settings import get_settings

console = Console()


def parse_trade_date(text: str) -> date | None:
    if text == "auto":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is no date: give YYYY-MM-DD or auto") from None


# Options that `fetch` and `schedule` share.
BASE_URL = typer.Option("", help="The site's base URL; default BSR_BASE_URL or the real site.")
# Defaults here and below are the job's own (bot.options), which the help shows.
UNIVERSE = typer.Option(FetchOptions.universe, help="all (the exchange's listed securities) or a file of codes.")
CONCURRENCY = typer.Option(FetchOptions.concurrency, min=1, max=16, help="Browser contexts working at once.")
RATE = typer.Option(FetchOptions.rate, min=0.0, help="Queries per second across all workers; 0 lifts the limit.")
MAX_ATTEMPTS = typer.Option(
    FetchOptions.max_attempts, min=1, help="Captcha answers per security before giving up on it."
)
ANSWER_DELAY = typer.Option(
    FetchOptions.answer_delay_s, min=0.0, max=60.0, help="Seconds to wait after a captcha loads before answering it."
)


def fetch_options(base_url: str, **choices: Any) -> FetchOptions:
    """The job's options: the user's choices, and what the settings say of the site, Chromium and files."""
    settings = get_settings()
    return FetchOptions(
        base_url=base_url or settings.base_url,
        evidence_dir=settings.data_dir / "site-changes",
        listing_url=settings.listing_url,
        chromium=settings.chromium,
        **choices,
    )


def fetch(
    base_url: str = BASE_URL,
    trade_date: str = typer.Option("auto", "--date", help="auto (the date the site serves) or YYYY-MM-DD."),
    stocks: str = typer.Option("", help="Comma-separated codes, e.g. 2330,2317; default: the universe."),
    universe: str = UNIVERSE,
    limit: int = typer.Option(FetchOptions.limit, min=0, help="Only the first N securities of the universe (0: all)."),
    concurrency: int = CONCURRENCY,
    rate: float = RATE,
    max_attempts: int = MAX_ATTEMPTS,
    min_confidence: float = typer.Option(
        FetchOptions.min_confidence,
        min=0.0,
        max=1.0,
        help="Take a fresh captcha instead of answering below this confidence.",
    ),
    answer_delay: float = ANSWER_DELAY,
    headed: bool = typer.Option(not FetchOptions.headless, help="Show the browser window."),
) -> None:
    """Download every security's broker report for the day the site serves, and store each whole."""
    from bot.universe import parse_stock_codes

    # Bad arguments are refused before the solver's libraries take seconds to load.
    wanted_date = parse_trade_date(trade_date)
    stock_codes = tuple(parse_stock_codes(stocks)) if stocks else ()

    from bot.console import fetch as run_fetch

    settings = get_settings()
    options = fetch_options(
        base_url,
        trade_date=wanted_date,
        stock_codes=stock_codes,
        universe=universe,
        limit=limit,
        concurrency=concurrency,
        rate=rate,
        max_attempts=max_attempts,
        min_confidence=min_confidence,
        answer_delay_s=answer_delay,
        headless=not headed,
    )
    try:
        summary = asyncio.run(run_fetch(options, settings.model, settings.resolved_database_url, console))
    except Exception as error:
        alerts_cli.tell_failure(error, console, wanted_date)
        raise
    alerts_cli.tell_day([summary], console)
    if summary.missing:
        raise typer.Exit(1)


def demo() -> None:
    """Run the main job against the local replica: 50 securities into the default SQLite database."""
    from bsr.demo import run_demo

    summary = run_demo(get_settings(), console)
    if summary.missing:
        raise typer.Exit(1)


def schedule(
    base_url: str = BASE_URL,
    at: str = typer.Option(
        f"{ScheduleOptions.hour:02d}:{ScheduleOptions.minute:02d}", help="Time of day to start, HH:MM in --timezone."
    ),
    days: str = typer.Option(ScheduleOptions.days, help="Days of the week, cron style."),
    timezone: str = typer.Option(ScheduleOptions.timezone, help="Time zone of --at."),
    poll_minutes: float = typer.Option(
        ScheduleOptions.poll_interval_s / 60, min=0.1, help="Minutes between looks at the served date."
    ),
    window_hours: float = typer.Option(
        ScheduleOptions.ready_window_s / 3600, min=0.0, help="Give up on today's data (no trading) after this."
    ),
    universe: str = UNIVERSE,
    concurrency: int = CONCURRENCY,
    rate: float = RATE,
    max_attempts: int = MAX_ATTEMPTS,
    answer_delay: float = ANSWER_DELAY,
) -> None:
    """Run the daily download on trading days once the site serves the day's data."""
    from bot.console import schedule as run_schedule

    try:
        hour, minute = (int(part) for part in at.split(":"))
        schedule_options = ScheduleOptions(
            hour=hour,
            minute=minute,
            days=days,
            timezone=timezone,
            poll_interval_s=poll_minutes * 60,
            ready_window_s=window_hours * 3600,
        )
        schedule_options.trigger()
    except (ValueError, KeyError) as error:
        raise typer.BadParameter(f"cannot schedule at {at!r} on {days!r} in {timezone!r}: {error}") from None
    settings = get_settings()
    options = fetch_options(
        base_url,
        universe=universe,
        concurrency=concurrency,
        rate=rate,
        max_attempts=max_attempts,
        answer_delay_s=answer_delay,
    )
    asyncio.run(
        run_schedule(
            options,
            schedule_options,
            settings.model,
            settings.resolved_database_url,
            console,
            on_finished=alerts_cli.tell_scheduled_runs(console),
        )
    )
