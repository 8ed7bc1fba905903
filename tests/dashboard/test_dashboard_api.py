"""The dashboard over HTTP: the JSON API's figures against the stored data, relabelling, reports, security."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from solver.alphabet import ALPHABET
from storage import DayFigures, LabelSource, Store
from tests.dashboard.conftest import (
    CODES,
    FAILED_CODE,
    FINISHED_DATES,
    HOSTILE_NAME,
    RUNNING_DATE,
    TRADES_PER_REPORT,
    UNASKED_CODE,
    FilledStore,
)


def csrf_token(client: TestClient, path: str = "/failures") -> str:
    """The token a page hands its forms (the page also sets the cookie it is bound to)."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(path).text)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def test_overview_lists_job_runs_and_the_running_jobs_progress(client: TestClient) -> None:
    overview = client.get("/api/overview").json()
    runs = overview["runs"]
    assert [run["trade_date"] for run in runs] == [RUNNING_DATE.isoformat()] + [
        day.isoformat() for day in reversed(FINISHED_DATES)
    ]
    last_finished = runs[1]
    assert (last_finished["status"], last_finished["stored"], last_finished["no_trades"]) == ("failed", 3, 1)
    # 3 accepted and 2 rejected answers for 4 reports.
    assert last_finished["attempts_per_report"] == pytest.approx(5 / 4)
    (running,) = overview["running"]
    assert (
        running["total"],
        running["done"],
        running["stored"],
        running["attempts"],
        running["accepted"],
    ) == (
        4,
        1,
        1,
        2,
        1,
    )
    assert running["percent"] == pytest.approx(25.0)
    assert running["run"]["duration_s"] == 20 * 60  # so far, by the app's clock
    assert (last_finished["duration_s"], last_finished["started_at"]) == (
        50 * 60,
        "2026-11-20T16:35:00+08:00",
    )
    assert overview["failure_queue_size"] == 5
    # Today (Taipei) is the last finished trade date: 3 + 1 accepted (the running job's), 2 rejected.
    assert overview["acceptance_today"] == pytest.approx(4 / 6)


def test_solver_figures_come_from_the_stored_attempts(client: TestClient) -> None:
    solver = client.get("/api/solver").json()
    assert solver["days"] == [day.isoformat() for day in FINISHED_DATES]
    by_version = {series["model_version"]: series for series in solver["acceptance"]}
    assert by_version["v1"]["rates"] == [pytest.approx(3 / 5), None, None]
    assert by_version["v2"]["rates"] == [None, pytest.approx(3 / 5), pytest.approx(4 / 6)]
    assert by_version["v2"]["judged"] == [0, 5, 6]  # the running job's expired answer is not judged
    # Each day's first report took 3 answers, the others 1; the running job's report took 2.
    assert solver["attempts_histogram"] == [6, 1, 3, 0, 0]
    calibration = solver["calibration"]
    assert len(calibration) == 10
    assert sum(bucket["judged"] for bucket in calibration) == 16
    assert all(bucket["accuracy"] in (None, 0.0) for bucket in calibration[:8])  # rejected: below 0.7
    assert calibration[9]["accuracy"] == 1.0
    latency = {row["model_version"]: row for row in solver["latency"]}
    assert (latency["all"]["count"], latency["v1"]["count"], latency["v2"]["count"]) == (17, 5, 12)
    assert 8.0 <= latency["all"]["p50_ms"] <= latency["all"]["p90_ms"] <= latency["all"]["p99_ms"] <= 30.0
    (confusion,) = solver["confusions"]
    assert confusion["count"] == 1 and confusion["expected"] != confusion["guessed"]


