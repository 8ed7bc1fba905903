"""What every part of the Store stands on: the engine, a transaction to read in and one to write in.
Each of the Store's concerns (reports, securities, job runs, attempts and their figures, model versions) is a
class of its own over StoreBase; storage.store.Store joins them into the one object other rooms use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from storage.engine import reader, shown, translated_errors, writer
from storage.errors import StorageError
from storage.records import AttemptOutcome, JobStatus, LabelSource

_E = TypeVar("_E", JobStatus, AttemptOutcome, LabelSource)


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._writer = writer(engine)

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

    def read(self, statement: Executable) -> list[Row[Any]]:
        """The rows of a SELECT another room builds over storage.models (flows asks its own questions so),
        read in one transaction of its own."""
        with self._reading() as session:
            return list(session.execute(statement))

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with translated_errors(self._engine), Session(self._reader) as session, session.begin():
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with translated_errors(self._engine), Session(self._writer) as session, session.begin():
            yield session


def enum_value(enum_class: type[_E], value: _E | str, what: str) -> _E:
    """`value` as a member of `enum_class`, or a StorageError naming the allowed values."""
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        raise StorageError(f"unknown {what} '{value}'; use one of: {allowed}") from None


def utc_now() -> datetime:
    return datetime.now(UTC)
