"""Alembic's environment: migrates the connection storage hands over, or BSR_DATABASE_URL from the CLI.

Autogenerate compares against storage.models, so a model change shows up as a migration to write."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

from storage.models import Base, UtcDateTime


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations must not import the models they predate: the stored type is a plain DateTime.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_command_line() -> None:
    from bsr.settings import get_settings
    from storage.engine import open_engine, writer

    if context.config.config_file_name is not None:
        fileConfig(context.config.config_file_name)
    engine = open_engine(get_settings().resolved_database_url)
    try:
        with writer(engine).begin() as connection:
            run_on(connection)
    finally:
        engine.dispose()


given = context.config.attributes.get("connection")
if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
if given is not None:
    run_on(given)
else:
    run_from_command_line()
