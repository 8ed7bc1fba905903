"""A visitor of the replica over real HTTP: opens the form, answers its captcha, follows the download link;
also one of a replica whose clock the test moves on, and the reading of a CSV and a report view.

The visitor reads pages the way a scraper does, by field names and ids, so the tests check the markup too."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html import unescape

import httpx
import pytest

from replica.server import ReplicaServer

HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" id="\w+" value="([^"]*)" />')
CAPTCHA_GUID = re.compile(r"<img src='CaptchaImage\.aspx\?guid=([0-9a-f-]{36})'")
ERROR_MESSAGE = re.compile(r'<span id="Label_ErrorMsg"[^>]*>([^<]*)</span>')
DOWNLOAD_LINK = re.compile(r'<a id="HyperLink_DownloadCSV" href="([^"]+)"')
CODE_LINE = re.compile(r'股票代碼,="(\w+)"')
VIEW_CELL = re.compile(r"<td class='column_value_1' id='(\w+)'>([^<]*)</td>")


@dataclass(frozen=True)
class CsvRecord:
    number: int
    label: str
    price: Decimal
    buy: int
    sell: int


@dataclass(frozen=True)
class CsvReport:
    """A downloaded CSV as a scraper reads it, whatever its layout: UTF-8 after a BOM, else Big5."""

    stock_code: str
    records: list[CsvRecord]

    @classmethod
    def parse(cls, body: bytes) -> CsvReport:
        text = body.decode("utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "cp950")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        code = CODE_LINE.fullmatch(",".join(rows[1]))
        assert code is not None, rows[1]
        records = [
            CsvRecord(int(half[0]), half[1], Decimal(half[2]), int(half[3]), int(half[4]))
            for row in rows[3:]
            for half in ([field.strip() for field in row[:5]], [field.strip() for field in row[6:11]])
            if any(half)
        ]
        return cls(code.group(1), records)

    @property
    def total_buy(self) -> int:
        return sum(record.buy for record in self.records)

    @property
    def total_sell(self) -> int:
        return sum(record.sell for record in self.records)


def view_cells(page: str) -> dict[str, str]:
    """The header cells of a report view (bsContent.aspx?v=t) by id: receive_date, trade_qty, ..."""
    return dict(VIEW_CELL.findall(page))


def view_number(page: str, cell_id: str) -> int:
    return int(view_cells(page)[cell_id].replace(",", ""))


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

    def report(self, stock_code: str) -> tuple[str, httpx.Response, str]:
        """Solve a captcha for `stock_code`; the download link, the CSV it gives and the report view."""
        answer_page = self.solve(self.open_form(), stock_code)
        assert answer_page.download_href, answer_page.error_message
        body = self.http.get(answer_page.download_href)
        view = self.http.get(answer_page.download_href.replace("bsContent.aspx?", "bsContent.aspx?v=t&"))
        return answer_page.download_href, body, view.text

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
