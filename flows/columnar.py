"""A columnar copy of storage's branch_days, one Parquet file per stored day with its day's fingerprint, that the
market-wide rankings read through DuckDB with the same SQL as the database; a question first rewrites the days it
covers that changed, and each answer is kept until one of its days changes. The copy can be deleted at any time."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql

from flows.window import Window
from storage import Store
from storage.models import BranchDayRow, ReportRow

COPIED = (
    BranchDayRow.trade_date,
    BranchDayRow.stock_code,
    BranchDayRow.broker_id,
    BranchDayRow.broker_name,
    BranchDayRow.buy_shares,
    BranchDayRow.sell_shares,
    BranchDayRow.buy_cents,
    BranchDayRow.sell_cents,
)
SCHEMA = pa.schema(
    [
        ("trade_date", pa.date32()),
        ("stock_code", pa.string()),
        ("broker_id", pa.string()),
        ("broker_name", pa.string()),
        ("buy_shares", pa.int64()),
        ("sell_shares", pa.int64()),
        ("buy_cents", pa.int64()),
        ("sell_cents", pa.int64()),
    ]
)
ANSWERS = "answers"
# Answers kept, the newest: a few windows of a few days each, some hundred kilobytes apiece.
KEPT_ANSWERS = 64


class ColumnarCopy:
    """branch_days of `store`, day by day, under `folder` (one subfolder per database, so that one folder
    serves several); shared safely by processes, since every file is written whole and renamed into place."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = Path(folder) / hashlib.sha256(store.url.encode()).hexdigest()[:16]

    def read(self, window: Window, *statements: Select[Any]) -> list[list[tuple[Any, ...]]]:
        """The rows of each of `statements`, flows queries over branch_days within `window`, answered from the
        copy: one look at the window's days and one DuckDB connection serve them all."""
        sqls = [
            str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            for statement in statements
        ]
        try:
            return self._run(sqls, window)
        except duckdb.IOException:
            # Another process replaced a day's file between our look and our read: look again.
            return self._run(sqls, window)

    def _run(self, sqls: list[str], window: Window) -> list[list[tuple[Any, ...]]]:
        files = self.day_files(window)
        # The files' names carry their days' fingerprints: the same names and statements give the same rows.
        key = hashlib.sha256("\n".join([*(path.name for path in files), *sqls]).encode()).hexdigest()[:32]
        saved = self.folder / ANSWERS / f"{key}.json"
        with contextlib.suppress(FileNotFoundError):  # not asked before, or pruned by another process meanwhile
            return [[tuple(row) for row in rows] for rows in json.loads(saved.read_text())]
        with duckdb.connect() as connection:
            connection.execute(f"CREATE VIEW branch_days AS SELECT * FROM read_parquet({_sql_list(files)})")
            answer = [connection.execute(sql).fetchall() for sql in sqls]
        saved.parent.mkdir(exist_ok=True)
        _write_whole(saved, lambda partial: Path(partial).write_text(json.dumps(answer)))
        for old in sorted(saved.parent.glob("*.json"), key=_modified, reverse=True)[KEPT_ANSWERS:]:
            with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                old.unlink()
        return answer

    def day_files(self, window: Window) -> list[Path]:
        """The file of each day of `window` (every stored day has reports), written first where missing or out
        of date."""
        stored = self.store.read(
            select(
                ReportRow.trade_date,
                func.count(),
                func.sum(ReportRow.rec_count),
                func.sum(ReportRow.total_buy_shares),
                func.max(ReportRow.fetched_at),
            )
            .where(ReportRow.trade_date.between(window.first, window.last))
            .group_by(ReportRow.trade_date)
        )
        return [self._day_file(day, _fingerprint(figures)) for day, *figures in stored]

    def _day_file(self, day: date, fingerprint: str) -> Path:
        path = self.folder / f"{day.isoformat()}.{fingerprint}.parquet"
        if path.exists():
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        rows = self.store.read(select(*COPIED).where(BranchDayRow.trade_date == day))
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in SCHEMA]
        # Cents come back as Decimal (Numeric columns); every one is a whole number within 64 bits.
        columns[-2:] = [[int(cents) for cents in column] for column in columns[-2:]]
        table = pa.Table.from_arrays(
            [pa.array(column, type=field.type) for column, field in zip(columns, SCHEMA, strict=True)], schema=SCHEMA
        )
        _write_whole(path, lambda partial: pq.write_table(table, partial))
        for stale in self.folder.glob(f"{day.isoformat()}.*.parquet"):
            if stale != path:
                with contextlib.suppress(FileNotFoundError):  # another process cleaned it up first
                    stale.unlink()
        return path


def _write_whole(path: Path, write: Callable[[str], object]) -> None:
    """`write` a file beside `path`, then rename it into place: readers in other processes see all or nothing."""
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed into place, or left half-written by an error
            os.unlink(partial)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by another process meanwhile: the oldest of all
        return 0.0


def _fingerprint(figures: Sequence[Any]) -> str:
    # A replaced report is fetched anew, so its day's latest fetch time moves; counts catch the rest.
    return hashlib.sha256("|".join(str(figure) for figure in figures).encode()).hexdigest()[:16]


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in files) + "]"
