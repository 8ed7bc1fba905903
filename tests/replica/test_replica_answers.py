"""Every answer of the query form, the captcha's one try and expiry, and the captcha image itself."""

from __future__ import annotations

import io
import math

import httpx
import pytest
from PIL import Image

from replica.captcha import ALPHABET
from replica.captcha_store import AnswerCheck, CaptchaStore
from replica.config import ReplicaConfig
from replica.market import Market, securities
from replica.site import rec_count
from storage import normal_label
from tests.replica.conftest import MenuForm

WRONG, EXPIRED, NO_DATA = "驗證碼錯誤!", "驗證碼已逾期!", "查無資料"


def wrong_answer_for(answer: str) -> str:
    return "".join(ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)] for char in answer.upper())


def test_right_answer_links_the_report_and_shows_it_in_page2(replica, visitor) -> None:
    answer_page = visitor.solve(visitor.open_form(), "2330")
    assert answer_page.error_message == ""
    count = int(answer_page.download_href.rsplit("RecCount=", 1)[1])
    assert answer_page.download_href == f"bsContent.aspx?StkNo=2330&RecCount={count}"
    assert f"top.page2.location.href='bsContent.aspx?v=t&StkNo=2330&RecCount={count}'" in answer_page.html
    assert 'name="TextBox_Stkno" type="text" value="2330"' in answer_page.html
    assert replica.stats()["answers_right"] == 1


def test_reccount_is_the_number_of_pages_of_100_records(replica, visitor) -> None:
    # The live site's exact pairs: 15,695 records with RecCount=157 (2026-07-29), about 6,200 with 62 (May 2026).
    assert (rec_count(15_695), rec_count(6_200), rec_count(100), rec_count(101), rec_count(1)) == (157, 62, 1, 2, 1)
    market = Market(replica.config.seed)
    for code in ("2330", "2317", "00878"):
        records = len(market.report(replica.config.trade_date, code).records)
        href = visitor.solve(visitor.open_form(), code).download_href
        assert href.endswith(f"RecCount={math.ceil(records / 100)}"), (code, records, href)


def test_every_answer_page_carries_a_fresh_captcha(replica, visitor) -> None:
    form = visitor.open_form()
    answer_page = visitor.solve(form, "2330")
    assert answer_page.captcha_guid != form.captcha_guid
    assert answer_page.hidden["__VIEWSTATE"] != form.hidden["__VIEWSTATE"]
    assert visitor.captcha(answer_page).status_code == 200
    assert visitor.solve(answer_page, "2317").download_href.startswith("bsContent.aspx?StkNo=2317&")


def test_answers_compare_case_insensitively(replica, visitor) -> None:
    form = visitor.open_form()
    answer = replica.captcha_answer(form.captcha_guid)
    assert visitor.submit(form, "2330", f" {answer.lower()} ").download_href


