"""A visitor of the replica over real HTTP: opens the form, answers its captcha, follows the download link;
also one of a replica whose clock the test moves on.

The visitor reads pages the way a scraper does, by field names and ids, so the tests check the markup too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

import httpx
import pytest

from replica.server import ReplicaServer

HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" id="\w+" value="([^"]*)" />')
CAPTCHA_GUID = re.compile(r"<img src='CaptchaImage\.aspx\?guid=([0-9a-f-]{36})'")
ERROR_MESSAGE = re.compile(r'<span id="Label_ErrorMsg"[^>]*>([^<]*)</span>')
DOWNLOAD_LINK = re.compile(r'<a id="HyperLink_DownloadCSV" href="([^"]+)"')


@dataclass(frozen=True)
class MenuForm:
    """One rendering of bsMenu.aspx as a scraper reads it."""

    html: str
    hidden: dict[str, str]
    captcha_guid: str
    error_message: str
    download_href: str | None

    @classmethod
    def parse(cls, html: str) -> MenuForm:
        guid = CAPTCHA_GUID.search(html)
        message = ERROR_MESSAGE.search(html)
        assert guid is not None and message is not None, html[:500]
        link = DOWNLOAD_LINK.search(html)
        href = link and unescape(link.group(1))
        return cls(html, dict(HIDDEN_FIELD.findall(html)), guid.group(1), message.group(1), href)


class Visitor:
    """One browser session (one cookie jar) on the replica."""

    def __init__(self, replica) -> None:
        self.replica = replica
        self.http = httpx.Client(base_url=replica.base_url, timeout=10)

    def open_form(self) -> MenuForm:
        response = self.http.get("bsMenu.aspx")
        assert response.status_code == 200
        return MenuForm.parse(response.text)

    def captcha(self, form: MenuForm) -> httpx.Response:
        return self.http.get("CaptchaImage.aspx", params={"guid": form.captcha_guid})

    def post(self, form: MenuForm, stock_code: str, answer: str, **overrides: str) -> httpx.Response:
        fields = form.hidden | {
            "RadioButton_Normal": "RadioButton_Normal",
            "TextBox_Stkno": stock_code,
            "CaptchaControl1": answer,
            "btnOK": "查詢",
        }
        return self.http.post("bsMenu.aspx", data=fields | overrides)

    def submit(self, form: MenuForm, stock_code: str, answer: str, **overrides: str) -> MenuForm:
        response = self.post(form, stock_code, answer, **overrides)
        assert response.status_code == 200, response.text[:300]
        return MenuForm.parse(response.text)

    def solve(self, form: MenuForm, stock_code: str) -> MenuForm:
        """Answer the form's captcha right, as a perfect solver would."""
        answer = self.replica.captcha_answer(form.captcha_guid)
        assert answer is not None
        return self.submit(form, stock_code, answer)

    def download(self, stock_code: str) -> httpx.Response:
        """Solve a captcha for `stock_code` and follow the page's download link."""
        answer_page = self.solve(self.open_form(), stock_code)
        assert answer_page.download_href, answer_page.error_message
        return self.http.get(answer_page.download_href)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def visitor(replica) -> Iterator[Visitor]:
    opened = Visitor(replica)
    yield opened
    opened.close()


@pytest.fixture
def clocked_visitor(clocked_replica: ReplicaServer) -> Iterator[Visitor]:
    opened = Visitor(clocked_replica)
    yield opened
    opened.close()
