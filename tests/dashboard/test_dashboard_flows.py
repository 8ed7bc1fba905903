"""The flows pages and /api/flows/ over the hand-worked history of tests/flows, and the access token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from storage import Store
from tests.dashboard.conftest import HOSTILE_NAME, FilledStore
from tests.flows.conftest import history_reports

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('flows-dashboard') / 'bsr.sqlite3'}"
    with Store.open(url) as store:
        store.load_reports(history_reports())
    return url


@pytest.fixture
def flows_client(history_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(history_url), base_url="http://127.0.0.1") as client:
        yield client


def test_the_stock_as_json(flows_client: TestClient) -> None:
    answer = flows_client.get("/api/flows/stocks/2330", params={"days": 3}).json()
    assert answer["trade_dates"] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert (answer["volume"], answer["buying_branches"], answer["selling_branches"]) == (7000, 1, 3)
    assert [row["broker_id"] for row in answer["branches"]] == ["9B2z", "1020", "9B2Z", "1030"]
    assert answer["branches"][0]["net_value"] == 452_200.0
    # The 17th's report has no close stored: null, never a made-up price.
    assert [day["close_price"] for day in answer["days"]] == [101.55, None, 99.5]


def test_the_branch_and_the_rankings_as_json(flows_client: TestClient) -> None:
    branch = flows_client.get("/api/flows/branches/9B2z", params={"from": "2026-11-16", "to": "2026-11-18"}).json()
    assert branch["broker_name"] == "台新文心"
    assert [(row["stock_code"], row["net_value"]) for row in branch["stocks"]] == [
        ("2330", 452_200.0),
        ("1101", -41_750.0),
    ]
    assert branch["streaks"][0] == {
        "stock_code": "2330",
        "days": 3,
        "first_day": "2026-11-16",
        "last_day": "2026-11-18",
        "ongoing": True,
    }
    rankings = flows_client.get("/api/flows/rankings", params={"days": 3, "top": 2}).json()
    assert [row["stock_code"] for row in rankings["concentrated_buying"]] == ["2454"]
    assert [row["broker_id"] for row in rankings["net_buyers"]] == ["B020", "B019"]
    assert [row["broker_id"] for row in rankings["net_sellers"]] == ["S020", "S019"]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/flows/stocks/9999", 404, "no report of '9999' is stored"),
        ("/api/flows/branches/9b2z", 404, "case-sensitive"),
        ("/api/flows/stocks/2330?from=2026-11-18&to=2026-11-16", 400, "is after"),
        ("/api/flows/rankings?days=0", 422, "days"),
    ],
)
def test_bad_questions_get_one_line(flows_client: TestClient, path: str, status: int, words: str) -> None:
    response = flows_client.get(path)
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_the_pages_link_stocks_and_branches(flows_client: TestClient) -> None:
    rankings = flows_client.get("/flows", params={"days": 3})
    assert rankings.status_code == 200
    assert 'href="/flows/stocks/2454"' in rankings.text and 'href="/flows/branches/B020"' in rankings.text
    stock = flows_client.get("/flows/stocks/2330", params={"days": 3})
    assert 'href="/flows/branches/9B2z"' in stock.text and 'href="/flows/branches/9B2Z"' in stock.text
    branch = flows_client.get("/flows/branches/9B2z", params={"days": 3})
    assert 'href="/flows/stocks/2330"' in branch.text
    assert 'id="nav-flows"' in branch.text


def test_a_broker_name_from_the_site_is_escaped(client: TestClient, filled_store: FilledStore) -> None:
    page = client.get("/flows/stocks/2330", params={"days": 3})
    assert page.status_code == 200
    assert HOSTILE_NAME not in page.text
    assert "&lt;script&gt;" in page.text


def test_an_empty_database_shows_how_to_fill_it(tmp_path: Path) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), base_url="http://127.0.0.1") as client:
        assert "No report is stored yet" in client.get("/flows").text


def test_with_a_token_every_request_must_bring_it(history_url: str) -> None:
    app = create_app(history_url, token=TOKEN)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        refused = client.get("/api/flows/rankings")
        assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["detail"]
        assert client.get("/flows").status_code == 401
        assert client.get("/flows", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/flows/rankings", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        # A browser brings it once in the address; it moves to a cookie and out of the address.
        link = client.get(f"/flows?days=3&token={TOKEN}")
        assert link.status_code == 303 and link.headers["location"] == "/flows?days=3"
        assert "httponly" in link.headers["set-cookie"].lower()
        assert client.get("/flows?days=3").status_code == 200
