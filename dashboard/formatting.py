"""How the pages write numbers, shares, rates, durations and times.

Jinja filters, registered by name on the dashboard's template environment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from storage import TAIPEI


def thousands(value: int | float | Decimal | None, places: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{places}f}"


def percent(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{places}f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def clock(value: datetime | None) -> str:
    """A moment as Taipei's clock shows it, as every page says its times are."""
    if value is None:
        return "–"
    return (value.astimezone(TAIPEI) if value.tzinfo is not None else value).strftime("%Y-%m-%d %H:%M")


def milliseconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


FILTERS: dict[str, Callable[..., Any]] = {
    "thousands": thousands,
    "percent": percent,
    "duration": duration,
    "clock": clock,
    "ms": milliseconds,
}
