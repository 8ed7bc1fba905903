"""The Store's securities: the exchange's list as last read, and when each code was seen on it.

Upserts go through the dialect's INSERT ... ON CONFLICT, in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.base import StoreBase
from storage.models import (
    SECURITIES,
    SecurityRow,
)
from storage.records import (
    Security,
)


class Securities(StoreBase):
    """The Store's securities (see storage.store.Store)."""

    def upsert_securities(self, securities: Iterable[Security]) -> int:
        """Adds new securities and updates the name, kind and listing date of known ones (a listing date
        already stored stays where none is given); returns how many were given."""
        rows = [_security_row(item) for item in {security.code: security for security in securities}.values()]
        return self._upsert(rows, seen=False)

    def record_listing(self, securities: Iterable[Security], seen_on: date) -> int:
        """Stores the exchange's list as read on `seen_on`: every code on it is seen that day (and first seen
        then, if never before); codes not on it keep their last day seen. Returns how many codes it listed."""
        by_code = {security.code: security for security in securities}
        rows = [_security_row(item) | {"first_seen": seen_on, "last_seen": seen_on} for item in by_code.values()]
        return self._upsert(rows, seen=True)

    def _upsert(self, rows: list[dict[str, Any]], seen: bool) -> int:
        """Inserts new securities and updates known ones (a listing date already stored stays where none is
        given); with `seen`, also the first and last day the exchange's list showed them."""
        if not rows:
            return 0
        table = SECURITIES
        statement = self._insert(table)
        updates = {
            "name": statement.excluded.name,
            "kind": statement.excluded.kind,
            "listed_on": func.coalesce(statement.excluded.listed_on, table.c.listed_on),
        }
        if seen:
            updates["first_seen"] = func.coalesce(table.c.first_seen, statement.excluded.first_seen)
            updates["last_seen"] = statement.excluded.last_seen
        statement = statement.on_conflict_do_update(index_elements=[table.c.code], set_=updates)
        with self._writing() as session:
            session.execute(statement, rows)
        return len(rows)

    def last_listing(self) -> tuple[date | None, list[Security]]:
        """The day the exchange's list was last read and the securities it listed then, by code;
        (None, []) where it never was."""
        with self._reading() as session:
            last = session.scalar(select(func.max(SecurityRow.last_seen)))
            if last is None:
                return None, []
            statement = select(SecurityRow).where(SecurityRow.last_seen == last).order_by(SecurityRow.code)
            return last, [_security(row) for row in session.scalars(statement)]

    def listed_securities(self, day: date) -> list[Security]:
        """The securities the exchange's list showed on `day` (first seen on or before it, last seen on or
        after it), by code: what a complete day holds a report of."""
        statement = (
            select(SecurityRow)
            .where(SecurityRow.first_seen <= day, SecurityRow.last_seen >= day)
            .order_by(SecurityRow.code)
        )
        with self._reading() as session:
            return [_security(row) for row in session.scalars(statement)]

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


def _security_row(security: Security) -> dict[str, Any]:
    return {
        "code": security.code,
        "name": security.name,
        "kind": security.kind,
        "listed_on": security.listed_on,
    }


def _security(row: SecurityRow) -> Security:
    return Security(row.code, row.name, row.kind, row.listed_on)
