"""Schema migrations: the Alembic scripts in alembic/ applied to a database, the one way its schema changes.

Store.open upgrades a database on first use; `bsr db upgrade` does it on request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

from storage.engine import open_engine, shown, translated_errors, writer
from storage.errors import SchemaError

# alembic/ sits beside the storage package in the source tree, which is how bsr is installed (pip -e).
SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "alembic"
# Serializes concurrent upgrades on PostgreSQL (several workers opening a fresh database at once).
ADVISORY_LOCK_KEY = 0x627372


@dataclass(frozen=True)
class UpgradeResult:
    """The schema revision a database was at and the one it is at now (the head)."""

    url: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, independent of the working directory; `connection` is the one to migrate."""
    if not (SCRIPT_LOCATION / "env.py").is_file():
        raise SchemaError(
            f"the schema migrations are missing at {SCRIPT_LOCATION}; install bsr from its source tree "
            "with `pip install -e .`"
        )
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return _head(ScriptDirectory.from_config(alembic_config()))


def _head(scripts: ScriptDirectory) -> str:
    head = scripts.get_current_head()
    if head is None:
        raise SchemaError(f"no migration found in {SCRIPT_LOCATION / 'versions'}; restore the alembic/ folder")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_engine(engine: Engine) -> UpgradeResult:
    """Brings the schema to the head revision; a no-op (one query) when it is there already."""
    scripts = ScriptDirectory.from_config(alembic_config())
    head = _head(scripts)
    with translated_errors(engine):
        with engine.connect() as connection:
            if current_revision(connection) == head:
                return UpgradeResult(shown(engine.url), head, head)
        with writer(engine).begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            before = current_revision(connection)
            if before is not None:
                _check_known(scripts, before, engine)
            if before != head:
                command.upgrade(alembic_config(connection), "head")
    return UpgradeResult(shown(engine.url), before, head)


def _check_known(scripts: ScriptDirectory, revision: str, engine: Engine) -> None:
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise SchemaError(
            f"the database {shown(engine.url)} is at schema revision {revision}, which this bsr does not "
            "know: a newer bsr made it; upgrade bsr"
        ) from None


def upgrade_database(url: str) -> UpgradeResult:
    """`bsr db upgrade`: opens the database at `url` and brings its schema to the head revision."""
    engine = open_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()
