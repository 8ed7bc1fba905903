"""The Store's figures over the solve attempts: acceptance per day and model, attempts per report,
calibration, latency percentiles and the characters the solver confuses; aggregated in SQL."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date

from storage.base import StoreBase
from storage.errors import StorageError
from storage.models import (
    JobRunRow,
    ReportRow,
    SolveAttemptRow,
)
from storage.records import (
    TAIPEI,
    AttemptOutcome,
    CharConfusion,
    ConfidenceBucket,
    DailyAcceptance,
    LabelSource,
    LatencyPercentiles,
    ReportAttempts,
)


class AttemptFigures(StoreBase):
    """The Store's figures over the solve attempts (see storage.store.Store)."""

    def acceptance_by_model_version(self, since: date | None = None) -> list[DailyAcceptance]:
        """Attempts per Taipei day and model version by outcome, by day then model version."""
        day = taipei_day(SolveAttemptRow.attempted_at)
        statement = select(day, SolveAttemptRow.model_version, SolveAttemptRow.outcome, func.count()).group_by(
            day, SolveAttemptRow.model_version, SolveAttemptRow.outcome
        )
        if since is not None:
            statement = statement.where(
                SolveAttemptRow.attempted_at >= datetime.combine(since, time(), TAIPEI).astimezone(UTC)
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
                and_(per_key.c.trade_date == ReportRow.trade_date, per_key.c.stock_code == ReportRow.stock_code),
            )
            .order_by(ReportRow.trade_date, ReportRow.stock_code)
        )
        with self._reading() as session:
            return [ReportAttempts(*row) for row in session.execute(statement)]

    def accuracy_by_confidence(self, buckets: int = 10, model_version: str | None = None) -> list[ConfidenceBucket]:
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
            ConfidenceBucket.counted(index / buckets, (index + 1) / buckets, judged[index], accepted[index])
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


class taipei_day(FunctionElement[date]):
    """The calendar day in Taipei of a stored (naive UTC) timestamp, in SQL: TAIPEI is UTC+8 all year, since
    Taiwan keeps no daylight saving time."""

    type = Date()
    inherit_cache = True


@compiles(taipei_day, "sqlite")
def _taipei_day_sqlite(element: taipei_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(taipei_day, "postgresql")
def _taipei_day_postgresql(element: taipei_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) + INTERVAL '8 hours' AS DATE)"
