"""The Store: every read and write the other rooms make to the database, each one a transaction of its own.

Open one with Store.open(url); one Store may be shared by threads (AsyncStore runs it off the event loop)."""

from __future__ import annotations

import hashlib
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from os import PathLike
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine, Row, Table, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date

from storage.engine import open_engine, reader, shown, translated_errors, writer
from storage.errors import InvalidReportError, ReportMismatchError, StorageError, UnknownRecordError
from storage.migrations import upgrade_engine
from storage.models import (
    BRANCH_DAYS,
    SECURITIES,
    BranchDayRow,
    BrokerTradeRow,
    JobRunRow,
    ModelVersionRow,
    ReportRow,
    SecurityRow,
    SolveAttemptRow,
)
from storage.records import (
    Attempt,
    AttemptOutcome,
    BrokerTrade,
    CharConfusion,
    ConfidenceBucket,
    DailyAcceptance,
    DayFigures,
    JobProgress,
    JobRun,
    JobStatus,
    LabelSource,
    LatencyPercentiles,
    ModelVersion,
    Report,
    ReportAttempts,
    ReportSummary,
    SaveResult,
    Security,
    StoredAttempt,
)

_E = TypeVar("_E", JobStatus, AttemptOutcome, LabelSource)

CENT = Decimal("0.01")
TAIPEI_OFFSET = timedelta(hours=8)  # Taiwan keeps no daylight saving time
RAW_CSV_COMPRESSION_LEVEL = 6
MAX_ROW_ID = 2**63 - 1  # ids are 64-bit integers on SQLite and PostgreSQL alike
# A running job beats every half minute (bot.job.HEARTBEAT_S); one silent this long was killed.
JOB_RUN_LOST_AFTER = timedelta(minutes=5)


