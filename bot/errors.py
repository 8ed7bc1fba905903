"""The errors the bot raises, each carrying what the user needs to act on it.

The CLI prints them as one line; the job decides from their type whether to retry, back off or stop."""

from __future__ import annotations

from datetime import date
from pathlib import Path


class BotError(Exception):
    """Base of the bot's errors."""


class SiteChangedError(BotError):
    """The page lacks what the bot expects: the site changed, so retrying would not help."""

    def __init__(self, what: str, url: str, saved: list[Path] | None = None) -> None:
        self.saved = saved or []
        where = f"; saved {', '.join(str(path) for path in self.saved)}" if self.saved else ""
        super().__init__(f"the site's page changed ({what} at {url}){where}: the bot needs updating for the new layout")


class BlockedError(BotError):
    """The site's firewall answered its block page instead of the report form."""

    def __init__(self, url: str) -> None:
        super().__init__(f"the site's firewall blocked the request to {url}: wait, and lower --rate or --concurrency")


class ThrottledError(BotError):
    """The site is throttling: HTTP 403, a blank or short answer, an answer without link or message.

    Not a redesign: every worker pauses, the pace slows, and the security is tried again."""

    def __init__(self, what: str, url: str) -> None:
        self.what = what
        super().__init__(f"the site is throttling ({what} at {url}): slowing down and trying again")


class SiteRolledOverError(BotError):
    """The site began serving the next trading day while a run was fetching the day before."""

    def __init__(self, fetching: date, served: date) -> None:
        self.fetching = fetching
        self.served = served
        super().__init__(
            f"the site began serving {served:%Y-%m-%d} while {fetching:%Y-%m-%d} was being fetched: "
            f"the rest of {fetching:%Y-%m-%d} is gone; fetch {served:%Y-%m-%d} with --date auto"
        )


class TransientSiteError(BotError):
    """A network error, a timeout or an HTTP 5xx: worth another try after a pause."""


class SiteUnreachableError(BotError):
    """The base URL answers nothing the bot can use."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach the broker-report site at {base_url} ({reason}): check --base-url")


class TradeDateNotServedError(BotError):
    """The user asked for a trade date that the site no longer (or not yet) serves."""

    def __init__(self, wanted: date, served: date) -> None:
        super().__init__(
            f"the site serves {served:%Y-%m-%d}, not {wanted:%Y-%m-%d}: it keeps only the latest trading day, "
            "so use --date auto"
        )


class ReportFormatError(BotError):
    """A downloaded CSV is not a broker report for the security asked for."""


class ReportDoubtedError(BotError):
    """A whole download that a soft sign doubts (storage.report_checks): fetched again, and stored flagged with
    the reasons once the doubt persists, never lost on it."""

    def __init__(self, stock_code: str, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(f"report {stock_code} doubted: {'; '.join(reasons)}; fetching it again")
