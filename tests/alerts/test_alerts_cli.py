"""`bsr alerts` as a user runs it, and the alerts after `bsr fetch`: a bad URL is one clear line and never fails
the run, the digest and the missing securities reach a real webhook."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from bot.job import FetchSummary, SecurityStatus
from bsr.cli.alerts import tell_day
from bsr.settings import get_settings
from storage import Store
from testbed.commands import bsr_environment, run_bsr
from tests.alerts.conftest import Webhook


def test_alerts_test_says_which_url_failed_and_why(tmp_path: Path, webhook: Webhook) -> None:
    environment = bsr_environment(tmp_path / "data") | {"BSR_NOTIFY_URLS": f"nonsense://x, {webhook.url}"}
    result = run_bsr("alerts", "test", environment=environment, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "bsr: error: 1 of 2 notification URLs failed; see the lines above\n"
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nonsense://...: failed: Unparseable URL nonsense://x;")
    assert lines[1].endswith(": delivered") and webhook.titles() == ["bsr: test message"]
    listed = run_bsr("alerts", "list", environment=environment | {"COLUMNS": "300"}, cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.count("bsr: test message") == 2


def test_alerts_test_without_urls_is_one_line(tmp_path: Path) -> None:
    result = run_bsr("alerts", "test", environment=bsr_environment(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "set BSR_NOTIFY_URLS" in result.stderr


def test_the_alerts_after_a_fetch_never_stop_it(
    tmp_path: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BSR_NOTIFY_URLS", f"json://127.0.0.1:1/ {webhook.url}")
    get_settings.cache_clear()
    summary = FetchSummary(
        date(2026, 12, 4),
        planned=3,
        statuses=Counter({SecurityStatus.STORED: 1, SecurityStatus.NO_TRADES: 1, SecurityStatus.FAILED: 1}),
        failures={"2330": "the site said wrong_captcha"},
    )
    out = Console(record=True, width=300)
    try:
        tell_day([summary], out)
    finally:
        get_settings.cache_clear()
    printed = out.export_text().splitlines()
    refused = [line for line in printed if "127.0.0.1:1/" in line]
    assert len(refused) == 2 and all("failed: " in line and "Connection refused" in line for line in refused)
    assert webhook.titles() == ["bsr 2026-12-04: 1 missing", "bsr 2026-12-04: 1 missing"]
    assert "stored 1 · no trades 1 · missing 1" in webhook.received[0]["message"]
    with Store.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}") as store:
        assert [alert.delivered for alert in store.list_alerts()] == [True, False, True, False]


def test_bsr_fetch_sends_the_digest_and_a_refused_url_does_not_stop_it(
    replica, webhook: Webhook, tmp_path: Path
) -> None:
    database = tmp_path / "bsr.sqlite3"
    env = os.environ | {
        "BSR_DATABASE_URL": f"sqlite:///{database}",
        "BSR_DATA_DIR": str(tmp_path),
        "BSR_NOTIFY_URLS": f"json://127.0.0.1:1/ {webhook.url}",
    }
    command = [sys.executable, "-m", "bsr", "fetch", "--base-url", replica.base_url, "--rate", "0"]
    result = subprocess.run([*command, "--stocks", "2506,3004"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    day = replica.config.trade_date
    assert webhook.titles() == [f"bsr {day:%Y-%m-%d}: complete"]
    assert "stored 2 · no trades 0 · missing 0" in webhook.received[0]["message"]
    assert "127.0.0.1:1/" in result.stdout and "failed: " in result.stdout
    with Store.open(f"sqlite:///{database}") as store:
        assert store.stored_codes(day) == {"2506", "3004"}
        assert [alert.delivered for alert in store.list_alerts()] == [True, False]