class taipei_day(FunctionElement[date]):
    """The calendar day in Taipei of a stored (naive UTC) timestamp, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(taipei_day, "sqlite")
def _taipei_day_sqlite(element: taipei_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(taipei_day, "postgresql")
def _taipei_day_postgresql(element: taipei_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) + INTERVAL '8 hours' AS DATE)"


class Store:
    """The database of reports, solve attempts, job runs, securities and model versions."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._writer = writer(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connects to `url`, bringing its schema up to date first (SQLite: the file and folder are made)."""
        engine = open_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return shown(self._engine.url)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with translated_errors(self._engine), Session(self._reader) as session, session.begin():
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with translated_errors(self._engine), Session(self._writer) as session, session.begin():
            yield session

    # Reports

    def save_report(self, report: Report) -> SaveResult:
        """Stores a complete report in one transaction: new, replacing a different one whole, or a no-op.

        Raises ReportMismatchError (leaving any stored report as it was) for an incomplete download."""
        check_report(report)
        content_sha256 = _content_sha256(report)
        try:
            return self._save_report(report, content_sha256)
        except IntegrityError:
            # Another writer inserted the same (trade_date, stock_code) between our look and our insert
            # (PostgreSQL; SQLite writers queue at BEGIN); looking again finds theirs.
            return self._save_report(report, content_sha256)

    def _save_report(self, report: Report, content_sha256: str) -> SaveResult:
        with self._writing() as session:
            row = session.scalars(
                select(ReportRow)
                .where(ReportRow.trade_date == report.trade_date, ReportRow.stock_code == report.stock_code)
                .with_for_update()
            ).one_or_none()
            if row is not None and row.content_sha256 == content_sha256:
                return SaveResult.UNCHANGED
            if row is None:
                row = ReportRow(trade_date=report.trade_date, stock_code=report.stock_code)
                session.add(row)
                result = SaveResult.INSERTED
            else:
                session.execute(delete(BrokerTradeRow).where(BrokerTradeRow.report_id == row.id))
                session.execute(
                    delete(BranchDayRow).where(
                        BranchDayRow.stock_code == report.stock_code, BranchDayRow.trade_date == report.trade_date
                    )
                )
                result = SaveResult.REPLACED
            _fill_report_row(row, report, content_sha256)
            session.flush()
            _insert_trades(session, [(row.id, report.trades)])
            _insert_branch_days(session, [report])
            return result

    def load_reports(self, reports: Iterable[Report]) -> int:
        """Stores many new reports in one transaction, in bulk: history loaded from elsewhere (the demo's
        days, a benchmark's market). Each is checked as save_report checks it; one already stored for its
        day fails the whole load (IntegrityError), since loading is not updating. Returns how many."""
        checked = list(reports)
        for report in checked:
            check_report(report)
        with self._writing() as session:
            rows = []
            for report in checked:
                row = ReportRow(trade_date=report.trade_date, stock_code=report.stock_code)
                _fill_report_row(row, report, _content_sha256(report))
                rows.append(row)
            session.add_all(rows)
            session.flush()
            _insert_trades(session, [(row.id, report.trades) for row, report in zip(rows, checked, strict=True)])
            _insert_branch_days(session, checked)
        return len(checked)

    def stored_codes(self, trade_date: date) -> set[str]:
        """Codes whose report of `trade_date` is stored (no-trades answers included): what a resume skips."""
        with self._reading() as session:
            return set(
                session.scalars(select(ReportRow.stock_code).where(ReportRow.trade_date == trade_date))
            )

    def trade_dates(self) -> list[date]:
        """Days with at least one stored report, newest first."""
        with self._reading() as session:
            return list(
                session.scalars(select(ReportRow.trade_date).distinct().order_by(ReportRow.trade_date.desc()))
            )

    def report_summaries(self, trade_date: date) -> list[ReportSummary]:
        """The reports stored for a day, without their trades, by stock code."""
        with self._reading() as session:
            rows = session.scalars(
                select(ReportRow).where(ReportRow.trade_date == trade_date).order_by(ReportRow.stock_code)
            )
            return [
                ReportSummary(
                    trade_date=row.trade_date,
                    stock_code=row.stock_code,
                    rec_count=row.rec_count,
                    total_shares=row.total_shares,
                    total_value=row.total_value,
                    no_trades=row.no_trades,
                    fetched_at=row.fetched_at,
                    figures=_figures(row),
                    shares_mismatch=row.shares_mismatch,
                )
                for row in rows
            ]

    def load_report(self, trade_date: date, stock_code: str) -> Report | None:
        """The stored report whole, raw CSV included (decompressed), or None."""
        with self._reading() as session:
            row = self._report_row(session, trade_date, stock_code)
            if row is None:
                return None
            return Report(
                trade_date=row.trade_date,
                stock_code=row.stock_code,
                rec_count=row.rec_count,
                trades=self._trades(session, row.id),
                raw_csv=zlib.decompress(row.raw_csv_zlib),
                fetched_at=row.fetched_at,
                no_trades=row.no_trades,
                figures=_figures(row),
            )

    def report_trades(self, trade_date: date, stock_code: str) -> tuple[BrokerTrade, ...]:
        """The broker trades of one stored report, by sequence number."""
        with self._reading() as session:
            row = self._report_row(session, trade_date, stock_code)
            if row is None:
                raise UnknownRecordError(
                    f"no report of {stock_code} for {trade_date.isoformat()} is stored; download it first"
                )
            return self._trades(session, row.id)

    def day_trades(self, trade_date: date, batch_size: int = 5000) -> Iterator[tuple[str, BrokerTrade]]:
        """Every broker trade of a day as (stock_code, trade), by stock code and sequence, streamed.

        The read transaction stays open until the iterator is exhausted or closed."""
        with self._reading() as session:
            result = session.execute(
                select(ReportRow.stock_code, *_TRADE_COLUMNS)
                .join(BrokerTradeRow, BrokerTradeRow.report_id == ReportRow.id)
                .where(ReportRow.trade_date == trade_date)
                .order_by(ReportRow.stock_code, BrokerTradeRow.seq)
                .execution_options(yield_per=batch_size)
            )
            for row in result:
                yield row.stock_code, _broker_trade(row)

    def read(self, statement: Executable) -> list[Row[Any]]:
        """The rows of a SELECT another room builds over storage.models (flows asks its own questions so),
        read in one transaction of its own."""
        with self._reading() as session:
            return list(session.execute(statement))

    @staticmethod
    def _report_row(session: Session, trade_date: date, stock_code: str) -> ReportRow | None:
        return session.scalars(
            select(ReportRow).where(ReportRow.trade_date == trade_date, ReportRow.stock_code == stock_code)
        ).one_or_none()

    @staticmethod
    def _trades(session: Session, report_id: int) -> tuple[BrokerTrade, ...]:
        rows = session.execute(
            select(*_TRADE_COLUMNS).where(BrokerTradeRow.report_id == report_id).order_by(BrokerTradeRow.seq)
        )
        return tuple(_broker_trade(row) for row in rows)

    # Securities

    def upsert_securities(self, securities: Iterable[Security]) -> int:
        """Adds new securities and updates the name, kind and listing date of known ones (a listing date
        already stored stays where none is given); returns how many were given."""
        by_code = {security.code: security for security in securities}
        if not by_code:
            return 0
        table = SECURITIES
        statement = self._insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.code],
            set_={
                "name": statement.excluded.name,
                "kind": statement.excluded.kind,
                "listed_on": func.coalesce(statement.excluded.listed_on, table.c.listed_on),
            },
        )
        with self._writing() as session:
            session.execute(statement, [_security_row(item) for item in by_code.values()])
        return len(by_code)

    def record_listing(self, securities: Iterable[Security], seen_on: date) -> int:
        """Stores the exchange's list as read on `seen_on`: every code on it is seen that day (and first seen
        then, if never before); codes not on it keep their last day seen. Returns how many codes it listed."""
        by_code = {security.code: security for security in securities}
        if not by_code:
            return 0
        table = SECURITIES
        statement = self._insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.code],
            set_={
                "name": statement.excluded.name,
                "kind": statement.excluded.kind,
                "listed_on": func.coalesce(statement.excluded.listed_on, table.c.listed_on),
                "first_seen": func.coalesce(table.c.first_seen, statement.excluded.first_seen),
                "last_seen": statement.excluded.last_seen,
            },
        )
        rows = [_security_row(item) | {"first_seen": seen_on, "last_seen": seen_on} for item in by_code.values()]
        with self._writing() as session:
            session.execute(statement, rows)
        return len(by_code)

    def last_listing(self) -> tuple[date | None, list[Security]]:
        """The day the exchange's list was last read and the securities it listed then, by code;
        (None, []) where it never was."""
        with self._reading() as session:
            last = session.scalar(select(func.max(SecurityRow.last_seen)))
            if last is None:
                return None, []
            statement = select(SecurityRow).where(SecurityRow.last_seen == last).order_by(SecurityRow.code)
            return last, [_security(row) for row in session.scalars(statement)]

    def security_sightings(self, code: str) -> tuple[date | None, date | None]:
        """The first and the last day `code` was seen on the exchange's list; (None, None) if never."""
        with self._reading() as session:
            row = session.get(SecurityRow, code)
            return (row.first_seen, row.last_seen) if row is not None else (None, None)

    def list_securities(self, kind: str | None = None) -> list[Security]:
        """The stored securities by code, all or those of one kind."""
        statement = select(SecurityRow).order_by(SecurityRow.code)
        if kind is not None:
            statement = statement.where(SecurityRow.kind == kind)
        with self._reading() as session:
            return [_security(row) for row in session.scalars(statement)]

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    # Job runs

    def start_job_run(self, trade_date: date, started_at: datetime | None = None) -> int:
        """Records the start of a daily job run (now, unless a backfill gives the time); returns its id.
        Earlier runs that stopped beating are recorded as interrupted at their last heartbeat: their process
        is gone."""
        started = started_at or _now()
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
                .values(heartbeat_at=_now())
            )

    def finish_job_run(
        self,
        job_run_id: int,
        status: JobStatus | str,
        counts: Mapping[str, int],
        finished_at: datetime | None = None,
        missing: Mapping[str, str] | None = None,
    ) -> None:
        """Records how a job run ended (now, unless a backfill gives the time), its counts per outcome
        (e.g. {'stored': 1300, 'no_trades': 40}) and the securities it did not store, with why."""
        final = _enum_value(JobStatus, status, "job run status")
        with self._writing() as session:
            row = session.get(JobRunRow, job_run_id)
            if row is None:
                raise UnknownRecordError(f"no job run {job_run_id} is stored; start one with start_job_run")
            row.status = final
            row.finished_at = finished_at or _now()
            row.counts = {str(key): int(value) for key, value in counts.items()}
            row.missing = {str(code): str(reason) for code, reason in (missing or {}).items()}

    def update_job_run_counts(self, job_run_id: int, counts: Mapping[str, int]) -> None:
        """Replaces a running job run's counts with those so far, so that its progress can be shown."""
        with self._writing() as session:
            row = session.get(JobRunRow, job_run_id)
            if row is None:
                raise UnknownRecordError(f"no job run {job_run_id} is stored; start one with start_job_run")
            if row.status is not JobStatus.RUNNING:
                raise StorageError(
                    f"job run {job_run_id} has finished ({row.status.value}); its counts are final"
                )
            row.counts = {str(key): int(value) for key, value in counts.items()}
            row.heartbeat_at = _now()

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
                        counts=dict(row.counts),
                        heartbeat_at=row.heartbeat_at,
                        missing=dict(row.missing or {}),
                    )
                )
            return runs

    # Solve attempts

    def record_attempt(self, attempt: Attempt) -> int:
        """Stores one captcha attempt; an accepted one is labelled with its guess (source: the site)."""
        outcome = _enum_value(AttemptOutcome, attempt.outcome, "attempt outcome")
        accepted = outcome is AttemptOutcome.ACCEPTED
        row = SolveAttemptRow(
            attempted_at=attempt.attempted_at,
            job_run_id=attempt.job_run_id,
            stock_code=attempt.stock_code,
            image=attempt.image,
            image_sha256=hashlib.sha256(attempt.image).hexdigest(),
            model_version=attempt.model_version,
            guess=attempt.guess,
            confidence=float(attempt.confidence),
            latency_ms=float(attempt.latency_ms),
            outcome=outcome,
            label=attempt.guess if accepted else None,
            label_source=LabelSource.SITE if accepted else LabelSource.NONE,
            labelled_at=attempt.attempted_at if accepted else None,
            unreadable=False,
        )
        try:
            with self._writing() as session:
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            if attempt.job_run_id is None:
                raise
            raise UnknownRecordError(
                f"attempt refers to job run {attempt.job_run_id}, which is not stored; "
                "pass the id start_job_run returned, or None"
            ) from None

    def get_attempt(self, attempt_id: int) -> StoredAttempt:
        with self._reading() as session:
            return _stored_attempt(self._attempt_row(session, attempt_id))

    def label_attempt(
        self, attempt_id: int, label: str, source: LabelSource | str = LabelSource.HUMAN
    ) -> None:
        """Sets what the attempt's image reads (upper-cased: the site ignores case); source none clears it."""
        label_source = _enum_value(LabelSource, source, "label source")
        text = label.strip().upper()
        if label_source is not LabelSource.NONE and not text:
            raise StorageError(f"an empty label for attempt {attempt_id}; mark the image unreadable instead")
        with self._writing() as session:
            row = self._attempt_row(session, attempt_id)
            cleared = label_source is LabelSource.NONE
            row.label = None if cleared else text
            row.label_source = label_source
            row.labelled_at = None if cleared else _now()
            row.unreadable = False

    def mark_unreadable(self, attempt_id: int) -> None:
        """Takes the attempt out of the failure queue and of training: nobody can read its image."""
        with self._writing() as session:
            row = self._attempt_row(session, attempt_id)
            row.unreadable = True
            row.label = None
            row.label_source = LabelSource.NONE
            row.labelled_at = _now()

    @staticmethod
    def _attempt_row(session: Session, attempt_id: int) -> SolveAttemptRow:
        # An id no column can hold names nothing; the drivers would fail on it instead of finding no row.
        row = session.get(SolveAttemptRow, attempt_id) if 0 < attempt_id <= MAX_ROW_ID else None
        if row is None:
            raise UnknownRecordError(f"no solve attempt {attempt_id} is stored")
        return row

    def failure_queue(self, limit: int = 100, after: int | None = None) -> list[StoredAttempt]:
        """Rejected attempts nobody has labelled or marked unreadable, newest first.

        `after` (an attempt id) starts the list behind that attempt, in the same order: how a skip pages on."""
        statement = (
            select(SolveAttemptRow)
            .where(*_IN_FAILURE_QUEUE)
            .order_by(SolveAttemptRow.attempted_at.desc(), SolveAttemptRow.id.desc())
            .limit(limit)
        )
        with self._reading() as session:
            if after is not None:
                anchor = self._attempt_row(session, after)
                statement = statement.where(
                    or_(
                        SolveAttemptRow.attempted_at < anchor.attempted_at,
                        and_(
                            SolveAttemptRow.attempted_at == anchor.attempted_at,
                            SolveAttemptRow.id < anchor.id,
                        ),
                    )
                )
            return [_stored_attempt(row) for row in session.scalars(statement)]

    def failure_queue_size(self) -> int:
        with self._reading() as session:
            return (
                session.scalar(select(func.count()).select_from(SolveAttemptRow).where(*_IN_FAILURE_QUEUE))
                or 0
            )

    def labelled_attempts(
        self,
        sources: Iterable[LabelSource] = (LabelSource.SITE, LabelSource.HUMAN),
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[StoredAttempt]:
        """Readable attempts labelled by the given sources, by id (page on with `after_id`): training data."""
        statement = (
            select(SolveAttemptRow)
            .where(
                SolveAttemptRow.label_source.in_(list(sources)),
                SolveAttemptRow.unreadable.is_(False),
                SolveAttemptRow.id > after_id,
            )
            .order_by(SolveAttemptRow.id)
            .limit(limit)
        )
        with self._reading() as session:
            return [_stored_attempt(row) for row in session.scalars(statement)]

    def acceptance_by_model_version(self, since: date | None = None) -> list[DailyAcceptance]:
        """Attempts per Taipei day and model version by outcome, by day then model version."""
        day = taipei_day(SolveAttemptRow.attempted_at)
        statement = select(
            day, SolveAttemptRow.model_version, SolveAttemptRow.outcome, func.count()
        ).group_by(day, SolveAttemptRow.model_version, SolveAttemptRow.outcome)
        if since is not None:
            statement = statement.where(
                SolveAttemptRow.attempted_at >= datetime.combine(since, time(), UTC) - TAIPEI_OFFSET
            )
        counts: dict[tuple[date, str], Counter[AttemptOutcome]] = {}
        with self._reading() as session:
            for day_value, model_version, outcome, count in session.execute(statement):
                counts.setdefault((day_value, model_version), Counter())[outcome] = count
        return [
            DailyAcceptance(
                day=day_value,
                model_version=model_version,
                accepted=by_outcome[AttemptOutcome.ACCEPTED],
                rejected=by_outcome[AttemptOutcome.REJECTED],
                expired=by_outcome[AttemptOutcome.EXPIRED],
                error=by_outcome[AttemptOutcome.ERROR],
            )
            for (day_value, model_version), by_outcome in sorted(counts.items())
        ]

    def attempts_per_report(self, trade_date: date | None = None) -> list[ReportAttempts]:
        """Captcha attempts each stored report took: those recorded under a job run of the report's date."""
        counted = (
            select(
                JobRunRow.trade_date,
                SolveAttemptRow.stock_code,
                func.count(SolveAttemptRow.id).label("attempts"),
            )
            .join(JobRunRow, SolveAttemptRow.job_run_id == JobRunRow.id)
            .group_by(JobRunRow.trade_date, SolveAttemptRow.stock_code)
        )
        reports = select(ReportRow.trade_date, ReportRow.stock_code)
        if trade_date is not None:
            counted = counted.where(JobRunRow.trade_date == trade_date)
            reports = reports.where(ReportRow.trade_date == trade_date)
        per_key = counted.subquery()
        statement = (
            reports.add_columns(func.coalesce(per_key.c.attempts, 0))
            .outerjoin(
                per_key,
                and_(
                    per_key.c.trade_date == ReportRow.trade_date, per_key.c.stock_code == ReportRow.stock_code
                ),
            )
            .order_by(ReportRow.trade_date, ReportRow.stock_code)
        )
        with self._reading() as session:
            return [ReportAttempts(*row) for row in session.execute(statement)]

    def accuracy_by_confidence(
        self, buckets: int = 10, model_version: str | None = None
    ) -> list[ConfidenceBucket]:
        """How often the site accepted a guess, by the solver's confidence in it: `buckets` equal bins of [0, 1].

        Only accepted and rejected attempts count; every bucket is listed, empty ones with judged 0."""
        if buckets < 1:
            raise StorageError(f"cannot split confidences into {buckets} buckets; ask for 1 or more")
        bucket = case(
            *((SolveAttemptRow.confidence < (index + 1) / buckets, index) for index in range(buckets - 1)),
            else_=buckets - 1,
        )
        statement = (
            select(bucket, SolveAttemptRow.outcome, func.count())
            .where(SolveAttemptRow.outcome.in_([AttemptOutcome.ACCEPTED, AttemptOutcome.REJECTED]))
            .group_by(bucket, SolveAttemptRow.outcome)
        )
        if model_version is not None:
            statement = statement.where(SolveAttemptRow.model_version == model_version)
        judged: Counter[int] = Counter()
        accepted: Counter[int] = Counter()
        with self._reading() as session:
            for index, outcome, count in session.execute(statement):
                judged[index] += count
                if outcome is AttemptOutcome.ACCEPTED:
                    accepted[index] += count
        return [
            ConfidenceBucket(index / buckets, (index + 1) / buckets, judged[index], accepted[index])
            for index in range(buckets)
        ]

    def latency_percentiles(self, model_version: str | None = None) -> LatencyPercentiles:
        """Median, 90th and 99th percentile solver latency (nearest rank), all attempts or one version's."""
        filters = [] if model_version is None else [SolveAttemptRow.model_version == model_version]
        with self._reading() as session:
            count = session.scalar(select(func.count()).select_from(SolveAttemptRow).where(*filters)) or 0
            if count == 0:
                return LatencyPercentiles(0, None, None, None)

            def at(percent: int) -> float | None:
                rank = max(1, math.ceil(percent / 100 * count))
                return session.scalar(
                    select(SolveAttemptRow.latency_ms)
                    .where(*filters)
                    .order_by(SolveAttemptRow.latency_ms)
                    .offset(rank - 1)
                    .limit(1)
                )

            return LatencyPercentiles(count, at(50), at(90), at(99))

    def char_confusions(self) -> list[CharConfusion]:
        """Characters the solver misread, from human labels: (label char, guessed char, count), most first.

        Only guesses as long as their label are compared, position by position."""
        statement = select(SolveAttemptRow.label, SolveAttemptRow.guess).where(
            SolveAttemptRow.label_source == LabelSource.HUMAN, SolveAttemptRow.label.is_not(None)
        )
        confusions: Counter[tuple[str, str]] = Counter()
        with self._reading() as session:
            for label, guess in session.execute(statement):
                if label is not None and len(label) == len(guess):
                    confusions.update(
                        (expected, guessed)
                        for expected, guessed in zip(label, guess.upper(), strict=True)
                        if expected != guessed
                    )
        ranked = sorted(confusions.items(), key=lambda item: (-item[1], item[0]))
        return [CharConfusion(expected, guessed, count) for (expected, guessed), count in ranked]

    # Model versions

    def register_model_version(
        self,
        name: str,
        path: str | PathLike[str],
        metrics: Mapping[str, float] | None = None,
        created_at: datetime | None = None,
    ) -> ModelVersion:
        """Adds a model version (inactive). Registering the same name, path and figures again is a no-op."""
        if not name.strip():
            raise StorageError("a model version needs a name, e.g. the date and time it was trained")
        figures = {str(key): float(value) for key, value in (metrics or {}).items()}
        with self._writing() as session:
            row = self._model_version_row(session, name)
            if row is not None:
                if row.path == str(path) and row.metrics == figures:
                    return _model_version(row)
                raise StorageError(
                    f"model version '{name}' is already registered with other files or figures; "
                    "register the new model under a new name"
                )
            row = ModelVersionRow(
                name=name, created_at=created_at or _now(), path=str(path), metrics=figures, active=False
            )
            session.add(row)
            session.flush()
            return _model_version(row)

    def activate_model_version(self, name: str) -> ModelVersion:
        """Makes `name` the one active model version, the one the solver should load."""
        with self._writing() as session:
            # Locking every version row serializes concurrent activations (PostgreSQL).
            names = list(session.scalars(select(ModelVersionRow.name).with_for_update()))
            row = self._model_version_row(session, name)
            if row is None:
                known = ", ".join(sorted(names)) or "none"
                raise UnknownRecordError(f"no model version '{name}' is registered (registered: {known})")
            session.execute(update(ModelVersionRow).where(ModelVersionRow.active).values(active=False))
            session.execute(
                update(ModelVersionRow)
                .where(ModelVersionRow.id == row.id)
                .values(active=True, activated_at=_now(), rolled_back_at=None)
            )
            session.refresh(row)
            return _model_version(row)

    def roll_back_model_version(self) -> ModelVersion:
        """Takes the active version out of service and activates the one active before it; returns that one.

        Rolled-back versions are passed over, so rolling back again goes one further step back."""
        with self._writing() as session:
            rows = list(session.scalars(select(ModelVersionRow).with_for_update()))
            current = next((row for row in rows if row.active), None)
            if current is None:
                raise StorageError("no model version is active, so there is nothing to roll back")
            earlier = [
                row
                for row in rows
                if row is not current and row.activated_at is not None and row.rolled_back_at is None
            ]
            if not earlier:
                raise StorageError(
                    f"'{current.name}' is the only version ever active; promote another to replace it"
                )
            previous = max(earlier, key=lambda row: (row.activated_at, row.id))
            now = _now()
            session.execute(
                update(ModelVersionRow)
                .where(ModelVersionRow.id == current.id)
                .values(active=False, rolled_back_at=now)
            )
            session.execute(
                update(ModelVersionRow).where(ModelVersionRow.id == previous.id).values(active=True, activated_at=now)
            )
            session.refresh(previous)
            return _model_version(previous)

    def active_model_version(self) -> ModelVersion | None:
        with self._reading() as session:
            row = session.scalars(select(ModelVersionRow).where(ModelVersionRow.active)).one_or_none()
            return None if row is None else _model_version(row)

    def list_model_versions(self) -> list[ModelVersion]:
        """Every registered model version, oldest first."""
        with self._reading() as session:
            rows = session.scalars(
                select(ModelVersionRow).order_by(ModelVersionRow.created_at, ModelVersionRow.id)
            )
            return [_model_version(row) for row in rows]

    @staticmethod
    def _model_version_row(session: Session, name: str) -> ModelVersionRow | None:
        return session.scalars(select(ModelVersionRow).where(ModelVersionRow.name == name)).one_or_none()


_TRADE_COLUMNS = (
    BrokerTradeRow.seq,
    BrokerTradeRow.broker_id,
    BrokerTradeRow.broker_name,
    BrokerTradeRow.price,
    BrokerTradeRow.buy_shares,
    BrokerTradeRow.sell_shares,
)
_IN_FAILURE_QUEUE = (
    SolveAttemptRow.outcome == AttemptOutcome.REJECTED,
    SolveAttemptRow.label_source == LabelSource.NONE,
    SolveAttemptRow.unreadable.is_(False),
)


def _fill_report_row(row: ReportRow, report: Report, content_sha256: str) -> None:
    row.rec_count = report.rec_count
    row.total_shares = report.total_buy_shares
    row.total_value = sum((trade.price * trade.buy_shares for trade in report.trades), Decimal(0))
    row.no_trades = report.no_trades
    row.fetched_at = report.fetched_at
    row.content_sha256 = content_sha256
    row.raw_csv_zlib = zlib.compress(report.raw_csv, RAW_CSV_COMPRESSION_LEVEL)
    _set_figures(row, report.figures)
    row.shares_mismatch = report.shares_mismatch or None


def _insert_trades(session: Session, report_trades: list[tuple[int, tuple[BrokerTrade, ...]]]) -> None:
    """The trades of stored report rows, (report id, trades) each, in one bulk statement."""
    if not any(trades for _, trades in report_trades):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY stores a 6,000-record report in under half the time of batched INSERTs (benchmarks/storage.py).
        statement = "COPY broker_trades (report_id, seq, broker_id, broker_name, price, buy_shares, sell_shares) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for report_id, trades in report_trades:
                    for t in trades:
                        copy.write_row(
                            (report_id, t.seq, t.broker_id, t.broker_name, t.price, t.buy_shares, t.sell_shares)
                        )
        return
    # The driver's own executemany: SQLAlchemy's per-row parameter work would double a day's load. The price
    # goes as text, which the column's NUMERIC affinity stores exactly as it stores SQLAlchemy's binding.
    connection.exec_driver_sql(
        "INSERT INTO broker_trades (report_id, seq, broker_id, broker_name, price, buy_shares, sell_shares) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (report_id, t.seq, t.broker_id, t.broker_name, str(t.price), t.buy_shares, t.sell_shares)
            for report_id, trades in report_trades
            for t in trades
        ],
    )


