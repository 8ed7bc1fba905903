"""Real broker reports: whole CSVs the live site gave, which the replica serves byte for byte for their codes.

`read_real_reports(folder)` reads each file once and keeps its bytes and the records its HTML view shows."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from replica.config import ReplicaConfigError
from replica.market import FULL_WIDTH_SPACE, Broker, Record, Report, estimated_trade_count

UTF8_BOM = b"\xef\xbb\xbf"
CODE_LINE = re.compile(r'股票代碼,="(\w+)"')
# The scrapers' files are named like 20260729_2330_twse_broker_trades.csv.
CODE_IN_NAME = re.compile(r"(?:^|_)([0-9]{4}[0-9A-Z]{0,2})(?:_|$)")
RECORDS_FROM_LINE = 3  # the title, the code line and the header come first


@dataclass(frozen=True)
class RealReport:
    """One real CSV: its bytes as the site sent them, its charset, and its report (whose trade_date means
    nothing: the CSV carries no date)."""

    path: Path
    body: bytes
    charset: str
    report: Report


def read_real_reports(folder: Path) -> dict[str, RealReport]:
    """Every *.csv of `folder` by its security's code; a file that is no whole report is a ReplicaConfigError."""
    reports: dict[str, RealReport] = {}
    paths = sorted(Path(folder).glob("*.csv"))
    if not paths:
        raise ReplicaConfigError(f"real CSVs: no *.csv file in {folder}")
    for path in paths:
        real = read_real_report(path)
        code = real.report.stock_code
        if code in reports:
            raise ReplicaConfigError(f"real CSVs: {reports[code].path.name} and {path.name} are both reports of {code}")
        reports[code] = real
    return reports


def read_real_report(path: Path) -> RealReport:
    """A real CSV of either layout: UTF-8 after a BOM, else Big5 (cp950), values quoted or bare."""
    body = path.read_bytes()
    if body.startswith(UTF8_BOM):
        encoding, charset = "utf-8-sig", "utf-8"
    else:
        encoding, charset = "cp950", "big5"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as error:
        raise ReplicaConfigError(f"real CSVs: {path.name} is neither UTF-8 with a BOM nor Big5 ({error})") from error
    rows = list(csv.reader(io.StringIO(text, newline="")))
    code = _stock_code(path, rows)
    records = _records(path, rows[RECORDS_FROM_LINE:])
    return RealReport(path, body, charset, _report(code, records))


def _stock_code(path: Path, rows: list[list[str]]) -> str:
    """The code of the file's own `股票代碼,="2330"` line, else the one in its name."""
    line = ",".join(rows[1]) if len(rows) > 1 else ""
    found = CODE_LINE.fullmatch(line.strip()) or CODE_IN_NAME.search(path.stem)
    if found is None:
        raise ReplicaConfigError(f'real CSVs: {path.name} has no 股票代碼,="<code>" line and no code in its name')
    return found.group(1).upper()


def _records(path: Path, rows: list[list[str]]) -> tuple[Record, ...]:
    """The records of the lines after the header: fields 0-4 and 6-10 of each, empty halves left out."""
    records: list[Record] = []
    for line_number, row in enumerate(rows, start=RECORDS_FROM_LINE + 1):
        fields = [field.strip() for field in row]
        if not any(fields):
            continue
        for half in (fields[0:5], fields[6:11]):
            if not any(half):
                continue
            try:
                number, label, price, buy, sell = half
                records.append(Record(_broker(label), int(Decimal(price) * 100), int(buy), int(sell)))
            except (ValueError, InvalidOperation) as error:
                raise ReplicaConfigError(f"real CSVs: {path.name} line {line_number} is no record: {row}") from error
            if int(number) != len(records):
                raise ReplicaConfigError(
                    f"real CSVs: {path.name} line {line_number} has 序號 {number} where {len(records)} belongs: "
                    "a report must be whole"
                )
    if not records:
        raise ReplicaConfigError(f"real CSVs: {path.name} holds no records")
    return tuple(records)


def _broker(label: str) -> Broker:
    """The 4-character branch id and the name, without the full-width or ASCII spaces that pad it."""
    return Broker(label[:4], label[4:].replace(FULL_WIDTH_SPACE, "").replace(" ", ""))


def _report(stock_code: str, records: tuple[Record, ...]) -> Report:
    """The report the view shows. High and low are the highest and lowest prices of the records. The CSV has
    no time order, so the day's open and close cannot be read from it: the replica, not the site, takes for
    the open the price at which the most shares changed hands and for the close the traded price nearest the
    day's average; 成交筆數 is estimated from the shares bought and the records."""
    shares_at: dict[int, int] = {}
    for record in records:
        shares_at[record.price_cents] = shares_at.get(record.price_cents, 0) + record.buy + record.sell
    prices = sorted(shares_at)
    busiest = max(prices, key=lambda cents: (shares_at[cents], -cents))
    average = sum(cents * shares for cents, shares in shares_at.items()) / max(1, sum(shares_at.values()))
    nearest_average = min(prices, key=lambda cents: (abs(cents - average), cents))
    bought = sum(record.buy for record in records)
    return Report(
        trade_date=date.min,
        stock_code=stock_code,
        records=records,
        trade_count=estimated_trade_count(bought, len(records)),
        open_cents=busiest,
        high_cents=prices[-1],
        low_cents=prices[0],
        last_cents=nearest_average,
    )
