"""The dashboard's figures, built from storage's queries: job runs, solver accuracy, the failure queue, reports.

Plain dataclasses that the pages render and the JSON API returns as they are; no SQL here."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from storage import (
    TAIPEI,
    BrokerTrade,
    CharConfusion,
    ConfidenceBucket,
    DailyAcceptance,
    DayFigures,
    JobRun,
    JobStatus,
    Report,
    ReportSource,
    Store,
    StoredAttempt,
)

ACCEPTANCE_DAYS = 60
ATTEMPT_TRADE_DATES = 30
ATTEMPT_HISTOGRAM_TOP = 5  # the last bar holds this many attempts or more
CONFIDENCE_BUCKETS = 10
CONFUSIONS_SHOWN = 12
TOP_BRANCHES = 10


@dataclass(frozen=True)
class JobRunFigures:
    """One job run as a table row: its counts and how long it took (so far, while it runs)."""

    id: int
    trade_date: date
    status: JobStatus
    started_at: datetime  # Taipei time
    finished_at: datetime | None
    duration_s: float
    stored: int
    no_trades: int
    failed: int
    not_asked: int
    refused: int  # downloads a check refused (each fetched again)
    flagged: int  # reports stored flagged: a soft sign kept doubting them
    attempts: int
    attempts_per_report: float | None
    missing: dict[str, str]  # securities the run did not store, with why


@dataclass(frozen=True)
class RunningJob:
    """A job run still running: the reports and attempts it has stored so far, out of `total` if known."""

    run: JobRunFigures
    done: int
    total: int | None
    stored: int
    no_trades: int
    failed: int
    attempts: int
    accepted: int
    percent: float | None  # of total


@dataclass(frozen=True)
class MissingSecurity:
    code: str
    name: str
    reason: str


@dataclass(frozen=True)
class FlaggedReport:
    """A report stored flagged, and why (storage.report_checks)."""

    code: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DayCoverage:
    """A trade date against the exchange's list that day: what is stored, and what is not and why."""

    trade_date: date
    listed: int  # on the exchange's list that day (0 where it was never read)
    stored: int  # reports stored, no-trades answers among them
    no_trades: int
    missing: list[MissingSecurity]  # listed or asked for, and not stored
    flagged: list[FlaggedReport] = field(default_factory=list)  # stored, though a soft sign kept doubting them


@dataclass(frozen=True)
class Overview:
    runs: list[JobRunFigures]
    running: list[RunningJob]
    failure_queue_size: int
    acceptance_today: float | None  # across model versions, Taipei day
    coverage: DayCoverage | None  # of the trade date of the latest finished run


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


@dataclass(frozen=True)
class FailureFigures:
    """A rejected attempt waiting for a label, without its image (served by id at image_url)."""

    id: int
    attempted_at: datetime  # Taipei time
    stock_code: str
    model_version: str
    guess: str
    confidence: float
    image_url: str


@dataclass(frozen=True)
class BranchTotals:
    """One broker branch's trading in one report, all prices together."""

    broker_id: str
    broker_name: str
    buy_shares: int
    sell_shares: int
    net_shares: int
    net_value: Decimal
    buy_price: Decimal | None  # average, weighted by shares
    sell_price: Decimal | None


@dataclass(frozen=True)
class ReportFigures:
    trade_date: date
    stock_code: str
    security_name: str | None
    rec_count: int  # the download link's RecCount, as the site gave it: not the number of records
    no_trades: bool
    fetched_at: datetime  # Taipei time; for an imported report, when it was imported
    figures: DayFigures | None  # the site's own view of the day: 成交筆數, 成交金額, 成交股數, prices
    flags: tuple[str, ...]  # why it was stored flagged; () for none
    source: ReportSource  # fetched by the bot, or imported from a saved file (no view figures)
    total_buy_shares: int
    total_sell_shares: int  # a real report's need not equal its buys
    total_value: Decimal
    branches: int
    top_buyers: list[BranchTotals]
    top_sellers: list[BranchTotals]
    trades: list[BrokerTrade]


def job_run_figures(run: JobRun, now: datetime) -> JobRunFigures:
    counts = run.counts
    return JobRunFigures(
        id=run.id,
        trade_date=run.trade_date,
        status=run.status,
        started_at=run.started_at.astimezone(TAIPEI),
        finished_at=run.finished_at.astimezone(TAIPEI) if run.finished_at else None,
        duration_s=((run.finished_at or now) - run.started_at).total_seconds(),
        stored=counts.stored,
        no_trades=counts.no_trades,
        failed=counts.failed,
        not_asked=counts.not_asked,
        refused=counts.refused,
        flagged=counts.flagged,
        attempts=counts.attempts,
        attempts_per_report=counts.attempts / counts.reports if counts.reports else None,
        missing=run.missing,
    )


