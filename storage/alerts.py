"""The Store's alerts: each message sent to each notification URL, delivered or not, with the last error, so that
the next run retries what did not arrive and `bsr alerts list` and the dashboard can show them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from storage.base import StoreBase, utc_now
from storage.errors import UnknownRecordError
from storage.models import AlertRow
from storage.records import Alert, StoredAlert


class Alerts(StoreBase):
    """The Store's alerts (see storage.store.Store)."""

    def record_alert(self, alert: Alert, target: str, error: str | None) -> int:
        """Records one try of `alert` to `target` (a URL with its secrets masked): delivered when `error` is None.
        Returns the alert's id."""
        now = utc_now()
        row = AlertRow(
            created_at=now,
            kind=alert.kind,
            trade_date=alert.trade_date,
            title=alert.title,
            body=alert.body,
            target=target,
            delivered=error is None,
            tries=1,
            last_tried_at=now,
            error=error,
        )
        with self._writing() as session:
            session.add(row)
            session.flush()
            return row.id

    def record_alert_retry(self, alert_id: int, error: str | None) -> None:
        """Records one more try of a stored alert: delivered when `error` is None."""
        with self._writing() as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise UnknownRecordError(f"no alert {alert_id} is stored; see `bsr alerts list`")
            row.tries += 1
            row.last_tried_at = utc_now()
            row.delivered = error is None
            row.error = error

    def undelivered_alerts(self, targets: Iterable[str]) -> list[StoredAlert]:
        """The alerts not yet delivered to any of `targets`, oldest first: what the next run retries."""
        wanted = list(targets)
        if not wanted:
            return []
        with self._reading() as session:
            rows = session.scalars(
                select(AlertRow)
                .where(AlertRow.delivered.is_(False), AlertRow.target.in_(wanted))
                .order_by(AlertRow.created_at, AlertRow.id)
            )
            return [_stored(row) for row in rows]

    def list_alerts(self, limit: int = 50, undelivered_only: bool = False) -> list[StoredAlert]:
        """The latest alerts, newest first."""
        query = select(AlertRow).order_by(AlertRow.created_at.desc(), AlertRow.id.desc()).limit(limit)
        if undelivered_only:
            query = query.where(AlertRow.delivered.is_(False))
        with self._reading() as session:
            return [_stored(row) for row in session.scalars(query)]


def _stored(row: AlertRow) -> StoredAlert:
    return StoredAlert(
        id=row.id,
        created_at=row.created_at,
        alert=Alert(kind=row.kind, title=row.title, body=row.body, trade_date=row.trade_date),
        target=row.target,
        delivered=row.delivered,
        tries=row.tries,
        last_tried_at=row.last_tried_at,
        error=row.error,
    )
