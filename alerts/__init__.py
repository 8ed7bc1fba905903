"""Alerts: the day's outcome and the watchlist's signals pushed where the user reads, through apprise (Telegram,
Discord, Slack, e-mail, ntfy, webhooks...), each stored and retried until delivered."""

from alerts.day import AlertSettings, Announcement, announce_day, announce_failure
from alerts.delivery import Delivery, Receiver, deliver, receivers, retry_undelivered, split_urls
from alerts.digest import DayOutcome, digest_alert, failure_alert, missing_alert, page_url
from alerts.errors import AlertsError, NoNotifyUrlsError, WatchlistError
from alerts.watchlist import Rule, Watch, Watchlist, check_watchlist, load_watchlist, signal_url, watch_alert

__all__ = [
    "AlertSettings",
    "AlertsError",
    "Announcement",
    "DayOutcome",
    "Delivery",
    "NoNotifyUrlsError",
    "Receiver",
    "Rule",
    "Watch",
    "Watchlist",
    "WatchlistError",
    "announce_day",
    "announce_failure",
    "check_watchlist",
    "deliver",
    "digest_alert",
    "failure_alert",
    "load_watchlist",
    "missing_alert",
    "page_url",
    "receivers",
    "retry_undelivered",
    "signal_url",
    "split_urls",
    "watch_alert",
]