def overview(store: Store, now: datetime, limit: int = 30) -> Overview:
    """Recent job runs, newest first, and the progress of those still running."""
    runs = store.list_job_runs(limit)
    running = []
    for run in runs:
        if run.status is JobStatus.RUNNING:
            progress = store.job_run_progress(run.id)
            failed = run.counts.failed
            done = progress.stored + progress.no_trades + failed
            total = run.counts.planned or None
            running.append(
                RunningJob(
                    run=job_run_figures(run, now),
                    done=done,
                    total=total,
                    stored=progress.stored,
                    no_trades=progress.no_trades,
                    failed=failed,
                    attempts=progress.attempts,
                    accepted=progress.accepted,
                    percent=min(100.0, 100 * done / total) if total else None,
                )
            )
    today = now.astimezone(TAIPEI).date()
    finished = [run for run in runs if run.status is not JobStatus.RUNNING]
    return Overview(
        runs=[job_run_figures(run, now) for run in runs],
        running=running,
        coverage=day_coverage(store, finished[0].trade_date, runs) if finished else None,
        failure_queue_size=store.failure_queue_size(),
        acceptance_today=_rate(
            [day for day in store.acceptance_by_model_version(since=today) if day.day == today]
        ),
    )


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
            overall=_rate([row for row in daily if row.model_version == version]),
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
        latest_rate=_rate([row for row in daily if row.day == latest]),
        week_before_rate=_rate(
            [row for row in daily if latest and latest - timedelta(days=7) <= row.day < latest]
        ),
        attempts_histogram=[histogram[count] for count in range(1, ATTEMPT_HISTOGRAM_TOP + 1)],
        attempts_by_trade_date=by_trade_date,
        mean_attempts=statistics.fmean(all_attempts) if all_attempts else None,
        calibration=store.accuracy_by_confidence(CONFIDENCE_BUCKETS),
        latency=latency,
        confusions=store.char_confusions()[:CONFUSIONS_SHOWN],
    )


def _rate(days: list[DailyAcceptance]) -> float | None:
    judged = sum(day.judged for day in days)
    return sum(day.accepted for day in days) / judged if judged else None


def _latency_row(store: Store, name: str, model_version: str | None) -> LatencyRow:
    figures = store.latency_percentiles(model_version)
    return LatencyRow(name, figures.count, figures.p50, figures.p90, figures.p99)


def failure_figures(attempt: StoredAttempt) -> FailureFigures:
    return FailureFigures(
        id=attempt.id,
        attempted_at=attempt.attempted_at.astimezone(TAIPEI),
        stock_code=attempt.stock_code,
        model_version=attempt.model_version,
        guess=attempt.guess,
        confidence=attempt.confidence,
        image_url=f"/attempts/{attempt.id}/image",
    )


def day_coverage(store: Store, trade_date: date, runs: list[JobRun]) -> DayCoverage:
    """What the day holds against what was listed and asked for; the reason of a missing security is its
    latest finished run's (failed, not asked once the run stopped or the site moved on), else not asked."""
    summaries = store.report_summaries(trade_date)
    stored = {summary.stock_code for summary in summaries}
    listed = {security.code: security.name for security in store.listed_securities(trade_date)}
    reasons: dict[str, str] = {}
    for run in reversed([run for run in runs if run.trade_date == trade_date]):  # the latest run's word wins
        reasons.update(run.missing)
    names = listed | {security.code: security.name for security in store.list_securities() if security.code in reasons}
    missing = [
        MissingSecurity(code, names.get(code, ""), reasons.get(code, "not asked: no run asked for it"))
        for code in sorted((set(listed) | set(reasons)) - stored)
    ]
    return DayCoverage(
        trade_date=trade_date,
        listed=len(listed),
        stored=len(stored),
        no_trades=sum(summary.no_trades for summary in summaries),
        missing=missing,
        flagged=[
            FlaggedReport(summary.stock_code, names.get(summary.stock_code, ""), summary.flags)
            for summary in summaries
            if summary.flags
        ],
    )


def report_figures(store: Store, trade_date: date, stock_code: str) -> ReportFigures | None:
    """One stored report: totals, the top net buying and selling branches, and every trade."""
    report = store.load_report(trade_date, stock_code)
    if report is None:
        return None
    branches = branch_totals(report)
    names = {security.code: security.name for security in store.list_securities()}
    return ReportFigures(
        trade_date=report.trade_date,
        stock_code=report.stock_code,
        security_name=names.get(report.stock_code),
        rec_count=report.rec_count,
        no_trades=report.no_trades,
        fetched_at=report.fetched_at.astimezone(TAIPEI),
        figures=report.figures,
        flags=report.flags,
        source=report.source,
        total_buy_shares=report.total_buy_shares,
        total_sell_shares=report.total_sell_shares,
        total_value=sum((trade.price * trade.buy_shares for trade in report.trades), Decimal(0)),
        branches=len(branches),
        top_buyers=[branch for branch in branches if branch.net_shares > 0][:TOP_BRANCHES],
        top_sellers=[branch for branch in reversed(branches) if branch.net_shares < 0][:TOP_BRANCHES],
        trades=list(report.trades),
    )


def branch_totals(report: Report) -> list[BranchTotals]:
    """Each branch's buys and sells over all prices (storage's sum, Report.branch_days), largest net buyer
    first; values in NT$ with the cents the prices have."""
    branches = []
    for day in report.branch_days():
        buy_value, sell_value = Decimal(day.buy_cents).scaleb(-2), Decimal(day.sell_cents).scaleb(-2)
        bought, sold = day.buy_shares, day.sell_shares
        branches.append(
            BranchTotals(
                broker_id=day.broker_id,
                broker_name=day.broker_name,
                buy_shares=bought,
                sell_shares=sold,
                net_shares=bought - sold,
                net_value=buy_value - sell_value,
                buy_price=(buy_value / bought).quantize(Decimal("0.01")) if bought else None,
                sell_price=(sell_value / sold).quantize(Decimal("0.01")) if sold else None,
            )
        )
    # Ties by branch id, so that equal nets list the same way every time.
    return sorted(branches, key=lambda branch: (-branch.net_shares, branch.broker_id))
