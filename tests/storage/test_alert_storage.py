"""Alerts are stored per notification URL, delivered or not with the error, and the undelivered ones come back
for the next run to retry, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from storage import Alert, AlertKind, Store

DIGEST = Alert(AlertKind.DIGEST, "bsr: 2026-12-04 complete", "stored 2", date(2026, 12, 4))


def test_an_alert_is_stored_per_url_with_its_error(store: Store) -> None:
    store.record_alert(DIGEST, "json://127.0.0.1:1/", None)
    failed = store.record_alert(DIGEST, "tgram://1...3/", "connection refused")

    newest, oldest = store.list_alerts()
    assert (newest.id, newest.target, newest.delivered, newest.error) == (
        failed,
        "tgram://1...3/",
        False,
        "connection refused",
    )
    assert newest.alert == DIGEST and newest.tries == 1 and newest.created_at.tzinfo is not None
    assert (oldest.target, oldest.delivered, oldest.error) == ("json://127.0.0.1:1/", True, None)
    assert [alert.id for alert in store.list_alerts(undelivered_only=True)] == [failed]


def test_undelivered_alerts_are_retried_until_they_arrive(store: Store) -> None:
    first = store.record_alert(DIGEST, "tgram://1...3/", "timed out")
    second = store.record_alert(Alert(AlertKind.TEST, "bsr: test", "hello"), "tgram://1...3/", "timed out")
    store.record_alert(DIGEST, "json://elsewhere/", "refused")

    assert [alert.id for alert in store.undelivered_alerts(["tgram://1...3/"])] == [first, second]
    assert store.undelivered_alerts([]) == []

    store.record_alert_retry(first, "still timed out")
    store.record_alert_retry(second, None)
    (left,) = store.undelivered_alerts(["tgram://1...3/"])
    assert (left.id, left.tries, left.error) == (first, 2, "still timed out")
    delivered = next(alert for alert in store.list_alerts() if alert.id == second)
    assert (delivered.delivered, delivered.tries, delivered.error) == (True, 2, None)
