"""`bsr alerts test|list|watch`, and what follows `bsr fetch` and each scheduled run: the day's alerts built from
the job's summaries (alerts.announce_day). An alert that cannot be sent is one line; it never fails the run.
The rooms are imported inside the functions, so that `bsr --help` does not load apprise and pandas."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import structlog
import typer
from rich.console import Console
from rich.table import Table

from bsr.settings import get_settings

if TYPE_CHECKING:
    from alerts import AlertSettings, Announcement, DayOutcome
    from bot.job import FetchSummary
    from bot.schedule import RunResult
    from storage import Store

log = structlog.get_logger("bsr.alerts")
app = typer.Typer(help="Alerts: where they go (BSR_NOTIFY_URLS), what was sent, the watchlist.", no_args_is_help=True)
console = Console()


def alert_settings() -> AlertSettings:
    from alerts import AlertSettings, split_urls

    settings = get_settings()
    return AlertSettings(split_urls(settings.notify_urls), settings.watchlist, settings.dashboard_url)


def day_outcome(summaries: Sequence[FetchSummary]) -> DayOutcome:
    """The day as the runs' summaries tell it: the first fetch, then each catch-up round's, the last one final."""
    from alerts import DayOutcome
    from bot.job import SecurityStatus

    first, last = summaries[0], summaries[-1]
    flagged: dict[str, tuple[str, ...]] = {}
    for summary in summaries:
        flagged.update(summary.flagged)
    return DayOutcome(
        trade_date=last.trade_date,
        stored=sum(summary.statuses[SecurityStatus.STORED] for summary in summaries),
        no_trades=sum(summary.statuses[SecurityStatus.NO_TRADES] for summary in summaries),
        already_stored=first.already_stored,
        missing=dict(last.missing),
        flagged=flagged,
        answers=sum(summary.answers for summary in summaries),
        rolled_over_to=last.rolled_over_to,
        stopped=last.stopped,
        catch_up_rounds=len(summaries) - 1,
    )


def tell_day(summaries: Sequence[FetchSummary], out: Console) -> None:
    """The day's alerts after `bsr fetch` or a scheduled run; a failure of theirs is a line, not an error."""
    from alerts import announce_day

    _tell(out, lambda store, settings: announce_day(store, settings, day_outcome(summaries)))


def tell_failure(error: BaseException, out: Console, trade_date: date | None = None) -> None:
    """The alert of a run an error ended, before that error reaches the user."""
    from alerts import announce_failure

    _tell(out, lambda store, settings: announce_failure(store, settings, str(error), trade_date))


def tell_scheduled_runs(out: Console) -> Callable[[RunResult], Awaitable[None]]:
    """What `bsr schedule` calls after each run (bot.schedule.DailyRun's on_finished)."""
    import asyncio

    from alerts import DayOutcome, announce_day
    from bot.schedule import RunOutcome

    async def on_finished(result: RunResult) -> None:
        if result.error is not None:
            await asyncio.to_thread(tell_failure, result.error, out, result.trade_date)
        elif result.outcome is RunOutcome.NO_TRADING:
            outcome = DayOutcome(result.trade_date, no_trading=True)
            await asyncio.to_thread(_tell, out, lambda store, settings: announce_day(store, settings, outcome))
        elif result.summaries:
            await asyncio.to_thread(tell_day, result.summaries, out)

    return on_finished


def _tell(out: Console, announce: Callable[[Store, AlertSettings], Announcement]) -> None:
    from storage import Store

    settings = alert_settings()
    if not settings.urls and settings.watchlist is None:
        return
    try:
        with Store.open(get_settings().resolved_database_url) as store:
            announcement = announce(store, settings)
    except Exception as error:  # the day is stored whatever befalls its alerts
        log.warning("alerts not sent", error=str(error))
        out.print(f"alerts not sent: {error}", markup=False, soft_wrap=True)
        return
    lines = list(announcement.problems)
    if announcement.watch is not None:
        lines += [f"watchlist: {signal.text}" for signal in announcement.watch.signals]
    lines += [f"alert {delivery.alert_id} to {delivery.line()}" for delivery in announcement.deliveries]
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)