def _insert_branch_days(session: Session, reports: list[Report]) -> None:
    """Each report's records summed per branch (see BranchDayRow)."""
    rows = []
    for report in reports:
        by_branch: dict[str, list[Any]] = {}
        for trade in report.trades:
            cents = int(trade.price * 100)  # the price is checked to be whole cents
            day = by_branch.setdefault(trade.broker_id, [trade.broker_name, 0, 0, 0, 0])
            day[0] = max(day[0], trade.broker_name)
            day[1] += trade.buy_shares
            day[2] += trade.sell_shares
            day[3] += cents * trade.buy_shares
            day[4] += cents * trade.sell_shares
        rows += [
            {
                "stock_code": report.stock_code,
                "broker_id": broker_id,
                "trade_date": report.trade_date,
                "broker_name": name,
                "buy_shares": bought,
                "sell_shares": sold,
                "buy_cents": buy_cents,
                "sell_cents": sell_cents,
            }
            for broker_id, (name, bought, sold, buy_cents, sell_cents) in by_branch.items()
        ]
    if rows:
        session.connection().execute(insert(BRANCH_DAYS), rows)


def _security_row(security: Security) -> dict[str, Any]:
    return {"code": security.code, "name": security.name, "kind": security.kind, "listed_on": security.listed_on}


