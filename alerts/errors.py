"""The errors of the alerts room: each says what is wrong, where, and what to do about it.

The CLI prints them as one line; a run that meets one still stores its day."""

from __future__ import annotations

from pathlib import Path


class AlertsError(Exception):
    """Alerts cannot be sent or rules cannot be read as configured."""


class NoNotifyUrlsError(AlertsError):
    def __init__(self) -> None:
        super().__init__(
            "no notification URL is set; set BSR_NOTIFY_URLS to one or more apprise URLs "
            "(e.g. tgram://bottoken/chatid, see docs/alerts.md)"
        )


class WatchlistError(AlertsError):
    """A watchlist file that cannot be read: which file, which rule, what is wrong and what to do."""

    def __init__(self, path: Path, where: str, what: str, todo: str = "fix it (the format: docs/alerts.md)") -> None:
        self.path, self.where, self.what = path, where, what
        super().__init__(f"watchlist {path}: {where}: {what}; {todo}")
