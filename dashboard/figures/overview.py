"""The overview page's figures: recent job runs, the ones still running, and the latest trade date's
coverage against the exchange's list (also the JSON API's /runs and /coverage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dashboard.figures.solver import acceptance_rate
from storage import TAIPEI, JobRun, JobStatus, Missing, MissingReason, Store


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
    reason: MissingReason
    why: str  # the reason told in full: the last error, the day the site moved on to


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
        missing={code: str(why) for code, why in run.missing.items()},
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
        acceptance_today=acceptance_rate(
            [day for day in store.acceptance_by_model_version(since=today) if day.day == today]
        ),
    )


def day_coverage(store: Store, trade_date: date, runs: list[JobRun]) -> DayCoverage:
    """What the day holds against what was listed and asked for; the reason of a missing security is its
    latest finished run's (failed, not asked once the run stopped or the site moved on), else not asked."""
    summaries = store.report_summaries(trade_date)
    stored = {summary.stock_code for summary in summaries}
    listed = {security.code: security.name for security in store.listed_securities(trade_date)}
    reasons: dict[str, Missing] = {}
    for run in reversed([run for run in runs if run.trade_date == trade_date]):  # the latest run's word wins
        reasons.update(run.missing)
    names = listed | {security.code: security.name for security in store.list_securities() if security.code in reasons}
    missing = [
        MissingSecurity(code, names.get(code, ""), why.reason, str(why))
        for code in sorted((set(listed) | set(reasons)) - stored)
        for why in [reasons.get(code, Missing(MissingReason.NOT_ASKED))]
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