def _security(row: SecurityRow) -> Security:
    return Security(row.code, row.name, row.kind, row.listed_on)


def _broker_trade(row: Row[*tuple[Any, ...]]) -> BrokerTrade:
    return BrokerTrade(row.seq, row.broker_id, row.broker_name, row.price, row.buy_shares, row.sell_shares)


def check_report(report: Report) -> None:
    """Refuses a report that is not a complete, well-formed download (see ReportMismatchError).

    RecCount is not compared with the records: on the live site it counts something else."""
    where = f"report {report.stock_code} of {report.trade_date.isoformat()}"
    if report.no_trades:
        if report.trades or report.figures:
            raise InvalidReportError(
                f"{where} is marked no_trades but has {len(report.trades)} trades or figures; "
                "a 查無資料 answer is stored with neither"
            )
        return
    if report.figures is not None and report.figures.trade_date != report.trade_date:
        raise InvalidReportError(
            f"{where}: the report view is of {report.figures.trade_date.isoformat()}; "
            "a report is stored only under its own trade date"
        )
    if not report.trades:
        raise ReportMismatchError(report.trade_date, report.stock_code, "no records")
    if len({trade.seq for trade in report.trades}) != len(report.trades):
        raise InvalidReportError(f"{where} repeats sequence numbers; parse the CSV again")
    numbers = sorted(trade.seq for trade in report.trades)
    if numbers[0] != 1 or numbers[-1] != len(numbers):
        raise ReportMismatchError(
            report.trade_date,
            report.stock_code,
            f"records numbered {numbers[0]}..{numbers[-1]} are not 1..{len(numbers)} without a gap",
        )
    if report.total_buy_shares != report.total_sell_shares:
        raise ReportMismatchError(
            report.trade_date,
            report.stock_code,
            f"{report.total_buy_shares} shares bought against {report.total_sell_shares} sold",
        )
    for trade in report.trades:
        if not trade.price.is_finite() or trade.price != trade.price.quantize(CENT) or trade.price < 0:
            raise InvalidReportError(
                f"{where}: record {trade.seq} has price {trade.price}, not a price in cents"
            )
        if trade.buy_shares < 0 or trade.sell_shares < 0:
            raise InvalidReportError(f"{where}: record {trade.seq} has negative shares")


