"""Alerts reach real receivers on loopback (a JSON webhook, an SMTP server) through apprise; every try is stored,
a URL that fails says why in one line without stopping the others, and the next run retries it."""

from __future__ import annotations

from datetime import date

import pytest

from alerts import deliver, receivers, retry_undelivered, split_urls
from storage import Alert, AlertKind, Store
from tests.alerts.conftest import Mailbox, Webhook

DIGEST = Alert(AlertKind.DIGEST, "bsr 2026-12-04: complete", "stored 1,020 · no trades 12", date(2026, 12, 4))


@pytest.fixture
def store(database_url: str):
    with Store.open(database_url) as opened:
        yield opened


def test_notify_urls_split_on_spaces_and_commas_but_not_within_a_url() -> None:
    assert split_urls("") == ()
    assert split_urls(" json://a/b  tgram://t/c,ntfy://topic\n") == (
        "json://a/b",
        "tgram://t/c",
        "ntfy://topic",
    )
    assert split_urls("mailto://h?to=a@x.tw,b@x.tw, json://h") == ("mailto://h?to=a@x.tw,b@x.tw", "json://h")


def test_an_alert_reaches_a_webhook_and_is_stored_delivered(store: Store, webhook: Webhook) -> None:
    (delivery,) = deliver(store, DIGEST, receivers([webhook.url]))
    assert delivery.delivered and delivery.line().endswith(": delivered")
    assert [(body["title"], body["message"]) for body in webhook.received] == [(DIGEST.title, DIGEST.body)]
    (stored,) = store.list_alerts()
    assert (stored.alert, stored.target, stored.delivered, stored.error) == (
        DIGEST,
        delivery.target,
        True,
        None,
    )


def test_an_alert_reaches_an_smtp_server(store: Store, smtp: tuple[Mailbox, str]) -> None:
    mailbox, url = smtp
    (delivery,) = deliver(store, DIGEST, receivers([url]))
    assert delivery.delivered, delivery.error
    (message,) = mailbox.messages
    assert message["Subject"] == DIGEST.title and message["To"] == "me@example.com"
    parts = [part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart()]
    assert any("stored 1,020" in part for part in parts)


def test_a_bad_url_is_one_clear_line_and_the_others_still_get_the_alert(store: Store, webhook: Webhook) -> None:
    deliveries = deliver(store, DIGEST, receivers(["nonsense://x", "json://127.0.0.1:1/", webhook.url]))
    unreadable, refused, delivered = deliveries
    assert unreadable.line() == (
        "nonsense://...: failed: Unparseable URL nonsense://x; check it against apprise's services (docs/alerts.md)"
    )
    assert "Connection refused" in refused.line() and "\n" not in refused.line()
    assert delivered.delivered and webhook.titles() == [DIGEST.title]
    assert [alert.delivered for alert in store.list_alerts()] == [True, False, False]


def test_a_secret_in_a_url_never_reaches_the_database(store: Store, webhook: Webhook) -> None:
    port = webhook.url.split(":")[2].split("/")[0]
    (delivery,) = deliver(store, DIGEST, receivers([f"json://bsr:hunter2@127.0.0.1:{port}/hook"]))
    assert delivery.delivered and "hunter2" not in delivery.target
    assert all("hunter2" not in alert.target for alert in store.list_alerts())


def test_an_undelivered_alert_is_retried_at_the_next_run(store: Store, webhook: Webhook) -> None:
    webhook.status = 500
    (failed,) = deliver(store, DIGEST, receivers([webhook.url]))
    assert not failed.delivered and "500" in (failed.error or "")
    webhook.status = 200
    (retried,) = retry_undelivered(store, receivers([webhook.url]))
    assert retried.delivered and retried.alert_id == failed.alert_id
    assert webhook.titles() == [DIGEST.title, DIGEST.title]
    (stored,) = store.list_alerts()
    assert (stored.delivered, stored.tries, stored.error) == (True, 2, None)
    assert retry_undelivered(store, receivers([webhook.url])) == []
