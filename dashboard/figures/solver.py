"""The solver page's figures: acceptance per model version and day, attempts per report, calibration, latency
and the characters it confuses."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage import (
    TAIPEI,
    CharConfusion,
    ConfidenceBucket,
    DailyAcceptance,
    Store,
)

ACCEPTANCE_DAYS = 60
ATTEMPT_TRADE_DATES = 30
ATTEMPT_HISTOGRAM_TOP = 5  # the last bar holds this many attempts or more
CONFIDENCE_BUCKETS = 10
CONFUSIONS_SHOWN = 12


@dataclass(frozen=True)
class AcceptanceSeries:
    """One model version's daily acceptance rate, aligned with SolverFigures.days (None: no judged attempt)."""

    model_version: str
    rates: list[float | None]
    judged: list[int]
    overall: float | None  # over all its days


@dataclass(frozen=True)
class TradeDateAttempts:
    trade_date: date
    reports: int
    mean_attempts: float


@dataclass(frozen=True)
class LatencyRow:
    model_version: str  # "all" for every version together
    count: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class SolverFigures:
    days: list[date]
    acceptance: list[AcceptanceSeries]
    latest_rate: float | None  # the last day with judged answers, all model versions
    week_before_rate: float | None  # the 7 days before it: is the solver slipping?
    attempts_histogram: list[int]  # reports that took 1, 2, ... ATTEMPT_HISTOGRAM_TOP or more attempts
    attempts_by_trade_date: list[TradeDateAttempts]
    mean_attempts: float | None
    calibration: list[ConfidenceBucket]
    latency: list[LatencyRow]
    confusions: list[CharConfusion]


def solver_figures(store: Store, now: datetime) -> SolverFigures:
    """Acceptance per model version and day, attempts per report, calibration, latency, confusions."""
    since = now.astimezone(TAIPEI).date() - timedelta(days=ACCEPTANCE_DAYS)
    daily = store.acceptance_by_model_version(since=since)
    days = sorted({row.day for row in daily})
    versions = sorted({row.model_version for row in daily})
    by_key = {(row.day, row.model_version): row for row in daily}
    acceptance = [
        AcceptanceSeries(
            model_version=version,
            rates=[by_key[day, version].rate if (day, version) in by_key else None for day in days],
            judged=[by_key[day, version].judged if (day, version) in by_key else 0 for day in days],
            overall=acceptance_rate([row for row in daily if row.model_version == version]),
        )
        for version in versions
    ]
    judged_days = sorted({row.day for row in daily if row.judged})
    latest = judged_days[-1] if judged_days else None

    histogram: Counter[int] = Counter()
    by_trade_date = []
    all_attempts: list[int] = []
    for trade_date in sorted(store.trade_dates()[:ATTEMPT_TRADE_DATES]):
        # Reports stored outside any recorded job run show 0 attempts; they say nothing of the solver.
        attempts = [row.attempts for row in store.attempts_per_report(trade_date) if row.attempts]
        if attempts:
            histogram.update(min(count, ATTEMPT_HISTOGRAM_TOP) for count in attempts)
            by_trade_date.append(TradeDateAttempts(trade_date, len(attempts), statistics.fmean(attempts)))
            all_attempts += attempts

    latency = [_latency_row(store, "all", None)]
    latency += [_latency_row(store, version, version) for version in versions]
    return SolverFigures(
        days=days,
        acceptance=acceptance,
        latest_rate=acceptance_rate([row for row in daily if row.day == latest]),
        week_before_rate=acceptance_rate(
            [row for row in daily if latest and latest - timedelta(days=7) <= row.day < latest]
        ),
        attempts_histogram=[histogram[count] for count in range(1, ATTEMPT_HISTOGRAM_TOP + 1)],
        attempts_by_trade_date=by_trade_date,
        mean_attempts=statistics.fmean(all_attempts) if all_attempts else None,
        calibration=store.accuracy_by_confidence(CONFIDENCE_BUCKETS),
        latency=latency,
        confusions=store.char_confusions()[:CONFUSIONS_SHOWN],
    )


def acceptance_rate(days: list[DailyAcceptance]) -> float | None:
    """The share of judged answers the site accepted over `days`; None where none was judged."""
    judged = sum(day.judged for day in days)
    return sum(day.accepted for day in days) / judged if judged else None


def _latency_row(store: Store, name: str, model_version: str | None) -> LatencyRow:
    figures = store.latency_percentiles(model_version)
    return LatencyRow(name, figures.count, figures.p50, figures.p90, figures.p99)
