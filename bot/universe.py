"""Which securities a job fetches: the exchange's listed securities, a file of codes, or the replica's list.

The exchange's list comes from the code table that the `twstock` package maintains."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from urllib.parse import urljoin

import httpx

from storage.records import Security

# twstock's type column, mapped to our kinds; warrants (上市認購(售)權證) only when asked for by file.
TWSTOCK_KINDS = {
    "股票": "stock",
    "ETF": "etf",
    "ETN": "etn",
    "特別股": "preferred",
    "創新板": "innovation",
    "臺灣存託憑證(TDR)": "tdr",
    "受益證券-不動產投資信託": "reit",
}
REPLICA_SECURITIES = "/replica/api/securities"


class UniverseError(ValueError):
    """The universe asked for cannot be read."""


def load_universe(spec: str, base_url: str) -> list[Security]:
    """`all`: the site's own list when it is the replica, else the exchange's; anything else: a file."""
    if spec == "all":
        return _replica_securities(base_url) or exchange_securities()
    return _file_securities(Path(spec))


def parse_stock_codes(text: str) -> list[str]:
    """`2330,2317` -> ['2330', '2317'], refusing what cannot be a TWSE code."""
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    bad = [code for code in codes if not (code.isalnum() and 4 <= len(code) <= 6)]
    if bad or not codes:
        raise UniverseError(
            f"not security codes: {', '.join(bad) or repr(text)}; give codes like 2330,0050,00878"
        )
    return codes


def exchange_securities() -> list[Security]:
    spec = importlib.util.find_spec("twstock")
    if spec is None or spec.origin is None:
        raise UniverseError("the twstock package is missing: run `make setup`")
    table = Path(spec.origin).parent / "codes" / "twse_equities.csv"
    with table.open(encoding="utf-8") as rows:
        return [
            Security(code=row["code"], name=row["name"], kind=TWSTOCK_KINDS[row["type"]])
            for row in csv.DictReader(rows)
            if row["type"] in TWSTOCK_KINDS
        ]


def _replica_securities(base_url: str) -> list[Security]:
    try:
        response = httpx.get(urljoin(base_url, REPLICA_SECURITIES), timeout=10)
        listed = response.json() if response.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        return []
    return [Security(code=item["code"], name=item["name"], kind=item["kind"]) for item in listed]


def _file_securities(path: Path) -> list[Security]:
    """One code per line, or a CSV whose first column is the code (a header line is skipped)."""
    if not path.is_file():
        raise UniverseError(
            f"no universe file at {path}: give --universe all or a file of codes, one per line"
        )
    securities = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        code = line.split(",")[0].strip()
        if code and code.isalnum() and code.lower() != "code":
            securities.append(Security(code=code, name="", kind="unknown"))
    if not securities:
        raise UniverseError(f"{path} lists no security codes: write one code per line")
    return securities
