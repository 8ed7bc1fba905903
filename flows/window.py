"""The window of trade dates a flows question covers: the N latest stored trading days, or from/to.

Only stored days count: a day the database holds no report of is no trading day to flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flows.errors import FlowsError, NoStoredDaysError
from storage import Store


@dataclass(frozen=True)
class Window:
    """Stored trading days, oldest first; never empty."""

    trade_dates: tuple[date, ...]

    @property
    def first(self) -> date:
        return self.trade_dates[0]

    @property
    def last(self) -> date:
        return self.trade_dates[-1]

    @property
    def days(self) -> int:
        return len(self.trade_dates)

    def __str__(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} to {self.last.isoformat()} ({self.days} trading days)"


def resolve_window(store: Store, days: int | None = None, start: date | None = None, end: date | None = None) -> Window:
    """The `days` latest stored trading days (1 when nothing is given), or the stored days from `start` to
    `end` (either may be left open); days and from/to together are refused."""
    if days is not None and (start is not None or end is not None):
        raise FlowsError("give either a number of days or a from/to range, not both")
    if start is not None and end is not None and start > end:
        raise FlowsError(f"from {start.isoformat()} is after to {end.isoformat()}; swap them")
    stored = store.trade_dates()  # newest first
    if not stored:
        raise NoStoredDaysError("no report is stored yet; run `bsr fetch` (or `make demo`) first")
    if start is None and end is None:
        count = 1 if days is None else days
        if count < 1:
            raise FlowsError(f"--days {count} covers nothing; ask for 1 or more trading days")
        return Window(tuple(reversed(stored[:count])))
    chosen = [day for day in stored if (start is None or day >= start) and (end is None or day <= end)]
    if not chosen:
        asked = f"{start.isoformat() if start else 'the start'} to {end.isoformat() if end else 'the end'}"
        raise NoStoredDaysError(
            f"no report is stored from {asked}; stored days run from {stored[-1].isoformat()} "
            f"to {stored[0].isoformat()}"
        )
    return Window(tuple(reversed(chosen)))
