"""The broker report as bsContent.aspx sends it: the site's CSV layout, two records a line.

Title, `股票代碼,="<code>"`, the 11-field header, then quoted records with the site's trailing space."""

from __future__ import annotations

from replica.market import Record, Report, format_price

TITLE = "券商買賣股票成交價量資訊"
HEADER = "序號,券商,價格,買進股數,賣出股數,,序號,券商,價格,買進股數,賣出股數"
EMPTY_HALF = '"","","","",""'
LINE_END = "\r\n"


def _half(number: int, record: Record) -> str:
    fields = (str(number), record.broker.label, format_price(record.price_cents), str(record.buy), str(record.sell))
    return ",".join(f'"{field}"' for field in fields)


def report_csv_text(report: Report) -> str:
    """The report's text: odd 序號 on the left, even on the right, an empty right half when the count is odd."""
    lines = [TITLE, f'股票代碼,="{report.stock_code}"', HEADER]
    records = report.records
    for index in range(0, len(records), 2):
        left = _half(index + 1, records[index])
        right = _half(index + 2, records[index + 1]) if index + 1 < len(records) else EMPTY_HALF
        lines.append(f"{left},,{right} ")
    return LINE_END.join(lines) + LINE_END


def report_csv_bytes(report: Report, encoding: str) -> bytes:
    """The CSV body in the served encoding: UTF-8 with a BOM (`utf-8-sig`) or Big5 (`cp950`)."""
    return report_csv_text(report).encode(encoding)