@app.command("test")
def send_test() -> None:
    """Send a test message to every URL of BSR_NOTIFY_URLS; say which failed and why."""
    from alerts import AlertsError, NoNotifyUrlsError, deliver, page_url, receivers
    from storage import Alert, AlertKind, Store

    settings = alert_settings()
    if not settings.urls:
        raise NoNotifyUrlsError()
    alert = Alert(
        AlertKind.TEST,
        "bsr: test message",
        f"bsr reaches you here. Dashboard: {page_url(settings.dashboard_url, '/alerts')}",
    )
    with Store.open(get_settings().resolved_database_url) as store:
        deliveries = deliver(store, alert, receivers(settings.urls))
    for delivery in deliveries:
        console.print(delivery.line(), markup=False, soft_wrap=True)
    failed = [delivery for delivery in deliveries if not delivery.delivered]
    if failed:
        raise AlertsError(f"{len(failed)} of {len(deliveries)} notification URLs failed; see the lines above")


@app.command("list")
def list_alerts(
    limit: int = typer.Option(20, min=1, help="How many of the latest alerts."),
    undelivered: bool = typer.Option(False, help="Only the alerts not delivered yet."),
) -> None:
    """The latest alerts: what, when, to which URL, delivered or not, and the error."""
    from storage import Store

    with Store.open(get_settings().resolved_database_url) as store:
        alerts = store.list_alerts(limit, undelivered_only=undelivered)
    if not alerts:
        console.print("no alert is stored" + (" undelivered" if undelivered else ""))
        return
    table = Table("id", "sent (UTC)", "kind", "day", "title", "to", "delivered", "error")
    for stored in alerts:
        table.add_row(
            str(stored.id),
            f"{stored.created_at:%Y-%m-%d %H:%M}",
            stored.alert.kind.value,
            stored.alert.trade_date.isoformat() if stored.alert.trade_date else "",
            stored.alert.title,
            stored.target,
            f"yes ({stored.tries} tries)"
            if stored.delivered and stored.tries > 1
            else "yes"
            if stored.delivered
            else f"no ({stored.tries} tries)",
            stored.error or "",
        )
    console.print(table)


@app.command("watch")
def watch(
    trade_date: str = typer.Option("", "--date", help="A stored trade date, YYYY-MM-DD; default: the latest."),
    send: bool = typer.Option(False, help="Also send the signals to BSR_NOTIFY_URLS."),
) -> None:
    """Check the watchlist (BSR_WATCHLIST) on a stored day and show the signals, without fetching."""
    from alerts import (
        AlertsError,
        NoNotifyUrlsError,
        check_watchlist,
        deliver,
        load_watchlist,
        receivers,
        signal_url,
        watch_alert,
    )
    from storage import Store

    settings = alert_settings()
    if settings.watchlist is None:
        raise AlertsError("no watchlist is set; set BSR_WATCHLIST to a TOML file (see docs/alerts.md)")
    watchlist = load_watchlist(settings.watchlist)
    with Store.open(get_settings().resolved_database_url) as store:
        stored = store.trade_dates()
        if not stored:
            raise AlertsError("no report is stored yet; run `bsr fetch` first")
        try:
            day = date.fromisoformat(trade_date) if trade_date else stored[0]
        except ValueError:
            raise typer.BadParameter(f"{trade_date!r} is no date: give YYYY-MM-DD") from None
        checked = check_watchlist(store, watchlist, day)
        for problem in checked.problems:
            console.print(problem, markup=False, soft_wrap=True)
        for signal in checked.signals:
            console.print(f"{signal.text}\n  {signal_url(signal, settings.dashboard_url)}", markup=False)
        if not checked.signals:
            console.print(f"no rule of {watchlist.path} was met on {day.isoformat()}")
        alert = watch_alert(checked, settings.dashboard_url)
        if send and alert is not None:
            if not settings.urls:
                raise NoNotifyUrlsError()
            for delivery in deliver(store, alert, receivers(settings.urls)):
                console.print(delivery.line(), markup=False, soft_wrap=True)
