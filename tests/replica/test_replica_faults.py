"""Each fault knob over real HTTP, set in-process and through the control API as another process would."""

from __future__ import annotations

import csv
import io
import re
import time

import httpx
import pytest

BLOCK_PAGE_MARKS = ("THE PAGE CANNOT BE ACCESSED", "FOR SECURITY REASONS", "頁面無法執行")


def api(replica) -> httpx.Client:
    return httpx.Client(base_url=replica.root_url + "/replica/api/", timeout=10)


def test_all_knobs_are_off_by_default(replica) -> None:
    assert all(value == 0 for name, value in api(replica).get("faults").json().items() if name != "firewall_block_s")


def test_latency(replica) -> None:
    replica.config.latency_s = 0.3
    started = time.monotonic()
    assert httpx.get(replica.base_url + "bsWelcome.aspx").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_http_500_rate(replica) -> None:
    replica.config.error_rate = 1.0
    response = httpx.get(replica.base_url + "bsMenu.aspx")
    assert response.status_code == 500 and "Runtime Error" in response.text
    assert api(replica).get("stats").status_code == 200, "the control API never fails"
    replica.config.error_rate = 0.5
    statuses = [httpx.get(replica.base_url + "bsWelcome.aspx").status_code for _ in range(40)]
    assert 8 <= statuses.count(500) <= 32 and statuses.count(200) == 40 - statuses.count(500)


def test_dropped_connections_are_network_errors(replica) -> None:
    replica.config.drop_rate = 1.0
    for _ in range(3):
        with pytest.raises(httpx.TransportError):
            httpx.get(replica.base_url + "bsMenu.aspx")
    assert replica.stats()["faults_dropped"] == 3
    replica.config.drop_rate = 0.0
    assert httpx.get(replica.base_url + "bsMenu.aspx").status_code == 200


def test_nonimage_captcha_bodies(replica, visitor) -> None:
    form = visitor.open_form()
    replica.config.nonimage_captcha_rate = 1.0
    response = visitor.captcha(form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not response.content.startswith(b"\xff\xd8")
    replica.config.nonimage_captcha_rate = 0.0
    assert visitor.captcha(form).headers["content-type"] == "image/jpeg"


def test_firewall_blocks_a_client_that_asks_too_often_for_a_while(replica) -> None:
    replica.config.firewall_requests_per_minute = 5
    replica.config.firewall_block_s = 0.6
    pages = [httpx.get(replica.base_url + "bsWelcome.aspx").text for _ in range(7)]
    assert all("Label_Date" in page for page in pages[:5])
    for page in pages[5:]:
        assert all(mark in page for mark in BLOCK_PAGE_MARKS)
    captcha = httpx.get(replica.base_url + "CaptchaImage.aspx", params={"guid": "x"})
    assert "THE PAGE CANNOT BE ACCESSED" in captcha.text
    time.sleep(0.7)
    assert "Label_Date" in httpx.get(replica.base_url + "bsWelcome.aspx").text
    assert replica.stats()["firewall_blocked"] == 3


def test_stale_csv_is_another_securitys_report(replica, visitor) -> None:
    replica.config.stale_csv_rate = 1.0
    text = visitor.download("2317").content.decode("utf-8-sig")
    served = re.search(r'股票代碼,="(\w+)"', text).group(1)
    assert served != "2317"
    assert replica.stats()["faults_stale_csv"] == 1


def test_truncated_csv_is_cut_mid_way(replica, visitor) -> None:
    whole = visitor.download("2317").content
    replica.config.truncated_csv_rate = 1.0
    cut = visitor.download("2317").content
    assert 0 < len(cut) < len(whole) and whole.startswith(cut)
    assert replica.stats()["faults_truncated_csv"] == 1


def test_unbalanced_csv_buys_differ_from_sells_with_every_record_there(replica, visitor) -> None:
    def totals(body: bytes) -> tuple[int, int, int]:
        rows = [row for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if row and row[0].isdigit()]
        halves = [half for row in rows for half in (row[:5], row[6:11]) if half and half[0]]
        return len(halves), sum(int(half[3]) for half in halves), sum(int(half[4]) for half in halves)

    records, bought, sold = totals(visitor.download("2317").content)
    assert bought == sold
    replica.config.unbalanced_csv_rate = 1.0
    assert totals(visitor.download("2317").content) == (records, bought + 1000, sold)
    assert replica.stats()["faults_unbalanced_csv"] == 1


def test_a_redesigned_form_renames_its_fields(replica) -> None:
    replica.config.redesign_rate = 1.0
    page = httpx.get(replica.base_url + "bsMenu.aspx").text
    assert 'id="TextBox_StockNo"' in page and "TextBox_Stkno" not in page
    assert replica.stats()["faults_redesign"] == 1


def test_knobs_turn_over_http_and_reset(replica) -> None:
    control = api(replica)
    turned = control.post("faults", json={"error_rate": 1, "latency_s": 0.05}).json()
    assert turned["error_rate"] == 1.0 and replica.config.latency_s == 0.05
    assert httpx.get(replica.base_url + "bsWelcome.aspx").status_code == 500
    refused = control.post("faults", json={"error_rate": 3, "drop_rate": 0.5})
    assert refused.status_code == 400 and "error_rate" in refused.json()["error"]
    assert replica.config.drop_rate == 0.0, "a refused change changes nothing"
    assert "known:" in control.post("faults", json={"explode": 1}).json()["error"]
    assert control.post("faults", content=b"[1]").status_code == 400
    assert control.post("reset").status_code == 200
    assert replica.config.error_rate == 0.0 and replica.stats()["faults_error"] == 0
    assert httpx.get(replica.base_url + "bsWelcome.aspx").status_code == 200
