"""A replica that serves the live site's real CSVs of 2026-07-29 (../shared/data/live-csv-2026-07) byte for byte,
with their RecCount and a report view that agrees with them; other codes stay generated."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from bsr.settings import REPO_ROOT
from replica.config import ReplicaConfig, ReplicaConfigError
from replica.market import Market
from replica.real_reports import read_real_reports
from replica.server import ReplicaServer
from tests.replica.conftest import CsvReport, Visitor, view_cells, view_number

REAL_CSVS = REPO_ROOT.parent / "shared" / "data" / "live-csv-2026-07"
REAL_DAY = date(2026, 7, 29)
# The folder's README: records and buys less sells of each file.
README_FIGURES = {
    "2330": (15_695, -30),
    "2454": (26_983, 7),
    "2308": (17_546, 40),
    "0050": (68_407, 0),
    "2317": (17_044, 0),
    "2603": (4_260, 0),
}


@pytest.fixture(scope="module")
def real_files() -> dict[str, bytes]:
    files = {path.name.split("_")[1]: path.read_bytes() for path in sorted(REAL_CSVS.glob("*.csv"))}
    if set(files) != set(README_FIGURES):
        pytest.skip(f"the real CSVs of 2026-07-29 are not at {REAL_CSVS}")
    return files


@pytest.fixture(scope="module")
def real_replica(real_files) -> Iterator[ReplicaServer]:
    config = ReplicaConfig(trade_date=REAL_DAY, seed=1, real_csv_dir=REAL_CSVS)
    with ReplicaServer(config) as server:
        yield server


@pytest.fixture
def real_visitor(real_replica) -> Iterator[Visitor]:
    real_replica.reset()
    opened = Visitor(real_replica)
    yield opened
    opened.close()


@pytest.mark.parametrize("code", list(README_FIGURES))
def test_each_real_csv_is_served_byte_for_byte_with_its_reccount_and_a_view_that_agrees(
    real_files, real_visitor, code: str
) -> None:
    records, difference = README_FIGURES[code]
    href, body, page = real_visitor.report(code)
    assert body.status_code == 200 and body.headers["content-type"] == "text/csv; charset=big5"
    assert hashlib.sha256(body.content).digest() == hashlib.sha256(real_files[code]).digest()
    assert href == f"bsContent.aspx?StkNo={code}&RecCount={math.ceil(records / 100)}"
    report = CsvReport.parse(body.content)
    assert report.stock_code == code and len(report.records) == records
    assert report.total_buy - report.total_sell == difference
    cells = view_cells(page)
    assert cells["receive_date"] == "2026/07/29" and cells["stock_id"].startswith(f"{code}&nbsp;")
    traded = view_number(page, "trade_qty")
    assert traded in (report.total_buy, report.total_sell)
    prices = [record.price for record in report.records]
    low, high = Decimal(cells["low_price"]), Decimal(cells["high_price"])
    assert (low, high) == (min(prices), max(prices))
    assert low <= Decimal(cells["open_price"]) <= high and low <= Decimal(cells["last_price"]) <= high
    assert low * traded <= view_number(page, "trade_amt") <= high * traded
    assert 1 <= view_number(page, "trade_rec") <= traded
    assert page.count("<tr class='column_value_price_") == records + records % 2


def test_2330s_reccount_is_the_live_sites_157(real_visitor) -> None:
    assert real_visitor.solve(real_visitor.open_form(), "2330").download_href.endswith("RecCount=157")


def test_the_view_shows_buys_or_sells_per_security_the_same_every_time(real_replica, real_visitor) -> None:
    market = real_replica.state.market
    sides = {code: market.report(REAL_DAY, code).traded_side for code in README_FIGURES}
    for code in ("2330", "2454", "2308"):  # the unbalanced ones
        _, body, page = real_visitor.report(code)
        report = CsvReport.parse(body.content)
        expected = report.total_buy if sides[code] == "buy" else report.total_sell
        assert view_number(page, "trade_qty") == expected
        assert view_number(real_visitor.report(code)[2], "trade_qty") == expected


def test_other_codes_stay_generated_and_a_real_report_stands_for_any_trade_date(real_replica, real_visitor) -> None:
    generated = Market(1).report(REAL_DAY, "2412")
    body = real_visitor.download("2412").content
    assert body.startswith(b"\xef\xbb\xbf") and len(CsvReport.parse(body).records) == len(generated.records)
    real_replica.config.trade_date = date(2026, 11, 20)
    href, body, page = real_visitor.report("2330")
    assert href.endswith("RecCount=157") and len(CsvReport.parse(body.content).records) == 15_695
    assert view_cells(page)["receive_date"] == "2026/11/20"


def test_a_folder_of_files_that_are_no_whole_reports_is_refused(tmp_path, real_files) -> None:
    cut = real_files["2603"]
    (tmp_path / "20260729_2603_twse_broker_trades.csv").write_bytes(cut[: cut.index(b"\n101,")])
    assert len(read_real_reports(tmp_path)["2603"].report.records) == 100
    lines = cut.split(b"\n")
    (tmp_path / "20260729_2603_twse_broker_trades.csv").write_bytes(b"\n".join(lines[:10] + lines[11:]))
    with pytest.raises(ReplicaConfigError, match="序號 .* a report must be whole"):
        read_real_reports(tmp_path)
    (tmp_path / "20260729_2603_twse_broker_trades.csv").write_bytes(cut.replace(b'="2603"', b'="9999"'))
    with pytest.raises(ReplicaConfigError, match="9999 .* not in the replica's list of securities"):
        ReplicaServer(ReplicaConfig(trade_date=REAL_DAY, real_csv_dir=tmp_path))