def test_failure_queue_is_listed_newest_first_with_images(
    client: TestClient, filled_store: FilledStore, store: Store
) -> None:
    queue = client.get("/api/failures", params={"limit": 3}).json()
    assert queue["remaining"] == 5
    assert [item["id"] for item in queue["attempts"]] == filled_store.queue[:3]
    behind = client.get("/api/failures", params={"after": filled_store.queue[0]}).json()
    assert [item["id"] for item in behind["attempts"]] == filled_store.queue[1:]

    first = queue["attempts"][0]
    image = client.get(first["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == store.get_attempt(first["id"]).image
    missing = client.get("/attempts/999999/image")
    assert missing.status_code == 404 and "999999" in missing.text


def test_labels_are_checked_saved_as_human_and_the_next_failure_follows(
    client: TestClient, filled_store: FilledStore, store: Store
) -> None:
    headers = {"X-CSRF-Token": csrf_token(client)}
    first, second, third = filled_store.queue[:3]

    too_short = client.post(f"/api/failures/{first}/label", json={"label": "ac"}, headers=headers)
    assert too_short.status_code == 422
    assert too_short.json()["detail"] == "'AC' has 2 characters; every captcha has exactly 5"
    foreign = client.post(f"/api/failures/{first}/label", json={"label": "b0cde"}, headers=headers)
    assert foreign.status_code == 422
    assert foreign.json()["detail"].startswith("'0', 'B' never appear in these captchas; type only ACDEF")
    assert store.get_attempt(first).label_source is LabelSource.NONE

    truth = filled_store.truths[first]
    saved = client.post(f"/api/failures/{first}/label", json={"label": f" {truth.lower()} "}, headers=headers)
    assert saved.status_code == 200
    assert saved.json()["label"] == truth
    assert saved.json()["remaining"] == 4
    assert saved.json()["next"]["id"] == second
    stored = store.get_attempt(first)
    assert (stored.label, stored.label_source) == (truth, LabelSource.HUMAN)

    skipped_second = client.post(f"/api/failures/{third}/unreadable", json={"after": second}, headers=headers)
    assert skipped_second.status_code == 200
    assert skipped_second.json()["next"]["id"] == filled_store.queue[3]
    assert store.get_attempt(third).unreadable
    assert client.post("/api/failures/999999/label", json={"label": truth}, headers=headers).status_code == 404


def test_the_failure_page_labels_with_plain_forms(client: TestClient, filled_store: FilledStore, store: Store) -> None:
    token = csrf_token(client)
    first, second = filled_store.queue[:2]
    page = client.get("/failures").text
    assert f'action="/failures/{first}/label"' in page
    assert "5</span> left to label" in page
    assert f"5 characters of {ALPHABET}, any case." in page  # the solver's alphabet, not a copy of it

    wrong = client.post(f"/failures/{first}/label", data={"label": "zz", "csrf_token": token})
    assert wrong.status_code == 422
    assert "every captcha has exactly 5" in wrong.text and 'value="zz"' in wrong.text

    truth = filled_store.truths[first]
    saved = client.post(f"/failures/{first}/label", data={"label": truth, "csrf_token": token}, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, f"/failures?saved={first}")
    after_save = client.get(saved.headers["location"]).text
    assert f"#{first} saved as {truth}" in after_save
    assert f'action="/failures/{second}/label"' in after_save

    skipped = client.get(f"/failures?after={second}").text
    third = filled_store.queue[2]
    assert f'action="/failures/{third}/label"' in skipped and f'name="after" value="{second}"' in skipped
    marked = client.post(
        f"/failures/{third}/unreadable", data={"csrf_token": token, "after": second}, follow_redirects=False
    )
    assert marked.headers["location"] == f"/failures?after={second}&unreadable={third}"
    assert store.get_attempt(third).unreadable
    assert store.failure_queue_size() == 3


def test_every_post_route_refuses_a_request_without_the_right_token(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    post_paths = [path.replace("{attempt_id}", "1") for path, methods in schema["paths"].items() if "post" in methods]
    assert len(post_paths) == 4
    token = csrf_token(client)
    for path in post_paths:
        for headers, data in [
            ({}, {"label": "ACDEF"}),
            ({"X-CSRF-Token": "0" * 64}, {"csrf_token": "0" * 64}),
        ]:
            refused = client.post(path, data=data, headers=headers)
            assert refused.status_code == 403, path
            assert "CSRF check failed" in refused.text
    # The right token from another browser (no cookie) is refused too: it is bound to the cookie's nonce.
    stranger = TestClient(client.app, base_url="http://127.0.0.1")
    assert stranger.post("/api/failures/1/unreadable", headers={"X-CSRF-Token": token}).status_code == 403


def test_reports_give_the_top_branches_the_full_table_and_a_csv(client: TestClient, store: Store) -> None:
    trade_date, code = FINISHED_DATES[-1], CODES[1]
    assert client.get("/api/reports").json() == [RUNNING_DATE.isoformat()] + [
        day.isoformat() for day in reversed(FINISHED_DATES)
    ]
    summaries = client.get(f"/api/reports/{trade_date}").json()
    assert [summary["stock_code"] for summary in summaries] == sorted([*CODES, "9999"])

    report = client.get(f"/api/reports/{trade_date}/{code}").json()
    trades = store.report_trades(trade_date, code)
    net: dict[str, int] = defaultdict(int)
    for trade in trades:
        net[trade.broker_id] += trade.buy_shares - trade.sell_shares
    buyers = sorted((item for item in net.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))
    sellers = sorted((item for item in net.items() if item[1] < 0), key=lambda item: (item[1], item[0]))
    assert [(b["broker_id"], b["net_shares"]) for b in report["top_buyers"]] == buyers[:10]
    assert [(b["broker_id"], b["net_shares"]) for b in report["top_sellers"]] == sellers[:10]
    assert (report["security_name"], report["rec_count"], len(report["trades"])) == ("鴻海", 40, 40)
    assert report["total_buy_shares"] == sum(trade.buy_shares for trade in trades)
    assert report["total_sell_shares"] == sum(trade.sell_shares for trade in trades)

    download = client.get(f"/reports/{trade_date}/{code}.csv")
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="bsr-{code}-{trade_date}.csv"' in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == TRADES_PER_REPORT
    assert [(row["broker_id"], int(row["buy_shares"])) for row in rows] == [
        (trade.broker_id, trade.buy_shares) for trade in trades
    ]

    missing = client.get(f"/api/reports/{trade_date}/1234")
    assert missing.status_code == 404 and "no report of 1234" in missing.json()["detail"]
    page = client.get("/reports", params={"date": trade_date.isoformat(), "code": "1234"})
    assert page.status_code == 404 and "No report of 1234" in page.text
    bad_date = client.get("/reports", params={"date": "2026-13-45"})
    assert bad_date.status_code == 400 and "is no date" in bad_date.text


def test_site_data_is_escaped_in_pages_and_chart_data(client: TestClient) -> None:
    page = client.get("/reports", params={"date": FINISHED_DATES[0].isoformat(), "code": CODES[0]})
    assert page.status_code == 200
    assert HOSTILE_NAME not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text  # in the tables
    assert "\\u003cscript\\u003e" in page.text  # in the chart's JSON data block
    assert page.text.count("<script") == page.text.count('<script type="application/json"') + 3


def test_pages_render_and_forbid_foreign_hosts_and_scripts(client: TestClient) -> None:
    for path, marker in [
        ("/", 'id="job-runs"'),
        ("/solver", 'id="chart-calibration"'),
        ("/failures", 'id="label-input"'),
        ("/reports", 'id="trades"'),
    ]:
        response = client.get(path)
        assert response.status_code == 200 and marker in response.text, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert client.get("/static/vendor/chart.umd.min.js").status_code == 200
    rebound = client.get("/api/overview", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


def test_a_day_against_the_exchanges_list_names_what_is_missing_and_why(client) -> None:
    coverage = client.get(f"/api/coverage/{FINISHED_DATES[-1].isoformat()}").json()
    assert (coverage["listed"], coverage["stored"], coverage["no_trades"]) == (6, 4, 1)
    assert coverage["missing"] == [
        {
            "code": UNASKED_CODE,
            "name": f"證券{UNASKED_CODE}",
            "reason": "not asked",
            "why": "not asked: no run asked for it",
        },
        {
            "code": FAILED_CODE,
            "name": f"證券{FAILED_CODE}",
            "reason": "failed",
            "why": "failed: the site said wrong_captcha",
        },
    ]
    overview = client.get("/").text
    assert 'id="missing"' in overview and "the site said wrong_captcha" in overview
    runs = client.get("/api/job-runs").json()
    assert runs[1]["missing"] == {FAILED_CODE: "failed: the site said wrong_captcha"} and "skipped" not in runs[1]


def test_the_report_page_shows_the_sites_figures_both_totals_and_the_flags(client, store) -> None:
    day = FINISHED_DATES[0]
    report = store.load_report(day, "2317")
    figures = DayFigures(
        day,
        321,
        98_765_432,
        report.total_buy_shares + 1000,
        Decimal("101.50"),
        Decimal("104.00"),
        Decimal("100.00"),
        Decimal("103.50"),
    )
    last = report.trades[-1]
    unbalanced = (*report.trades[:-1], replace(last, sell_shares=last.sell_shares + 60))
    reason = "成交股數 is neither the buys nor the sells"
    store.save_report(replace(report, trades=unbalanced, figures=figures, flags=(reason,)))
    page = client.get(f"/reports?date={day.isoformat()}&code=2317").text
    assert 'id="day-figures"' in page and "98,765,432" in page and "103.50" in page
    assert 'id="flags"' in page and reason in page
    assert 'id="unbalanced"' in page and "-60 shares" in page
    api = client.get(f"/api/reports/{day.isoformat()}/2317").json()
    assert api["figures"]["traded_shares"] == report.total_buy_shares + 1000 and api["flags"] == [reason]
    assert api["total_sell_shares"] == api["total_buy_shares"] + 60
    flagged = client.get(f"/api/coverage/{day.isoformat()}").json()["flagged"]
    assert [(report["code"], report["reasons"]) for report in flagged] == [("2317", [reason])]
