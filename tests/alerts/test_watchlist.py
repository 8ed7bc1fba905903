"""The watchlist file: read with every rule checked, a bad one refused in one line naming the file, the rule and
what to do; its rules answered by flows on the hand-checked history, each signal linking to a dashboard page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts import (
    AlertSettings,
    DayOutcome,
    WatchlistError,
    announce_day,
    check_watchlist,
    load_watchlist,
    signal_url,
)
from dashboard.app import create_app
from flows import SignalKind
from storage import Missing, MissingReason, Store
from testbed.commands import bsr_environment, run_bsr
from tests.alerts.conftest import Webhook
from tests.flows.conftest import D3, history  # noqa: F401  (the history fixture, on SQLite and PostgreSQL)

WATCHLIST = """
stocks = ["2454"]
branches = ["9B2z", "B020"]

[[rules]]
kind = "net_buy"
stocks = ["2330"]
branches = ["9B2z"]
lots = 4
days = 3

[[rules]]
kind = "concentration"
percent = 15
days = 1

[[rules]]
kind = "top_branch"

[[rules]]
kind = "day_trade_flip"
lots = 1

[[rules]]
kind = "concentration"
stocks = ["9999"]
percent = 10
days = 1
"""


def watchlist_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_watchlist_is_read_with_its_defaults(tmp_path: Path) -> None:
    rules = load_watchlist(watchlist_file(tmp_path, WATCHLIST)).rules
    assert [rule.kind for rule in rules] == [
        SignalKind.NET_BUY,
        SignalKind.CONCENTRATION,
        SignalKind.TOP_BRANCH,
        SignalKind.DAY_TRADE_FLIP,
        SignalKind.CONCENTRATION,
    ]
    net_buy, concentration, top, _, unknown = rules
    # A rule's own stocks and branches win over the top level's, which the others take.
    assert (net_buy.lots, net_buy.days, net_buy.branches, net_buy.stocks) == (4, 3, ("9B2z",), ("2330",))
    assert (concentration.percent, concentration.branches) == (15.0, ())
    assert (top.top, top.days, top.stocks, top.branches) == (15, 1, ("2454",), ("9B2z", "B020"))
    assert unknown.stocks == ("9999",)


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("stocks = [2330", "TOML", "Unclosed array"),
        ('[[rules]]\nkind = "hunch"', "rule 1", "kind 'hunch' is none of net_buy, concentration"),
        ('branches = ["9A00"]\n[[rules]]\nkind = "net_buy"', "rule 1 (net_buy)", "'lots' is missing"),
        (
            'branches = ["9A00"]\n[[rules]]\nkind = "net_buy"\nlots = 0',
            "rule 1 (net_buy)",
            "'lots' is 0: give a whole",
        ),
        ('[[rules]]\nkind = "net_buy"\nlots = 5', "rule 1 (net_buy)", "no branches to watch"),
        (
            'stocks = ["2330"]\n[[rules]]\nkind = "concentration"\npercent = 150\ndays = 3',
            "rule 1 (concentration)",
            "'percent' is 150",
        ),
        (
            'stocks = 2330\n[[rules]]\nkind = "top_branch"',
            "the top level",
            "'stocks' must be a list of codes",
        ),
        ('stock = ["2330"]', "the top level", "unknown key 'stock'"),
        ('stocks = ["2330"]', "rules", "nothing to watch"),
        (
            'stocks = ["2330"]\n[[rules]]\nkind = "concentration"\npercent = 5\ndays = 2\n'
            '[[rules]]\nkind = "concentration"\npercent = 5\ndays = 2\nlots = 3',
            "rule 2 (concentration)",
            "unknown key 'lots'",
        ),
    ],
)
def test_a_bad_watchlist_is_one_line_with_the_file_the_rule_and_what_to_do(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    path = watchlist_file(tmp_path, text)
    with pytest.raises(WatchlistError) as refused:
        load_watchlist(path)
    message = str(refused.value)
    assert message.startswith(f"watchlist {path}: {where}: ") and what in message
    assert "\n" not in message and message.endswith("fix it (the format: docs/alerts.md)")


def test_a_missing_watchlist_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="not found; create it or unset BSR_WATCHLIST"):
        load_watchlist(tmp_path / "nowhere.toml")


def test_the_rules_are_checked_on_a_stored_day_and_link_to_the_dashboard(
    history: Store,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    watch = check_watchlist(history, load_watchlist(watchlist_file(tmp_path, WATCHLIST)), D3)
    assert [(signal.kind, signal.stock_code, signal.broker_id) for signal in watch.signals] == [
        (SignalKind.NET_BUY, "2330", "9B2z"),  # 4.5 張 over three days
        (SignalKind.CONCENTRATION, "2454", None),
        (SignalKind.TOP_BRANCH, "2454", "B020"),
    ]
    assert watch.problems == (
        "rule 5 (concentration): no report of '9999' is stored; check the code (e.g. 2330) or fetch it first",
    )
    urls = [signal_url(signal, "http://bsr.example:8000/") for signal in watch.signals]
    assert urls[0] == "http://bsr.example:8000/flows/branches/9B2z?from=2026-11-16&to=2026-11-18"
    assert urls[1] == "http://bsr.example:8000/flows/stocks/2454?from=2026-11-18&to=2026-11-18"
    with TestClient(create_app(database_url), base_url="http://127.0.0.1") as client:
        for url in urls:
            assert client.get(url.removeprefix("http://bsr.example:8000")).status_code == 200


def test_after_the_day_the_digest_the_missing_and_the_signals_are_sent(
    history: Store,  # noqa: F811
    webhook: Webhook,
    tmp_path: Path,
) -> None:
    settings = AlertSettings((webhook.url,), watchlist_file(tmp_path, WATCHLIST), "http://bsr.example:8000")
    outcome = DayOutcome(
        D3,
        stored=2,
        no_trades=1,
        missing={"2317": Missing(MissingReason.FAILED, "the site said wrong_captcha")},
        answers=4,
    )
    announcement = announce_day(history, settings, outcome)
    assert webhook.titles() == [
        "bsr 2026-11-18: 1 missing",
        "bsr 2026-11-18: 1 missing",
        "bsr 2026-11-18: 3 watchlist signal(s)",
    ]
    digest, missing, signals = (body["message"] for body in webhook.received)
    assert "stored 2 · no trades 1 · missing 1 · flagged 0" in digest and "per report: 1.33" in digest
    assert "watchlist: rule 5 (concentration): no report of '9999'" in digest
    assert "http://bsr.example:8000/reports?date=2026-11-18" in digest
    assert "still missing: 2317" in missing and "2317: failed: the site said wrong_captcha" in missing
    assert "/flows/stocks/2454?from=2026-11-18&to=2026-11-18" in signals
    assert all(delivery.delivered for delivery in announcement.deliveries)
    assert [alert.alert.kind.value for alert in history.list_alerts()] == ["watch", "missing", "digest"]


def test_a_bad_watchlist_never_stops_the_digest(history: Store, webhook: Webhook, tmp_path: Path) -> None:  # noqa: F811
    settings = AlertSettings((webhook.url,), watchlist_file(tmp_path, "stocks = ["), "http://127.0.0.1:8000")
    announcement = announce_day(history, settings, DayOutcome(D3, stored=3))
    (problem,) = announcement.problems
    assert problem.startswith(f"watchlist {tmp_path / 'watchlist.toml'}: TOML: ")
    assert webhook.titles() == ["bsr 2026-11-18: complete"] and problem in webhook.received[0]["message"]


def test_bsr_alerts_watch_shows_and_sends_the_signals_of_a_stored_day(
    history: Store,  # noqa: F811
    database_url: str,
    webhook: Webhook,
    tmp_path: Path,
) -> None:
    environment = bsr_environment(tmp_path / "data", database_url) | {
        "BSR_WATCHLIST": str(watchlist_file(tmp_path, WATCHLIST)),
        "BSR_NOTIFY_URLS": webhook.url,
    }
    result = run_bsr("alerts", "watch", "--date", D3.isoformat(), "--send", environment=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "9B2z" in result.stdout and "/flows/branches/9B2z?from=2026-11-16&to=2026-11-18" in result.stdout
    assert "rule 5 (concentration): no report of '9999' is stored" in result.stdout
    assert len(webhook.received) == 1 and "9B2z" in webhook.received[0]["message"]
    bad_day = run_bsr("alerts", "watch", "--date", "2026-13-01", environment=environment, cwd=tmp_path)
    assert bad_day.returncode != 0 and "give YYYY-MM-DD" in bad_day.stderr
