"""The alerts page: every stored alert with its URL (secrets masked), delivered or not and why, in the menu."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from dashboard.app import create_app
from storage import TAIPEI, Alert, AlertKind, Store


def test_the_alerts_page_lists_what_was_sent_and_what_failed(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.record_alert(
            Alert(AlertKind.DIGEST, "bsr 2026-12-04: complete", "stored 3", date(2026, 12, 4)),
            "json://h/",
            None,
        )
        store.record_alert(
            Alert(AlertKind.MISSING, "bsr 2026-12-04: 1 missing", "<2330>", date(2026, 12, 4)),
            "tgram://1...3/",
            "timed out",
        )
        sent_at = store.list_alerts()[0].created_at
    with TestClient(create_app(database_url), base_url="http://127.0.0.1") as client:
        page = client.get("/alerts")
        empty_menu = client.get("/reports")
    assert page.status_code == 200
    html = page.text
    assert 'id="nav-alerts" class="active"' in html and 'id="nav-alerts"' in empty_menu.text
    assert "bsr 2026-12-04: 1 missing" in html and "no: timed out" in html and "tgram://1...3/" in html
    assert "&lt;2330&gt;" in html  # bodies are escaped
    assert "1 of them not delivered" in html
    assert f"{sent_at.astimezone(TAIPEI):%Y-%m-%d %H:%M}" in html  # stored in UTC, shown on Taipei's clock


def test_the_alerts_page_says_how_to_start(database_url: str) -> None:
    with TestClient(create_app(database_url), base_url="http://127.0.0.1") as client:
        page = client.get("/alerts")
    assert page.status_code == 200 and "bsr alerts test" in page.text
