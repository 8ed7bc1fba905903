"""Reads the site's HTML view of a report (bsContent.aspx?v=t): the security and the day's figures.

Only the view carries the report's date and the day's prices; the job checks the CSV's total buys against it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from html import unescape

from bot.errors import ReportFormatError
from storage.records import DayFigures

FIGURE_IDS = (
    "receive_date",
    "stock_id",
    "trade_rec",
    "trade_amt",
    "trade_qty",
    "open_price",
    "high_price",
    "low_price",
    "last_price",
)
# A value cell by its id, in single, double or no quotes, as scrapers of 2022-2026 find them.
_CELL = re.compile(r"""<td\b[^>]*?\bid\s*=\s*(['"]?)(?P<id>\w+)\1[^>]*>(?P<value>.*?)</td>""", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
# A price the view does not show: a blank cell (&nbsp;), or dashes as the exchange's other daily pages write it.
_NO_PRICE = {"", "-", "--", "---", "----"}


@dataclass(frozen=True)
class ReportView:
    """What the view says: which security (its code, and its name where shown) and the day's figures."""

    stock_code: str
    stock_name: str
    figures: DayFigures


def read_report_view(html: str) -> ReportView:
    """The view's figures from its HTML (already decoded, Big5 or UTF-8); ReportFormatError names what is missing."""
    cells = {match["id"]: _text(match["value"]) for match in _CELL.finditer(html)}
    missing = [cell_id for cell_id in FIGURE_IDS if cell_id not in cells]
    if missing:
        raise ReportFormatError(
            f"the report view lacks {', '.join(missing)}: the site's bsContent.aspx?v=t changed or is not a report"
        )
    code, _, name = cells["stock_id"].partition(" ")
    if not code:
        raise ReportFormatError("the report view's stock_id is empty")
    figures = DayFigures(
        trade_date=_date(cells["receive_date"]),
        trade_count=_count(cells, "trade_rec"),
        turnover=_count(cells, "trade_amt"),
        traded_shares=_count(cells, "trade_qty"),
        open_price=_price(cells, "open_price"),
        high_price=_price(cells, "high_price"),
        low_price=_price(cells, "low_price"),
        close_price=_price(cells, "last_price"),
    )
    return ReportView(stock_code=code.upper(), stock_name=name.strip(), figures=figures)


def _text(cell_html: str) -> str:
    """A cell's text with tags dropped, entities decoded and any run of spaces (&nbsp; included) made one."""
    return " ".join(unescape(_TAG.sub(" ", cell_html)).replace("\xa0", " ").split())


def _date(text: str) -> date:
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if match is None:
        raise ReportFormatError(f"the report view's receive_date is {text!r}, not a date like 2026/11/20")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ReportFormatError(f"the report view's receive_date {text!r} is no date: {error}") from error


def _count(cells: dict[str, str], cell_id: str) -> int:
    text = cells[cell_id].replace(",", "")
    if not text.isdigit():
        raise ReportFormatError(f"the report view's {cell_id} is {cells[cell_id]!r}, not a whole number")
    return int(text)


def _price(cells: dict[str, str], cell_id: str) -> Decimal | None:
    text = cells[cell_id].replace(",", "")
    if text in _NO_PRICE:
        return None
    try:
        price = Decimal(text)
    except InvalidOperation as error:
        raise ReportFormatError(f"the report view's {cell_id} is {cells[cell_id]!r}, not a price") from error
    if not price.is_finite() or price < 0:
        raise ReportFormatError(f"the report view's {cell_id} is {cells[cell_id]!r}, not a price")
    return price
