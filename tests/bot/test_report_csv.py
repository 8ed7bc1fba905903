"""The CSV parser reads every layout of the site's broker report that SITE.md describes."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.errors import ReportFormatError
from bot.report_csv import parse_report

TRADE_DATE = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

QUOTED = (
    "券商買賣股票成交價量資訊\r\n"
    '股票代碼,="2330"\r\n'
    "序號,券商,價格,買進股數,賣出股數,,序號,券商,價格,買進股數,賣出股數\r\n"
    '"1","1020合　　庫","1040.00","3000","0",,"2","1020合　　庫","1045.00","1000","2000" \r\n'
    '"3","1030土　　銀","1040.00","0","5000",,"4","1030土　　銀","1050.00","12000","0" \r\n'
    '"5","9B2z台新文心","1045.00","2000","1000",,"","","","","" \r\n'
)

# Older files: bare numbers, thousands separators inside quotes, and an id differing only by case.
OLD_STYLE = (
    "券商買賣股票成交價量資訊\n"
    '股票代碼,="2330"\n'
    "序號,券商,價格,買進股數,賣出股數,,序號,券商,價格,買進股數,賣出股數\n"
    '1,"9B2Z台新某某",1040.00,"1,000",0,,2,"9B2z台新文心",1045.00,0,"1,000"\n'
)


def parse(raw: bytes, code: str = "2330", rec_count: int = 5):
    return parse_report(raw, code, TRADE_DATE, rec_count, NOW)


def test_utf8_with_bom_two_records_a_line_and_odd_count() -> None:
    report = parse(codecs.BOM_UTF8 + QUOTED.encode("utf-8"))
    assert [trade.seq for trade in report.trades] == [1, 2, 3, 4, 5]
    first, *_, last = report.trades
    assert (first.broker_id, first.broker_name, first.price) == ("1020", "合庫", Decimal("1040.00"))
    assert (first.buy_shares, first.sell_shares) == (3000, 0)
    assert (last.broker_id, last.broker_name, last.buy_shares, last.sell_shares) == ("9B2z", "台新文心", 2000, 1000)
    assert report.raw_csv.startswith(codecs.BOM_UTF8)
    assert (report.trade_date, report.stock_code, report.rec_count) == (TRADE_DATE, "2330", 5)


def test_cp950_gives_the_same_records_as_utf8() -> None:
    utf8 = parse(codecs.BOM_UTF8 + QUOTED.encode("utf-8"))
    big5 = parse(QUOTED.encode("cp950"))
    assert big5.trades == utf8.trades


def test_bare_numbers_with_separators_and_case_sensitive_ids() -> None:
    report = parse(OLD_STYLE.encode("cp950"), rec_count=2)
    assert [(t.broker_id, t.buy_shares, t.sell_shares) for t in report.trades] == [
        ("9B2Z", 1000, 0),
        ("9B2z", 0, 1000),
    ]


def test_a_report_of_another_security_is_refused() -> None:
    with pytest.raises(ReportFormatError, match="asked for 2317 but the site sent the report of 2330"):
        parse(QUOTED.encode("utf-8"), code="2317")


def test_a_page_that_is_no_report_is_refused() -> None:
    with pytest.raises(ReportFormatError, match="no 股票代碼 line"):
        parse(b"<html><body>THE PAGE CANNOT BE ACCESSED</body></html>")


def test_a_malformed_record_is_refused() -> None:
    broken = QUOTED.replace('"3000"', '"3x00"')
    with pytest.raises(ReportFormatError, match="record 1 is malformed"):
        parse(broken.encode("utf-8"))


def test_a_body_cut_inside_a_line_is_refused() -> None:
    raw = QUOTED.encode("utf-8")
    with pytest.raises(ReportFormatError, match="stops inside its last line: the download was cut"):
        parse(raw[: raw.index(b'"4","1030')])


def test_a_body_cut_inside_the_last_number_is_refused_though_the_line_has_its_11_fields() -> None:
    # The real CSVs of 2026-07-29 end every line, the last one too, with a line break.
    raw = QUOTED.encode("utf-8").rstrip(b" \r\n")
    with pytest.raises(ReportFormatError, match="stops inside its last line"):
        parse(raw[:-1])


def test_a_line_of_other_than_11_fields_is_refused() -> None:
    broken = QUOTED.replace(',,"4"', ',"4"')
    with pytest.raises(ReportFormatError, match="line 5 of the report has 10 fields, not 11: it is cut"):
        parse(broken.encode("utf-8"))


def test_a_body_cut_between_lines_parses_to_what_is_whole() -> None:
    # Buys then differ from sells, which storage refuses; the parser keeps what is whole.
    raw = QUOTED.encode("utf-8")
    report = parse(raw[: raw.index(b'"3","1030')])
    assert [trade.seq for trade in report.trades] == [1, 2]


def test_rec_count_is_kept_as_the_site_gave_it() -> None:
    # On the live site RecCount is not the number of records.
    assert parse(QUOTED.encode("utf-8"), rec_count=62).rec_count == 62
