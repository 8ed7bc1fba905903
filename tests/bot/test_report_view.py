"""The report view's reader against the replica's bsContent.aspx?v=t over HTTP, and against the variants
scrapers have met: double quotes, Big5, a day without prices, a page that is no report."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import httpx
import pytest

from bot.errors import ReportFormatError
from bot.report_view import read_report_view
from replica.market import Market

HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(__\w+)" id="\w+" value="([^"]*)"')
CAPTCHA_GUID = re.compile(r"CaptchaImage\.aspx\?guid=([0-9a-f-]{36})")
DOWNLOAD_LINK = re.compile(r'id="HyperLink_DownloadCSV" href="([^"]+)"')


def report_view_html(replica, stock_code: str) -> str:
    """The view of `stock_code`'s report, reached as a browser does: the form, a right answer, the link."""
    with httpx.Client(base_url=replica.base_url, timeout=10) as http:
        form = http.get("bsMenu.aspx").text
        guid = CAPTCHA_GUID.search(form).group(1)
        fields = dict(HIDDEN_FIELD.findall(form)) | {
            "RadioButton_Normal": "RadioButton_Normal",
            "TextBox_Stkno": stock_code,
            "CaptchaControl1": replica.captcha_answer(guid),
            "btnOK": "查詢",
        }
        answer = http.post("bsMenu.aspx", data=fields).text
        assert DOWNLOAD_LINK.search(answer), answer[-800:]
        return http.get("bsContent.aspx", params={"v": "t", "StkNo": stock_code}).text


def test_reads_the_replicas_view(replica) -> None:
    view = read_report_view(report_view_html(replica, "2330"))
    report = Market(replica.config.seed).report(replica.config.trade_date, "2330")
    assert (view.stock_code, view.stock_name) == ("2330", "台積電")
    figures = view.figures
    assert figures.trade_date == date(2026, 11, 20)
    assert figures.traded_shares == report.traded_shares > 1_000_000
    assert report.traded_shares in (report.total_buy, report.total_sell)
    assert (figures.trade_count, figures.turnover) == (report.trade_count, report.turnover)
    assert figures.high_price == Decimal(report.high_cents) / 100 and figures.high_price > 1000
    assert figures.low_price <= figures.open_price <= figures.high_price
    assert figures.low_price <= figures.close_price <= figures.high_price


def test_reads_the_mismatched_view_as_it_stands(replica) -> None:
    replica.config.view_mismatch_rate = 1.0
    view = read_report_view(report_view_html(replica, "2317"))
    report = Market(replica.config.seed).report(replica.config.trade_date, "2317")
    assert view.figures.traded_shares == max(report.total_buy, report.total_sell) + 1_000


def test_double_quotes_big5_and_a_day_without_prices(replica) -> None:
    page = report_view_html(replica, "0050")
    variant = page.replace("'", '"').encode("cp950").decode("cp950")
    variant = re.sub(r"(id=\"(?:open|high|low|last)_price\">)[^<]*", r"\1&nbsp;", variant)
    view = read_report_view(variant)
    assert view.stock_code == "0050" and view.figures.traded_shares > 0
    assert (view.figures.open_price, view.figures.high_price, view.figures.close_price) == (None, None, None)
    assert read_report_view(page).figures.trade_date == view.figures.trade_date


def test_a_page_without_the_figures_names_what_is_missing(replica) -> None:
    page = report_view_html(replica, "2330")
    with pytest.raises(ReportFormatError, match="trade_qty, open_price"):
        read_report_view(page.replace("id='trade_qty'", "").replace("id='open_price'", ""))
    with pytest.raises(ReportFormatError, match="receive_date"):
        read_report_view("")
    with pytest.raises(ReportFormatError, match="trade_amt"):
        read_report_view(page.replace(unescape(re.search(r"id='trade_amt'>([^<]*)", page).group(1)), "n/a"))
