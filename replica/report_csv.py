"""The broker report as bsContent.aspx sends it: the site's CSV, two records a line, in the layout of July or of
September 2026: title, `股票代碼,="<code>"`, the 11-field header, then the records with the site's trailing space."""

from __future__ import annotations

from dataclasses import dataclass

from replica.config import CSV_LAYOUTS, LATEST_CSV_LAYOUT, CsvLayoutName
from replica.market import Record, Report, format_price

TITLE = "券商買賣股票成交價量資訊"
HEADER = "序號,券商,價格,買進股數,賣出股數,,序號,券商,價格,買進股數,賣出股數"


@dataclass(frozen=True)
class CsvLayout:
    """How one period's CSV is written: its encoding, whether values are quoted, and its line ends."""

    name: CsvLayoutName
    encoding: str  # Python's name of the encoding
    charset: str  # what the Content-Type header names
    quoted: bool
    header_end: str  # after the title, the code line and the header
    record_end: str  # after each line of records, the site's trailing space included


LAYOUTS: dict[str, CsvLayout] = {
    # 2026-07-29's whole CSVs, bytes checked (SITE.md, "Real reports"): Big5 (cp950) without a BOM, header
    # lines ending CRLF, record lines ending in a space and LF, bare numbers with no thousands separators.
    "2026-07": CsvLayout("2026-07", "cp950", "big5", quoted=False, header_end="\r\n", record_end=" \n"),
    # A whole CSV of September 2026 (jjerry0519/broker-branch-tracker tests/fixtures/bsr_sample.csv): UTF-8
    # with a BOM, every value quoted, a space after each line of records. Its stored copy does not show its
    # line ends: CRLF here, as the replica wrote before it knew the July files.
    "2026-09": CsvLayout("2026-09", "utf-8-sig", "utf-8", quoted=True, header_end="\r\n", record_end=" \r\n"),
}
# Callers written when the replica chose only the encoding name it; each encoding has one layout.
LAYOUT_OF_ENCODING = {layout.encoding: name for name, layout in LAYOUTS.items()}


def _half(layout: CsvLayout, number: int, record: Record) -> str:
    fields = (str(number), record.broker.label, format_price(record.price_cents), str(record.buy), str(record.sell))
    return ",".join(f'"{field}"' for field in fields) if layout.quoted else ",".join(fields)


def report_csv_text(report: Report, layout: str = LATEST_CSV_LAYOUT) -> str:
    """The report's text: odd 序號 on the left, even on the right, an empty right half when the count is odd."""
    chosen = LAYOUTS[layout]
    empty_half = ",".join(['""' if chosen.quoted else ""] * 5)
    header = (TITLE, f'股票代碼,="{report.stock_code}"', HEADER)
    lines = [line + chosen.header_end for line in header]
    records = report.records
    for index in range(0, len(records), 2):
        left = _half(chosen, index + 1, records[index])
        right = _half(chosen, index + 2, records[index + 1]) if index + 1 < len(records) else empty_half
        lines.append(f"{left},,{right}{chosen.record_end}")
    return "".join(lines)


def report_csv_bytes(report: Report, layout: str = LATEST_CSV_LAYOUT) -> bytes:
    """The CSV body as the site sends it in `layout` (one of CSV_LAYOUTS); the name of a layout's encoding
    (`utf-8-sig`, `cp950`) stands for that layout."""
    name = LAYOUT_OF_ENCODING.get(layout, layout)
    if name not in LAYOUTS:
        raise ValueError(f"CSV layout must be one of {', '.join(CSV_LAYOUTS)}, got {layout!r}")
    return report_csv_text(report, name).encode(LAYOUTS[name].encoding)
