"""The SQLAlchemy engine for a database URL: SQLite (WAL, foreign keys, waits on locks) or PostgreSQL.

Also turns a bad URL or an unreachable database into a DatabaseUnavailableError of one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from storage.errors import DatabaseUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# An option carried by the connections of write transactions: on SQLite they take the write lock at BEGIN.
WRITE_OPTION = "bsr_write"
URL_EXAMPLES = "e.g. sqlite:////path/to/bsr.sqlite3 or postgresql+psycopg://user:password@host:5432/dbname"


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy's, with PostgreSQL bound to psycopg 3 (the driver that is installed)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailableError(
            url or "''", "not a database URL", f"set BSR_DATABASE_URL to one, {URL_EXAMPLES}"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailableError(
            shown(parsed),
            f"unsupported database '{parsed.get_backend_name()}'",
            f"use SQLite or PostgreSQL, {URL_EXAMPLES}",
        )
    return parsed


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def hint_for(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "check BSR_DATABASE_URL and that its folder exists and is writable"
    return "check BSR_DATABASE_URL (host, port, user, password, database name) and that the server is running"


def open_engine(url: str) -> Engine:
    """An engine whose first connection has been made, so a wrong URL fails here and not later."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (ArgumentError, NoSuchModuleError, ImportError, TypeError) as error:
        raise DatabaseUnavailableError(shown(parsed), first_line(error), hint_for(parsed)) from None
    try:
        with translated_errors(engine):
            engine.connect().close()
    except BaseException:
        engine.dispose()
        raise
    return engine


def reader(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read: each sees one snapshot throughout.

    PostgreSQL's default (read committed) takes a snapshot per statement, so a report and its trades read
    in two statements could come from two saves; SQLite under WAL keeps one snapshot per transaction."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that write."""
    return engine.execution_options(**{WRITE_OPTION: True})


@contextmanager
def translated_errors(engine: Engine) -> Iterator[None]:
    """Connection-level failures (server gone, file unopenable) as DatabaseUnavailableError."""
    try:
        yield
    except DBAPIError as error:
        if error.connection_invalidated or _is_connection_failure(engine, error):
            raise DatabaseUnavailableError(shown(engine.url), first_line(error.orig), hint_for(engine.url)) from None
        raise


def first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_connection_failure(engine: Engine, error: DBAPIError) -> bool:
    if not isinstance(error, OperationalError):
        return False
    # SQLite reports missing tables and the like as OperationalError too; only an unopenable file counts.
    return engine.url.get_backend_name() == "postgresql" or "unable to open" in str(error.orig)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseUnavailableError(shown(url), first_line(error), hint_for(url)) from None
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off so that BEGIN is ours (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A deferred transaction that reads and then writes cannot wait for the lock: SQLite fails it at once
    # with "database is locked". Writers take the lock at BEGIN and so wait (busy_timeout) instead;
    # readers begin deferred and, under WAL, never wait on writers.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")
