"""The Store's solve attempts: recording them, labelling them, the failure queue and training data.

The captcha image is deferred: it is loaded only by the calls that ask for images."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from storage.base import StoreBase, enum_value, utc_now
from storage.errors import StorageError, UnknownRecordError
from storage.models import (
    SolveAttemptRow,
)
from storage.records import (
    Attempt,
    AttemptOutcome,
    LabelSource,
    StoredAttempt,
)

MAX_ROW_ID = 2**63 - 1  # ids are 64-bit integers on SQLite and PostgreSQL alike
_IN_FAILURE_QUEUE = (
    SolveAttemptRow.outcome == AttemptOutcome.REJECTED,
    SolveAttemptRow.label_source == LabelSource.NONE,
    SolveAttemptRow.unreadable.is_(False),
)


def normal_label(text: str) -> str:
    """A captcha's label in the one form it is stored and compared in: trimmed, upper case (the site ignores case).

    Storage owns this form because the bot, the trainer and the dashboard may all import storage, which imports
    no other room; the replica, which may not, compares answers by the site's rule, and a test holds the two
    alike. Which texts a captcha can show at all (the solver's alphabet) the trainer checks."""
    return text.strip().upper()


class Attempts(StoreBase):
    """The Store's solve attempts (see storage.store.Store)."""

    def record_attempt(self, attempt: Attempt) -> int:
        """Stores one captcha attempt; an accepted one is labelled with its guess (source: the site)."""
        outcome = enum_value(AttemptOutcome, attempt.outcome, "attempt outcome")
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

    def get_attempt(self, attempt_id: int, image: bool = True) -> StoredAttempt:
        """One stored attempt, its image bytes only when `image` is asked for."""
        with self._reading() as session:
            return _stored_attempt(self._attempt_row(session, attempt_id, image), image)

    def label_attempt(self, attempt_id: int, label: str, source: LabelSource | str = LabelSource.HUMAN) -> None:
        """Sets what the attempt's image reads (upper-cased: the site ignores case); source none clears it."""
        label_source = enum_value(LabelSource, source, "label source")
        text = normal_label(label)
        if label_source is not LabelSource.NONE and not text:
            raise StorageError(f"an empty label for attempt {attempt_id}; mark the image unreadable instead")
        with self._writing() as session:
            row = self._attempt_row(session, attempt_id)
            cleared = label_source is LabelSource.NONE
            row.label = None if cleared else text
            row.label_source = label_source
            row.labelled_at = None if cleared else utc_now()
            row.unreadable = False

    def mark_unreadable(self, attempt_id: int) -> None:
        """Takes the attempt out of the failure queue and of training: nobody can read its image."""
        with self._writing() as session:
            row = self._attempt_row(session, attempt_id)
            row.unreadable = True
            row.label = None
            row.label_source = LabelSource.NONE
            row.labelled_at = utc_now()

    @staticmethod
    def _attempt_row(session: Session, attempt_id: int, image: bool = False) -> SolveAttemptRow:
        # An id no column can hold names nothing; the drivers would fail on it instead of finding no row.
        options = [undefer(SolveAttemptRow.image)] if image else []
        row = session.get(SolveAttemptRow, attempt_id, options=options) if 0 < attempt_id <= MAX_ROW_ID else None
        if row is None:
            raise UnknownRecordError(f"no solve attempt {attempt_id} is stored")
        return row

    def failure_queue(self, limit: int = 100, after: int | None = None, images: bool = True) -> list[StoredAttempt]:
        """Rejected attempts nobody has labelled or marked unreadable, newest first, with their images unless
        `images` is False.

        `after` (an attempt id) starts the list behind that attempt, in the same order: how a skip pages on."""
        statement = (
            _attempts(images)
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
            return [_stored_attempt(row, images) for row in session.scalars(statement)]

    def failure_queue_size(self) -> int:
        with self._reading() as session:
            return session.scalar(select(func.count()).select_from(SolveAttemptRow).where(*_IN_FAILURE_QUEUE)) or 0

    def labelled_attempts(
        self,
        sources: Iterable[LabelSource] = (LabelSource.SITE, LabelSource.HUMAN),
        after_id: int = 0,
        limit: int | None = None,
        images: bool = True,
    ) -> list[StoredAttempt]:
        """Readable attempts labelled by the given sources, by id (page on with `after_id`): training data,
        with their images unless `images` is False."""
        statement = (
            _attempts(images)
            .where(
                SolveAttemptRow.label_source.in_(list(sources)),
                SolveAttemptRow.unreadable.is_(False),
                SolveAttemptRow.id > after_id,
            )
            .order_by(SolveAttemptRow.id)
            .limit(limit)
        )
        with self._reading() as session:
            return [_stored_attempt(row, images) for row in session.scalars(statement)]


def _attempts(images: bool) -> Select[tuple[SolveAttemptRow]]:
    statement = select(SolveAttemptRow)
    return statement.options(undefer(SolveAttemptRow.image)) if images else statement


def _stored_attempt(row: SolveAttemptRow, image: bool) -> StoredAttempt:
    return StoredAttempt(
        id=row.id,
        attempted_at=row.attempted_at,
        job_run_id=row.job_run_id,
        stock_code=row.stock_code,
        image=row.image if image else None,
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
