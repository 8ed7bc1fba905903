"""`bsr flows stock|branch|rank` as a user runs them: JSON of the hand-worked history, tables, one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from storage import Store
from testbed.commands import bsr_environment, run_bsr
from tests.flows.conftest import history_reports


def bsr(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bsr(
        *args, environment=bsr_environment(tmp_path / "data", database_url) | {"COLUMNS": "200"}, cwd=tmp_path
    )


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('flows-cli') / 'bsr.sqlite3'}"
    with Store.open(url) as store:
        store.load_reports(history_reports())
    return url


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_stock_as_json(tmp_path: Path, history_url: str) -> None:
    result = bsr(tmp_path, history_url, "flows", "stock", "2330", "--days", "3", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["broker_id"] for row in rows] == ["9B2z", "1020", "9B2Z", "1030"]
    first = rows[0]
    assert {key: first[key] for key in ("broker_name", "buy_shares", "sell_shares", "net_shares", "net_value")} == {
        "broker_name": "台新文心",
        "buy_shares": 7000,
        "sell_shares": 2500,
        "net_shares": 4500,
        "net_value": 452_200.0,
    }
    assert first["avg_sell_price"] == pytest.approx(101.14)
    assert first["volume_share"] == pytest.approx(9500 / 14000)
    assert rows[2]["avg_buy_price"] is None


def test_stock_top_and_range(tmp_path: Path, history_url: str) -> None:
    result = bsr(
        tmp_path,
        history_url,
        "flows",
        "stock",
        "2330",
        "--from",
        "2026-11-17",
        "--to",
        "2026-11-18",
        "--top",
        "1",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split(",")[:3] == ["broker_id", "broker_name", "buy_shares"]
    # Over the 17th and 18th: 9B2z net +2,500; 1020 sold 2,000, the most.
    assert [line.split(",")[0] for line in lines[1:]] == ["9B2z", "1020"]


def test_branch_as_json_is_case_sensitive(tmp_path: Path, history_url: str) -> None:
    result = bsr(tmp_path, history_url, "flows", "branch", "9B2Z", "--days", "3", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(row["broker_id"], row["stock_code"], row["net_shares"]) for row in rows] == [
        ("9B2Z", "1101", 2000),
        ("9B2Z", "2330", -1000),
    ]
    assert {"buy_shares", "sell_shares", "net_value", "avg_buy_price", "avg_sell_price", "volume_share"} <= set(rows[0])


def test_branch_as_a_table(tmp_path: Path, history_url: str) -> None:
    result = bsr(tmp_path, history_url, "flows", "branch", "9B2z", "--days", "3")
    assert result.returncode == 0, result.stderr
    assert "9B2z 台新文心" in result.stdout
    assert "net-bought day after day: 2330 3 days" in result.stdout
    assert "452,200.00" in result.stdout


def test_rank_stocks_and_branches(tmp_path: Path, history_url: str) -> None:
    stocks = json.loads(bsr(tmp_path, history_url, "flows", "rank", "--days", "3", "--format", "json").stdout)
    assert stocks[0]["stock_code"] == "2454"
    assert stocks[0]["concentration"] == pytest.approx(37_500 / 210_000)
    branches = bsr(
        tmp_path, history_url, "flows", "rank", "--by", "branches", "--days", "3", "--top", "2", "--format", "json"
    )
    rows = json.loads(branches.stdout)
    assert [row["broker_id"] for row in rows] == ["B020", "B019", "S020", "S019"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["stock", "9999"], ["no report of '9999' is stored"]),
        (["branch", "9b2z"], ["case-sensitive"]),
        (["stock", "2330", "--from", "2026-11-18", "--to", "2026-11-16"], ["is after"]),
        (["stock", "2330", "--from", "2026-12-01"], ["no report is stored from 2026-12-01"]),
        (["rank", "--from", "2026-11-31"], ["YYYY-MM-DD"]),
        (["rank", "--format", "xml"], ["xml"]),
    ],
)
def test_bad_input_gets_one_line(tmp_path: Path, history_url: str, args: list[str], words: list[str]) -> None:
    assert_one_line_error(bsr(tmp_path, history_url, "flows", *args), *words)


def test_an_empty_database_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert_one_line_error(bsr(tmp_path, url, "flows", "rank"), "no report is stored yet", "bsr fetch")
