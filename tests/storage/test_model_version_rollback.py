"""Rolling back the active model version: back to the one active before it, step by step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from storage import StorageError, Store
from storage.engine import open_engine, writer
from storage.migrations import alembic_config


def test_rollback_goes_back_one_activation_at_a_time(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.register_model_version(name, f"/models/{name}.keras")
        store.activate_model_version(name)
    assert store.roll_back_model_version().name == "b"
    assert store.roll_back_model_version().name == "a"
    versions = {version.name: version for version in store.list_model_versions()}
    assert versions["a"].active and not versions["b"].active and not versions["c"].active
    assert versions["b"].rolled_back_at is not None and versions["c"].rolled_back_at is not None
    with pytest.raises(StorageError, match="'a' is the only version ever active; promote another"):
        store.roll_back_model_version()
    assert store.active_model_version().name == "a"  # a refused rollback changes nothing


def test_promoting_a_rolled_back_version_again_makes_it_a_rollback_target_again(store: Store) -> None:
    for name in ("a", "b"):
        store.register_model_version(name, f"/models/{name}.keras")
        store.activate_model_version(name)
    store.roll_back_model_version()
    again = store.activate_model_version("b")
    assert again.rolled_back_at is None and again.activated_at is not None
    store.register_model_version("c", "/models/c.keras")
    store.activate_model_version("c")
    assert store.roll_back_model_version().name == "b"


def test_never_activated_versions_are_no_rollback_target(store: Store) -> None:
    store.register_model_version("trained-but-never-promoted", "/models/x.keras")
    with pytest.raises(StorageError, match="no model version is active"):
        store.roll_back_model_version()
    store.register_model_version("live", "/models/live.keras")
    store.activate_model_version("live")
    with pytest.raises(StorageError, match="only version ever active"):
        store.roll_back_model_version()


def test_the_version_active_before_the_upgrade_counts_as_activated(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        with writer(engine).begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            connection.execute(
                text(
                    "INSERT INTO model_versions (name, created_at, path, metrics, active) "
                    "VALUES ('old', :created, '/models/old.keras', '{}', :active)"
                ),
                {"created": datetime(2026, 11, 1, 8, 0), "active": True},
            )
    finally:
        engine.dispose()
    with Store.open(database_url) as store:
        (old,) = store.list_model_versions()
        assert old.activated_at == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        store.register_model_version("new", "/models/new.keras")
        store.activate_model_version("new")
        assert store.roll_back_model_version().name == "old"
