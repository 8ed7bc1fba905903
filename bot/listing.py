"""Reads the exchange's list of listed securities (isin.twse.com.tw/isin/C_public.jsp?strMode=2).

Big5 HTML, one table in sections by kind; the warrants' section is left out, as the daily job does not want them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

import httpx

from bot.errors import BotError
from storage.records import Security

# The list's sections (and twstock's type column, which copies them), mapped to our kinds.
# Warrants (上市認購(售)權證) are not among them: users ask for them by file.
KINDS = {
    "股票": "stock",
    "ETF": "etf",
    "ETN": "etn",
    "特別股": "preferred",
    "創新板": "innovation",
    "臺灣存託憑證(TDR)": "tdr",
    "受益證券-不動產投資信託": "reit",
}
EXCHANGE_LISTING_URL = "https://isin.twse.com.tw/isin/C_public.jsp?strMode=2"
LISTING_COLUMNS = 7
LISTING_TIMEOUT_S = 30.0
_UPDATED = re.compile(r"最近更新日期:\s*(\d{4})/(\d{1,2})/(\d{1,2})")


class ListingError(BotError):
    """The exchange's list of securities could not be read; the message says from where and why."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot read the exchange's list of securities at {url} ({reason}): check BSR_LISTING_URL")


@dataclass(frozen=True)
class Listing:
    """The list as read: its date (最近更新日期, where shown) and the securities it lists but the warrants."""

    updated_on: date | None
    securities: tuple[Security, ...]


async def fetch_listing(url: str, client: httpx.AsyncClient | None = None) -> Listing:
    """GET and read the list at `url`; ListingError on a network error, an HTTP error or a page that is no list."""
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=LISTING_TIMEOUT_S, follow_redirects=True) as own:
                response = await own.get(url)
        else:
            response = await client.get(url)
    except httpx.HTTPError as error:
        raise ListingError(url, f"{type(error).__name__}: {error}".rstrip(": ")) from error
    if response.status_code != 200:
        raise ListingError(url, f"HTTP {response.status_code}")
    try:
        return read_listing(response.content.decode("cp950", errors="replace"))
    except ValueError as error:
        raise ListingError(url, str(error)) from error


def read_listing(html: str) -> Listing:
    """The list from its HTML (decoded); ValueError where the page has no such table."""
    table = _TableRows()
    table.feed(html)
    table.close()
    section = ""
    securities: list[Security] = []
    for cells in table.rows:
        if len(cells) == 1:
            section = "".join(cells[0].split())
        elif len(cells) == LISTING_COLUMNS and "\u3000" in cells[0] and section in KINDS:
            code, _, name = cells[0].partition("\u3000")
            securities.append(Security(code.strip(), name.strip(), KINDS[section], listing_date(cells[2])))
    if not table.rows or not any(len(cells) == LISTING_COLUMNS for cells in table.rows):
        raise ValueError("the page holds no table of securities")
    if not securities:
        raise ValueError("the table lists no securities")
    updated = _UPDATED.search(html)
    updated_on = date(*(int(part) for part in updated.groups())) if updated else None
    return Listing(updated_on, tuple(securities))


def listing_date(text: str) -> date | None:
    """A listing date as the list (and twstock's copy of it) writes it, `1962/02/09`; None if it is none."""
    try:
        year, month, day = (int(part) for part in text.strip().split("/"))
        return date(year, month, day)
    except ValueError:
        return None


class _TableRows(HTMLParser):
    """The text of each row's cells in the list's table (TABLE class='h4'); tolerant of its unclosed <B>s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._in_table = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "h4") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self._close_cell()
            self.rows.append([])
        elif self._in_table and tag == "td" and self.rows:
            self._close_cell()
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "tr"}:
            self._close_cell()
        elif tag == "table":
            self._close_cell()
            self._in_table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip(" \t\r\n"))
            self._cell = None
