"""The Store's job runs: a daily run's start, heartbeat, counts and end, and its progress so far.

A run that stops beating for JOB_RUN_LOST_AFTER was killed and reads as interrupted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from storage.base import StoreBase, enum_value, utc_now
from storage.errors import StorageError, UnknownRecordError
from storage.models import (
    JobRunRow,
    ReportRow,
    SolveAttemptRow,
)
from storage.records import (
    AttemptOutcome,
    JobCounts,
    JobProgress,
    JobRun,
    JobStatus,
    Missing,
)

# A running job beats every half minute (bot.options.HEARTBEAT_S); one silent this long was killed.
JOB_RUN_LOST_AFTER = timedelta(minutes=5)


class JobRuns(StoreBase):
    """The Store's job runs (see storage.store.Store)."""

    def start_job_run(self, trade_date: date, started_at: datetime | None = None) -> int:
        """Records the start of a daily job run (now, unless a backfill gives the time); returns its id.
        Earlier runs that stopped beating are recorded as interrupted at their last heartbeat: their process
        is gone."""
        started = started_at or utc_now()
        row = JobRunRow(
            trade_date=trade_date,
            started_at=started,
            finished_at=None,
            heartbeat_at=started,
            status=JobStatus.RUNNING,
            counts={},
            missing={},
        )
        with self._writing() as session:
            session.execute(
                update(JobRunRow)
                .where(JobRunRow.status == JobStatus.RUNNING, JobRunRow.heartbeat_at < _lost_before())
                .values(status=JobStatus.INTERRUPTED, finished_at=JobRunRow.heartbeat_at)
                .execution_options(synchronize_session=False)
            )
            session.add(row)
            session.flush()
            return row.id

    def beat_job_run(self, job_run_id: int) -> None:
        """A running job's sign of life; one silent for JOB_RUN_LOST_AFTER reads as interrupted."""
        with self._writing() as session:
            session.execute(
                update(JobRunRow)
                .where(JobRunRow.id == job_run_id, JobRunRow.status == JobStatus.RUNNING)
                .values(heartbeat_at=utc_now())
            )

    def finish_job_run(
        self,
        job_run_id: int,
        status: JobStatus | str,
        counts: JobCounts,
        finished_at: datetime | None = None,
        missing: Mapping[str, Missing] | None = None,
    ) -> None:
        """Records how a job run ended (now, unless a backfill gives the time), its counts and the
        securities it did not store, with why."""
        final = enum_value(JobStatus, status, "job run status")
        with self._writing() as session:
            row = session.get(JobRunRow, job_run_id)
            if row is None:
                raise UnknownRecordError(f"no job run {job_run_id} is stored; start one with start_job_run")
            row.status = final
            row.finished_at = finished_at or utc_now()
            row.counts = counts.to_json()
            row.missing = {str(code): why.to_json() for code, why in (missing or {}).items()}

    def update_job_run_counts(self, job_run_id: int, counts: JobCounts) -> None:
        """Replaces a running job run's counts with those so far, so that its progress can be shown."""
        with self._writing() as session:
            row = session.get(JobRunRow, job_run_id)
            if row is None:
                raise UnknownRecordError(f"no job run {job_run_id} is stored; start one with start_job_run")
            if row.status is not JobStatus.RUNNING:
                raise StorageError(f"job run {job_run_id} has finished ({row.status.value}); its counts are final")
            row.counts = counts.to_json()
            row.heartbeat_at = utc_now()

    def job_run_progress(self, job_run_id: int) -> JobProgress:
        """A job run's work so far: reports of its date stored since it started, its attempts by outcome."""
        with self._reading() as session:
            run = session.get(JobRunRow, job_run_id)
            if run is None:
                raise UnknownRecordError(f"no job run {job_run_id} is stored; start one with start_job_run")
            reports = {
                no_trades: count
                for no_trades, count in session.execute(
                    select(ReportRow.no_trades, func.count())
                    .where(ReportRow.trade_date == run.trade_date, ReportRow.fetched_at >= run.started_at)
                    .group_by(ReportRow.no_trades)
                )
            }
            attempts = {
                outcome: count
                for outcome, count in session.execute(
                    select(SolveAttemptRow.outcome, func.count())
                    .where(SolveAttemptRow.job_run_id == job_run_id)
                    .group_by(SolveAttemptRow.outcome)
                )
            }
            return JobProgress(
                job_run_id=run.id,
                trade_date=run.trade_date,
                started_at=run.started_at,
                stored=reports.get(False, 0),
                no_trades=reports.get(True, 0),
                accepted=attempts.get(AttemptOutcome.ACCEPTED, 0),
                rejected=attempts.get(AttemptOutcome.REJECTED, 0),
                expired=attempts.get(AttemptOutcome.EXPIRED, 0),
                error=attempts.get(AttemptOutcome.ERROR, 0),
            )

    def list_job_runs(self, limit: int = 50) -> list[JobRun]:
        """The latest job runs, newest first. A run still marked running that stopped beating reads as
        interrupted at its last heartbeat, as the next run will record it."""
        lost_before = _lost_before()
        with self._reading() as session:
            rows = session.scalars(
                select(JobRunRow).order_by(JobRunRow.started_at.desc(), JobRunRow.id.desc()).limit(limit)
            )
            runs = []
            for row in rows:
                status, finished_at = row.status, row.finished_at
                if status is JobStatus.RUNNING and row.heartbeat_at < lost_before:
                    status, finished_at = JobStatus.INTERRUPTED, row.heartbeat_at
                runs.append(
                    JobRun(
                        id=row.id,
                        trade_date=row.trade_date,
                        started_at=row.started_at,
                        finished_at=finished_at,
                        status=status,
                        counts=JobCounts.from_json(row.counts),
                        heartbeat_at=row.heartbeat_at,
                        missing={code: Missing.from_json(why) for code, why in (row.missing or {}).items()},
                    )
                )
            return runs


def _lost_before() -> datetime:
    """Running job runs whose last heartbeat is older than this were killed."""
    return utc_now() - JOB_RUN_LOST_AFTER
