"""Parse the site's broker-report CSV into storage records, in every layout seen in the wild: UTF-8 with a BOM
or cp950, two records a line (the last may be alone), quoted or bare numbers, case-sensitive branch ids."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bot.errors import ReportFormatError
from storage.records import BrokerTrade, Report

# The site pads branch names to a fixed width with full-width spaces, also between characters (合　　庫).
FULL_WIDTH_SPACE = "\u3000"
BROKER_ID_LENGTH = 4
RECORD_FIELDS = 5
LINE_FIELDS = 2 * RECORD_FIELDS + 1  # two records and the empty field between them
_STOCK_CODE_LINE = re.compile(r'^\s*股票代碼\s*,\s*="?([^"\s]+)"?')


def decode_report(raw: bytes) -> str:
    """Text of a CSV body: UTF-8 when it starts with a BOM (or decodes cleanly), else Big5 (cp950)."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as error:  # typically a download cut off inside a character
            raise ReportFormatError(f"the report is not whole UTF-8 ({error.reason} at byte {error.start})") from error
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp950")
    except UnicodeDecodeError as error:
        raise ReportFormatError(f"the report is neither UTF-8 nor cp950 ({error})") from error


def parse_report(raw: bytes, stock_code: str, trade_date: date, rec_count: int, fetched_at: datetime) -> Report:
    """A whole report from a CSV body; raises ReportFormatError when it is not the expected security's or was
    cut. What a whole one is rests on the real CSVs of 2026 (../shared/data/live-csv-2026-07, Big5, and the
    September capture of 2330, UTF-8): the 股票代碼 line of the security asked for, the 11-field header, then
    lines of 11 fields, the last one ended like every other (storage.report_checks checks the numbering)."""
    text = decode_report(raw)
    lines = text.splitlines()
    code_line = _code_line(lines)
    if code_line is None:
        raise ReportFormatError(f"the report for {stock_code} has no 股票代碼 line: the download was not a report")
    found_code = _STOCK_CODE_LINE.match(lines[code_line]).group(1)  # type: ignore[union-attr]
    if found_code != stock_code:
        raise ReportFormatError(f"asked for {stock_code} but the site sent the report of {found_code}")
    # Every line of a real CSV ends in a line break, the last one too: a body that stops inside a line was cut.
    if not text.endswith(("\n", "\r")):
        raise ReportFormatError(f"the report of {stock_code} stops inside its last line: the download was cut")
    body = lines[code_line + 2 :]  # the 11-field header follows the code line
    trades = sorted(
        (
            trade
            for number, row in enumerate(csv.reader(io.StringIO("\n".join(body))), start=code_line + 3)
            for trade in _row_trades(number, row)
        ),
        key=lambda trade: trade.seq,
    )
    return Report(
        trade_date=trade_date,
        stock_code=stock_code,
        rec_count=rec_count,
        trades=tuple(trades),
        raw_csv=raw,
        fetched_at=fetched_at,
    )


def report_stock_code(raw: bytes) -> str:
    """The code a CSV body names on its `股票代碼,="CODE"` line: which security's report a saved file is.
    Raises ReportFormatError when it has none (it is no report of the site) or cannot be decoded."""
    lines = decode_report(raw).splitlines()
    code_line = _code_line(lines)
    if code_line is None:
        raise ReportFormatError("it has no 股票代碼 line among its first 5: it is not a report of the site")
    return _STOCK_CODE_LINE.match(lines[code_line]).group(1)  # type: ignore[union-attr]


def _code_line(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines[:5]) if _STOCK_CODE_LINE.match(line)), None)


def _row_trades(number: int, row: list[str]) -> list[BrokerTrade]:
    fields = [field.strip() for field in row]
    if not any(fields):
        return []
    if len(fields) != LINE_FIELDS:  # every line of the site's CSV has 11 fields: this one was cut
        raise ReportFormatError(f"line {number} of the report has {len(fields)} fields, not {LINE_FIELDS}: it is cut")
    halves = [fields[:RECORD_FIELDS], fields[RECORD_FIELDS + 1 : 2 * RECORD_FIELDS + 1]]
    return [_trade(half) for half in halves if len(half) == RECORD_FIELDS and half[0]]


def _trade(fields: list[str]) -> BrokerTrade:
    seq, broker, price, bought, sold = fields
    if len(broker) < BROKER_ID_LENGTH:
        raise ReportFormatError(f"record {seq} has no 4-character branch id in {broker!r}")
    try:
        return BrokerTrade(
            seq=_integer(seq),
            broker_id=broker[:BROKER_ID_LENGTH],
            broker_name=broker[BROKER_ID_LENGTH:].replace(FULL_WIDTH_SPACE, "").strip(),
            price=Decimal(price.replace(",", "")),
            buy_shares=_integer(bought),
            sell_shares=_integer(sold),
        )
    except (InvalidOperation, ValueError) as error:
        raise ReportFormatError(f"record {seq} is malformed: {fields}") from error


def _integer(text: str) -> int:
    return int(text.replace(",", ""))
