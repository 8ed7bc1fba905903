"""What follows a run: the undelivered alerts of earlier runs sent again, the day's digest, the securities still
missing, and the watchlist's signals once the day is stored; every alert stored, none stopping the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alerts.delivery import Delivery, Receiver, deliver, receivers, retry_undelivered
from alerts.digest import DayOutcome, digest_alert, failure_alert, missing_alert
from alerts.errors import WatchlistError
from alerts.watchlist import Watch, check_watchlist, load_watchlist, watch_alert
from storage import Alert, Store


@dataclass(frozen=True)
class AlertSettings:
    """The settings alerts need (bsr.settings: BSR_NOTIFY_URLS, BSR_WATCHLIST, BSR_DASHBOARD_URL)."""

    urls: tuple[str, ...] = ()
    watchlist: Path | None = None
    dashboard_url: str = "http://127.0.0.1:8000"


@dataclass
class Announcement:
    """What was sent after a run, and what the user should know of the watchlist."""

    deliveries: list[Delivery] = field(default_factory=list)  # retries first, then this run's alerts
    watch: Watch | None = None
    problems: list[str] = field(default_factory=list)  # the watchlist unread, or rules that could not be checked


def announce_day(store: Store, settings: AlertSettings, outcome: DayOutcome) -> Announcement:
    """After the runs of a day: retries, the digest, the missing securities, the watchlist's signals."""
    to = receivers(settings.urls)
    announcement = Announcement(deliveries=retry_undelivered(store, to))
    if settings.watchlist is not None and not outcome.no_trading and outcome.trade_date in store.trade_dates():
        try:
            watchlist = load_watchlist(settings.watchlist)
        except WatchlistError as error:
            announcement.problems.append(str(error))
        else:
            announcement.watch = check_watchlist(store, watchlist, outcome.trade_date)
            announcement.problems += [f"watchlist: {problem}" for problem in announcement.watch.problems]
    alerts: list[Alert | None] = [
        digest_alert(outcome, settings.dashboard_url, tuple(announcement.problems)),
        missing_alert(outcome, settings.dashboard_url),
        watch_alert(announcement.watch, settings.dashboard_url) if announcement.watch else None,
    ]
    announcement.deliveries += _send(store, [alert for alert in alerts if alert is not None], to)
    return announcement


def announce_failure(store: Store, settings: AlertSettings, error: str, trade_date: date | None = None) -> Announcement:
    """After a run that ended with an error: retries, then the failure itself."""
    to = receivers(settings.urls)
    announcement = Announcement(deliveries=retry_undelivered(store, to))
    announcement.deliveries += _send(store, [failure_alert(error, settings.dashboard_url, trade_date)], to)
    return announcement


def _send(store: Store, alerts: list[Alert], to: list[Receiver]) -> list[Delivery]:
    return [delivery for alert in alerts for delivery in deliver(store, alert, to)]
