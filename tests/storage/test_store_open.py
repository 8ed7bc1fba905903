"""Store.open: a fresh SQLite file where asked, and a bad or unreachable URL as one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage import DatabaseUnavailableError, Store
from storage.engine import open_engine


def test_sqlite_file_and_its_folders_are_made_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bsr.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        assert store.dialect == "sqlite"
    assert path.is_file()
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "cannot use database not a url: not a database URL; set BSR_DATABASE_URL"),
        ("mysql://u@h/db", "unsupported database 'mysql'; use SQLite or PostgreSQL"),
        (
            "postgresql://bsr:secret@127.0.0.1:1/bsr",
            "cannot use database postgresql+psycopg://bsr:***@127.0.0.1:1/bsr: connection failed",
        ),
        ("sqlite:////proc/no-such-folder/bsr.sqlite3", "check BSR_DATABASE_URL and that its folder exists"),
    ],
    ids=["nonsense", "unsupported", "unreachable-postgresql", "unwritable-sqlite"],
)
def test_bad_url_is_one_clear_line(url: str, expected: str) -> None:
    with pytest.raises(DatabaseUnavailableError) as refused:
        Store.open(url)
    message = str(refused.value)
    assert expected in message
    assert "\n" not in message and "secret" not in message
