"""The day's outcome told where the user reads: a digest after every fetch and scheduled run, and an alert that
names the securities still missing once no catch-up round is left; both link to the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from storage import Alert, AlertKind, Missing

NAMED_REASONS = 10  # distinct reasons a missing-alert spells out; the codes themselves are all named


@dataclass(frozen=True)
class DayOutcome:
    """What the runs of one trade date did, as the CLI reads it from the job's summaries."""

    trade_date: date
    stored: int = 0
    no_trades: int = 0
    already_stored: int = 0
    missing: Mapping[str, Missing] = field(default_factory=dict)  # code -> why it was not stored
    flagged: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # code -> why it was doubted
    answers: int = 0  # captcha answers given
    rolled_over_to: date | None = None  # the site began serving this day during the run
    stopped: bool = False  # stopped by the user: a rerun resumes
    catch_up_rounds: int = 0
    no_trading: bool = False  # the site never served the day: a holiday

    @property
    def answers_per_report(self) -> float:
        done = self.stored + self.no_trades
        return self.answers / done if done else 0.0


def digest_alert(outcome: DayOutcome, dashboard_url: str, notes: tuple[str, ...] = ()) -> Alert:
    """The run's digest: the day, stored / no trades / missing / flagged, a rollover, answers per report."""
    day = outcome.trade_date.isoformat()
    if outcome.no_trading:
        return Alert(
            AlertKind.DIGEST,
            f"bsr {day}: no trading",
            f"The site never served {day}: no trading that day, nothing to fetch.",
            outcome.trade_date,
        )
    state = f"{len(outcome.missing):,} missing" if outcome.missing else "complete"
    lines = [
        f"Trade date {day}: {state}.",
        f"stored {outcome.stored:,} · no trades {outcome.no_trades:,} · missing {len(outcome.missing):,} · "
        f"flagged {len(outcome.flagged):,}",
        f"already stored before: {outcome.already_stored:,}",
        f"captcha answers per report: {outcome.answers_per_report:.2f}",
    ]
    if outcome.catch_up_rounds:
        lines.append(f"catch-up rounds: {outcome.catch_up_rounds}")
    if outcome.rolled_over_to is not None:
        lines.append(
            f"rollover: the site began serving {outcome.rolled_over_to.isoformat()} during the run; "
            f"the securities left were not asked for under {day}"
        )
    if outcome.stopped:
        lines.append("stopped before the end: run `bsr fetch` again to resume")
    for code, reasons in sorted(outcome.flagged.items()):
        lines.append(f"flagged {code}: {'; '.join(reasons)}")
    lines.extend(notes)
    lines.append(f"Dashboard: {page_url(dashboard_url, f'/reports?date={day}')}")
    return Alert(AlertKind.DIGEST, f"bsr {day}: {state}", "\n".join(lines), outcome.trade_date)


def missing_alert(outcome: DayOutcome, dashboard_url: str) -> Alert | None:
    """The securities still missing once the runs of the day are over, each named, grouped by why."""
    if not outcome.missing:
        return None
    day = outcome.trade_date.isoformat()
    by_reason: dict[str, list[str]] = {}
    for code, why in sorted(outcome.missing.items()):
        by_reason.setdefault(str(why), []).append(code)
    reasons = sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))
    lines = [f"{len(outcome.missing):,} securities of {day} are still missing: {', '.join(sorted(outcome.missing))}"]
    lines += [f"{', '.join(codes)}: {reason}" for reason, codes in reasons[:NAMED_REASONS]]
    if len(reasons) > NAMED_REASONS:
        lines.append(f"… and {len(reasons) - NAMED_REASONS} other reasons (bsr dashboard, Overview)")
    lines.append("Run `bsr fetch` while the site still serves the day: it fetches only what is missing.")
    lines.append(f"Dashboard: {page_url(dashboard_url, '/')}")
    return Alert(
        AlertKind.MISSING,
        f"bsr {day}: {len(outcome.missing):,} missing",
        "\n".join(lines),
        outcome.trade_date,
    )


def failure_alert(error: str, dashboard_url: str, trade_date: date | None = None) -> Alert:
    """A run that ended with an error, before the day was done."""
    day = trade_date.isoformat() if trade_date else "today"
    return Alert(
        AlertKind.DIGEST,
        f"bsr {day}: the run failed",
        f"The run of {day} stopped: {error}\nDashboard: {page_url(dashboard_url, '/')}",
        trade_date,
    )


def page_url(dashboard_url: str, path: str) -> str:
    """A dashboard page's address under its public base URL (BSR_DASHBOARD_URL)."""
    return dashboard_url.rstrip("/") + path


def quoted(segment: str) -> str:
    """A stock code or broker id as a path segment: ids such as 9B2z are safe, but the site's are the site's."""
    return quote(segment, safe="")
