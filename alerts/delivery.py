"""Alerts delivered through apprise to every notification URL (BSR_NOTIFY_URLS), each try stored with its error
(storage.alerts) so that the next run retries what did not arrive; a URL that fails says why and stops nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import apprise

from storage import Alert, Store

# URLs are split on spaces, and on commas before the next scheme: a comma within a URL (?to=a,b) stays.
URL_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
# apprise tells the reason of a failed connection in a debug line; the errno's words are what a user acts on.
SOCKET_EXCEPTION = "Socket Exception: "
ERRNO = re.compile(r"\[Errno -?\d+\][^\"')]*")


def split_urls(text: str) -> tuple[str, ...]:
    """The apprise URLs of BSR_NOTIFY_URLS: one, or several separated by spaces or commas."""
    return tuple(url.strip(",") for url in URL_SEPARATOR.split(text.strip()) if url and url.strip(","))


@dataclass(frozen=True)
class Delivery:
    """One alert's try at one URL: `target` is the URL with its secrets masked; `error` is None once delivered."""

    target: str
    error: str | None
    alert_id: int | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None

    def line(self) -> str:
        return f"{self.target}: delivered" if self.delivered else f"{self.target}: failed: {self.error}"


class Receiver:
    """One notification URL, read by apprise once: its masked form, or why apprise cannot read it."""

    def __init__(self, url: str) -> None:
        with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s|%(message)s") as log:
            self.plugin = apprise.Apprise.instantiate(url)
        if self.plugin is None:
            scheme = url.split("://", 1)[0] if "://" in url else ""
            self.target = f"{scheme}://..." if scheme else "(no URL)"
            reason = _reason(log.getvalue()) or "apprise cannot read it"
            self.unreadable: str | None = f"{reason}; check it against apprise's services (docs/alerts.md)"
        else:
            self.target = str(self.plugin.url(privacy=True))
            self.unreadable = None

    def send(self, alert: Alert) -> str | None:
        """Sends `alert`; None when the service took it, else why not."""
        if self.plugin is None:
            return self.unreadable
        notifier = apprise.Apprise()
        notifier.add(self.plugin)
        with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s|%(message)s") as log:
            try:
                sent = notifier.notify(body=alert.body, title=alert.title)
            except Exception as error:  # a plugin's own bug must not cost the other URLs their alert
                return f"apprise failed: {error}"
        return None if sent else (_reason(log.getvalue()) or "the service did not take the message")


def receivers(urls: Sequence[str]) -> list[Receiver]:
    return [Receiver(url) for url in urls]


def deliver(store: Store, alert: Alert, to: Sequence[Receiver]) -> list[Delivery]:
    """Sends `alert` to every receiver and stores each try; a receiver that fails does not stop the others."""
    deliveries = []
    for receiver in to:
        error = receiver.send(alert)
        alert_id = store.record_alert(alert, receiver.target, error)
        deliveries.append(Delivery(receiver.target, error, alert_id))
    return deliveries


def retry_undelivered(store: Store, to: Sequence[Receiver]) -> list[Delivery]:
    """Sends again what earlier runs could not deliver to these receivers, oldest first, and stores each try.
    An alert for a URL no longer configured waits, as `bsr alerts list` shows."""
    by_target = {receiver.target: receiver for receiver in reversed(to)}
    deliveries = []
    for stored in store.undelivered_alerts(by_target):
        error = by_target[stored.target].send(stored.alert)
        store.record_alert_retry(stored.id, error)
        deliveries.append(Delivery(stored.target, error, stored.id))
    return deliveries


def _reason(log: str) -> str:
    """What apprise said went wrong, from its log lines: its warnings and errors, and the socket's errno."""
    said, cause = [], ""
    for line in log.splitlines():
        level, _, message = line.partition("|")
        if level in ("WARNING", "ERROR", "CRITICAL"):
            said.append(message.strip().rstrip("."))
        elif message.startswith(SOCKET_EXCEPTION):
            found = ERRNO.search(message)
            cause = found.group(0).strip() if found else message.removeprefix(SOCKET_EXCEPTION).strip()[:200]
    return "; ".join([*said, cause] if cause else said)