def _set_figures(row: ReportRow, figures: DayFigures | None) -> None:
    row.trade_count = figures.trade_count if figures else None
    row.turnover = figures.turnover if figures else None
    row.traded_shares = figures.traded_shares if figures else None
    row.open_price = figures.open_price if figures else None
    row.high_price = figures.high_price if figures else None
    row.low_price = figures.low_price if figures else None
    row.close_price = figures.close_price if figures else None


def _figures(row: ReportRow) -> DayFigures | None:
    if row.traded_shares is None:
        return None
    return DayFigures(
        trade_date=row.trade_date,
        trade_count=row.trade_count or 0,
        turnover=row.turnover or 0,
        traded_shares=row.traded_shares,
        open_price=row.open_price,
        high_price=row.high_price,
        low_price=row.low_price,
        close_price=row.close_price,
    )


def _content_sha256(report: Report) -> str:
    digest = hashlib.sha256(f"{report.rec_count}\t{report.no_trades}\t{report.figures}\n".encode())
    for trade in report.trades:
        line = (
            f"{trade.seq}\t{trade.broker_id}\t{trade.broker_name}\t{trade.price.quantize(CENT)}\t"
            f"{trade.buy_shares}\t{trade.sell_shares}\n"
        )
        digest.update(line.encode())
    return digest.hexdigest()


def _enum_value(enum_class: type[_E], value: _E | str, what: str) -> _E:
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        raise StorageError(f"unknown {what} '{value}'; use one of: {allowed}") from None


def _lost_before() -> datetime:
    """Running job runs whose last heartbeat is older than this were killed."""
    return _now() - JOB_RUN_LOST_AFTER


def _now() -> datetime:
    return datetime.now(UTC)


def _stored_attempt(row: SolveAttemptRow) -> StoredAttempt:
    return StoredAttempt(
        id=row.id,
        attempted_at=row.attempted_at,
        job_run_id=row.job_run_id,
        stock_code=row.stock_code,
        image=row.image,
        image_sha256=row.image_sha256,
        model_version=row.model_version,
        guess=row.guess,
        confidence=row.confidence,
        latency_ms=row.latency_ms,
        outcome=row.outcome,
        label=row.label,
        label_source=row.label_source,
        unreadable=row.unreadable,
    )


def _model_version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        row.name, row.created_at, row.path, dict(row.metrics), row.active, row.activated_at, row.rolled_back_at
    )
