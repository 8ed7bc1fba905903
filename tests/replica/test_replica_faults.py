"""Each fault knob over real HTTP, set in-process and through the control API as another process would."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from replica.market import Market, securities
from tests.replica.conftest import CsvReport, view_number

BLOCK_PAGE_LINES = (
    "因為安全性考量，您所執行的頁面無法呈現。<BR>",
    "FOR SECURITY REASONS, THIS PAGE CAN NOT BE ACCESSED.<BR>",
)
SITE_PAGES = ("", "default.aspx", "bsWelcome.aspx", "bsMenu.aspx", "CaptchaImage.aspx", "bsContent.aspx")
STATIC_FILES = ("scripts/jquery-3.7.0.min.js", "css/jquery.autocomplete.css", "banner.png", "use.htm")
EXPIRED = "驗證碼已逾期!"


def api(replica) -> httpx.Client:
    return httpx.Client(base_url=replica.root_url + "/replica/api/", timeout=10)


def test_all_knobs_are_off_by_default(replica) -> None:
    knobs = api(replica).get("faults").json()
    assert knobs["firewall_block_s"] == 3600 and knobs["throttle_block_s"] == 120
    assert all(value == 0 for name, value in knobs.items() if not name.endswith("_block_s"))


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


def test_firewall_answers_its_block_page_to_a_client_that_asks_too_often_for_a_while(clocked_replica, clock) -> None:
    replica = clocked_replica
    replica.config.firewall_requests_per_minute = 5
    replica.config.firewall_block_s = 600
    answers = [httpx.get(replica.base_url + "bsWelcome.aspx") for _ in range(7)]
    assert all("Label_Date" in answer.text for answer in answers[:5])
    for answer in answers[5:]:
        assert answer.status_code == 200 and len(answer.content) < 1024
        lines = answer.text.splitlines()
        start = lines.index(BLOCK_PAGE_LINES[0])
        assert lines[start + 1] == BLOCK_PAGE_LINES[1]
        assert re.fullmatch(r"錯誤代碼：\d+<BR>", lines[start + 2])
    captcha = httpx.get(replica.base_url + "CaptchaImage.aspx", params={"guid": "x"})
    assert "FOR SECURITY REASONS" in captcha.text and "頁面無法" in captcha.text
    clock.advance(599.9)
    assert "FOR SECURITY REASONS" in httpx.get(replica.base_url + "bsWelcome.aspx").text
    clock.advance(0.1)
    assert "Label_Date" in httpx.get(replica.base_url + "bsWelcome.aspx").text
    assert replica.stats()["firewall_blocked"] == 4


def forbidden(response: httpx.Response) -> bool:
    return response.status_code == 403 and "403 - Forbidden: Access is denied." in response.text


def test_throttle_answers_403_to_a_client_that_asks_for_too_many_pages_for_a_while(clocked_replica, clock) -> None:
    replica = clocked_replica
    replica.config.throttle_requests_per_minute = 3
    menu = replica.base_url + "bsMenu.aspx"
    for _ in range(3):
        assert httpx.get(menu).status_code == 200
    clock.advance(60)  # a minute later the count starts over
    for _ in range(3):
        assert httpx.get(menu).status_code == 200
    for name in STATIC_FILES:  # what the pages load is not counted, nor refused
        assert httpx.get(replica.base_url + name).status_code == 200
    assert forbidden(httpx.get(menu))
    for name in SITE_PAGES:
        assert forbidden(httpx.get(replica.base_url + name)), name
    assert forbidden(httpx.post(menu, data={"btnOK": "查詢"}))
    assert api(replica).get("stats").status_code == 200
    clock.advance(119.9)  # throttle_block_s is 120 by default
    assert forbidden(httpx.get(menu))
    clock.advance(0.1)
    assert httpx.get(menu).status_code == 200
    assert replica.stats()["throttled"] == 9


def test_forbidden_rate_refuses_the_sites_pages_but_not_what_they_load(replica, visitor) -> None:
    form = visitor.open_form()
    replica.config.forbidden_rate = 1.0
    for name in SITE_PAGES:
        assert forbidden(visitor.http.get(replica.base_url + name)), name
    assert forbidden(visitor.post(form, "2330", replica.captcha_answer(form.captcha_guid)))
    for name in STATIC_FILES:
        assert visitor.http.get(name).status_code == 200
    assert replica.stats()["faults_forbidden"] == len(SITE_PAGES) + 1
    replica.config.forbidden_rate = 0.5
    statuses = [visitor.http.get("bsWelcome.aspx").status_code for _ in range(40)]
    assert 8 <= statuses.count(403) <= 32 and statuses.count(200) == 40 - statuses.count(403)
    replica.config.forbidden_rate = 0.0
    assert visitor.solve(form, "2330").download_href, "the refused POST never reached the captcha"


def test_blank_post_answers_a_query_with_an_empty_page_and_spends_its_captcha(replica, visitor) -> None:
    replica.config.blank_post_rate = 1.0
    form = visitor.open_form()
    assert "CaptchaControl1" in form.html, "the knob does not touch the GET"
    answer = replica.captcha_answer(form.captcha_guid)
    blank = visitor.post(form, "2330", answer)
    assert blank.status_code == 200 and len(blank.content) == 236
    assert blank.text.strip().startswith("<html") and "<form" not in blank.text and "Label_ErrorMsg" not in blank.text
    assert visitor.captcha(form).status_code == 404
    replica.config.blank_post_rate = 0.0
    assert visitor.submit(form, "2330", answer).error_message == EXPIRED
    assert replica.stats()["faults_blank_post"] == 1 and replica.stats()["answers_right"] == 0


def test_silent_post_answers_a_new_form_with_neither_message_nor_link(replica, visitor) -> None:
    replica.config.silent_post_rate = 1.0
    form = visitor.open_form()
    answer = replica.captcha_answer(form.captcha_guid)
    silent = visitor.submit(form, "2330", answer)
    assert silent.error_message == "" and silent.download_href is None
    assert "top.page2" not in silent.html
    assert silent.captcha_guid != form.captcha_guid and silent.hidden["__VIEWSTATE"] != form.hidden["__VIEWSTATE"]
    assert visitor.captcha(form).status_code == 404, "the captcha was spent"
    assert visitor.http.get("bsContent.aspx", params={"StkNo": "2330", "RecCount": "1"}).content == b""
    replica.config.silent_post_rate = 0.0
    assert visitor.submit(form, "2330", answer).error_message == EXPIRED
    assert replica.stats()["faults_silent_post"] == 1


def test_forbidden_csv_refuses_the_download_but_not_the_html_view(replica, visitor) -> None:
    answer_page = visitor.solve(visitor.open_form(), "2330")
    replica.config.forbidden_csv_rate = 1.0
    assert forbidden(visitor.http.get(answer_page.download_href))
    assert "id='receive_date'" in visitor.http.get("bsContent.aspx", params={"v": "t", "StkNo": "2330"}).text
    replica.config.forbidden_csv_rate = 0.0
    assert visitor.http.get(answer_page.download_href).content.startswith(b"\xef\xbb\xbf")
    assert replica.stats()["faults_forbidden_csv"] == 1


def test_forbidden_captcha_refuses_the_image_and_leaves_the_captcha_live(replica, visitor) -> None:
    form = visitor.open_form()
    replica.config.forbidden_captcha_rate = 1.0
    assert forbidden(visitor.captcha(form))
    replica.config.forbidden_captcha_rate = 0.0
    assert visitor.captcha(form).headers["content-type"] == "image/jpeg"
    assert replica.stats()["faults_forbidden_captcha"] == 1


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


def test_unbalanced_reports_are_no_fault_and_a_mismatched_view_is_neither_total(replica, visitor) -> None:
    refused = api(replica).post("faults", json={"unbalanced_csv_rate": 0.5})
    assert refused.status_code == 400 and "unknown fault knob" in refused.json()["error"]
    assert "faults_unbalanced_csv" not in replica.stats()
    market = Market(replica.config.seed)
    day = replica.config.trade_date
    code = next(
        security.code
        for security in securities()
        if (report := market.report(day, security.code)) and abs(report.total_buy - report.total_sell) == 1_000
    )
    replica.config.view_mismatch_rate = 1.0
    _, body, page = visitor.report(code)
    csv_report = CsvReport.parse(body.content)
    assert abs(csv_report.total_buy - csv_report.total_sell) == 1_000
    traded = view_number(page, "trade_qty")
    assert traded not in (csv_report.total_buy, csv_report.total_sell), "one lot off the smaller total is the larger"
    assert replica.stats()["faults_view_mismatch"] == 1


def test_a_redesigned_form_renames_its_fields(replica) -> None:
    replica.config.redesign_rate = 1.0
    page = httpx.get(replica.base_url + "bsMenu.aspx").text
    assert 'id="TextBox_StockNo"' in page and "TextBox_Stkno" not in page
    assert replica.stats()["faults_redesign"] == 1


def test_throttle_knobs_turn_over_http(replica) -> None:
    knobs = {
        "forbidden_rate": 0.1,
        "throttle_requests_per_minute": 30,
        "throttle_block_s": 60,
        "blank_post_rate": 0.2,
        "silent_post_rate": 0.3,
        "forbidden_csv_rate": 0.4,
        "forbidden_captcha_rate": 0.5,
    }
    turned = api(replica).post("faults", json=knobs).json()
    assert {name: turned[name] for name in knobs} == knobs
    assert all(getattr(replica.config, name) == value for name, value in knobs.items())
    assert isinstance(replica.config.throttle_requests_per_minute, int)
    refused = api(replica).post("faults", json={"throttle_requests_per_minute": -1})
    assert refused.status_code == 400 and "throttle_requests_per_minute" in refused.json()["error"]


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