class OneCaptcha:
    """A captcha source whose every captcha reads `answer`, as a replayed label may be written."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def new_answer(self) -> tuple[str, str]:
        return self.answer, self.answer

    def image(self, answer: str, image_key: str) -> bytes:
        return b""


@pytest.mark.parametrize("issued", ["ACDEF", "acdef"])
@pytest.mark.parametrize("answer", ["ACDEF", "acdef", " aCdEf\n", "AC DEF", "ACDEG", "ACDE", "ＡＣＤＥＦ"])
def test_the_replica_takes_exactly_the_answers_stored_as_the_captchas_label(issued: str, answer: str) -> None:
    # The replica compares as the site does, by a rule of its own (it may not import storage); the bot stores
    # an accepted answer as the captcha's label, so the two must agree on which answers are the same text.
    captchas = CaptchaStore(OneCaptcha(issued), ReplicaConfig(), clock=lambda: 0.0)
    taken = captchas.check(captchas.issue(), answer) is AnswerCheck.RIGHT
    assert taken == (normal_label(answer) == normal_label(issued))


def test_wrong_answer(replica, visitor) -> None:
    form = visitor.open_form()
    answer_page = visitor.submit(form, "2330", wrong_answer_for(replica.captcha_answer(form.captcha_guid)))
    assert answer_page.error_message == WRONG and answer_page.download_href is None
    assert replica.stats()["answers_wrong"] == 1


def test_one_try_per_captcha_right_or_wrong(replica, visitor) -> None:
    form = visitor.open_form()
    answer = replica.captcha_answer(form.captcha_guid)
    assert visitor.submit(form, "2330", wrong_answer_for(answer)).error_message == WRONG
    assert visitor.submit(form, "2330", answer).error_message == EXPIRED
    assert visitor.captcha(form).status_code == 404
    solved = visitor.open_form()
    assert visitor.solve(solved, "2330").download_href
    assert visitor.submit(solved, "2330", "anything").error_message == EXPIRED
    assert replica.stats()["answers_expired"] == 2


def test_expired_captcha(clocked_replica, clocked_visitor, clock) -> None:
    visitor = clocked_visitor
    form = visitor.open_form()
    answer = clocked_replica.captcha_answer(form.captcha_guid)
    clock.advance(89.9)
    assert visitor.captcha(form).status_code == 200
    clock.advance(0.1)
    assert visitor.captcha(form).status_code == 404
    answer_page = visitor.submit(form, "2330", answer)
    assert answer_page.error_message == EXPIRED and answer_page.download_href is None
    assert clocked_replica.stats()["answers_expired"] == 1


def test_answers_faster_than_the_minimum_delay_are_wrong(clocked_replica, clocked_visitor, clock) -> None:
    clocked_replica.config.min_answer_delay_s = 3.0
    visitor = clocked_visitor
    form = visitor.open_form()
    answer = clocked_replica.captcha_answer(form.captcha_guid)
    clock.advance(2.9)
    assert visitor.submit(form, "2330", answer).error_message == WRONG
    patient = visitor.open_form()
    answer = clocked_replica.captcha_answer(patient.captcha_guid)
    clock.advance(3.0)
    assert visitor.submit(patient, "2330", answer).download_href
    assert clocked_replica.stats()["answers_too_fast"] == 1


def test_no_data_for_unknown_codes_quiet_securities_and_block_trades(replica, visitor) -> None:
    market = Market(replica.config.seed)
    quiet = next(s.code for s in securities() if market.report(replica.config.trade_date, s.code) is None)
    for code in ("9998", "", quiet):
        answer_page = visitor.solve(visitor.open_form(), code)
        assert answer_page.error_message == NO_DATA and answer_page.download_href is None, code
    form = visitor.open_form()
    answer = replica.captcha_answer(form.captcha_guid)
    block_trades = visitor.post(form, "2330", answer, RadioButton_Excd="RadioButton_Excd")
    assert MenuForm.parse(block_trades.text).error_message == NO_DATA
    assert replica.stats()["no_data"] == 4


def test_choosing_block_trades_posts_back_and_redraws_the_form_with_it_chosen(replica, visitor) -> None:
    form = visitor.open_form()
    fields = form.hidden | {"__EVENTTARGET": "RadioButton_Excd", "RadioButton_Excd": "RadioButton_Excd"}
    redrawn = MenuForm.parse(visitor.http.post("bsMenu.aspx", data=fields | {"TextBox_Stkno": "2330"}).text)
    assert 'name="RadioButton_Excd" value="RadioButton_Excd" checked="checked"' in redrawn.html
    assert 'value="RadioButton_Normal" checked' not in redrawn.html
    assert 'name="TextBox_Stkno" type="text" value="2330"' in redrawn.html
    assert redrawn.error_message == "" and replica.stats()["answers_right"] == 0


def test_forged_or_foreign_viewstate_gets_the_error_page(replica, visitor) -> None:
    form = visitor.open_form()
    answer = replica.captcha_answer(form.captcha_guid)
    viewstate = form.hidden["__VIEWSTATE"]
    tampered = viewstate[:10] + ("A" if viewstate[10] != "A" else "B") + viewstate[11:]
    other = visitor.open_form()
    for overrides in (
        {"__VIEWSTATE": tampered},
        {"__VIEWSTATE": "not base64 at all!"},
        {"__VIEWSTATE": ""},
        {"__EVENTVALIDATION": other.hidden["__EVENTVALIDATION"]},
    ):
        response = visitor.post(form, "2330", answer, **overrides)
        assert response.status_code == 500
        assert "Server Error in '/bshtm' Application." in response.text
    assert "Validation of viewstate MAC failed" in visitor.post(form, "2330", answer, __VIEWSTATE=tampered).text
    assert replica.stats()["viewstate_errors"] == 5
    # The captcha was never consumed: the genuine form still works.
    assert visitor.submit(form, "2330", answer).download_href


def test_captcha_image_is_a_200_by_60_jpeg_redrawn_on_each_fetch(visitor) -> None:
    form = visitor.open_form()
    first, second = visitor.captcha(form), visitor.captcha(form)
    for response in (first, second):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content[:3] == b"\xff\xd8\xff" and b"JFIF" in response.content[:20]
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "JPEG" and image.size == (200, 60) and image.mode == "RGB"
    assert first.content != second.content


def test_unknown_captcha_guid_is_404(replica) -> None:
    response = httpx.get(
        replica.base_url + "CaptchaImage.aspx", params={"guid": "7d3a1b2c-0000-4000-8000-000000000000"}
    )
    assert response.status_code == 404
    assert httpx.get(replica.base_url + "CaptchaImage.aspx").status_code == 404
