"""`bsr demo`: the main job end to end on this machine, against the replica on a free loopback port, into the
default SQLite database with the shipped model, with a few days of history so that the flows pages have some."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
from rich.console import Console

from bot.console import fetch
from bot.job import FetchOptions, FetchSummary
from bsr.replica_history import load_replica_day, trading_days_before
from bsr.settings import Settings
from replica.config import ReplicaConfig
from replica.market import Market
from storage import Store

DEMO_SECURITIES = 50
HISTORY_DAYS = 4
# The replica serves its imitation of the exchange's list of securities beside the report site.
REPLICA_LISTING_PATH = "/isin/C_public.jsp?strMode=2"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def replica_process(replay_dir: Path | None, console: Console) -> Iterator[str]:
    """The replica in a process of its own, as a user would start it; yields its base URL."""
    port = free_loopback_port()
    source = ["--captcha", "replay", "--replay-dir", str(replay_dir)] if replay_dir else ["--captcha", "synthetic"]
    command = [
        sys.executable,
        "-m",
        "bsr",
        "replica",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *source,
    ]
    base_url = f"http://127.0.0.1:{port}/bshtm/"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
                raise RuntimeError(f"the replica did not start: {error.splitlines()[-1] if error else 'no message'}")
            try:
                if httpx.get(base_url + "bsWelcome.aspx", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica did not answer at {base_url} within 60 s")
            time.sleep(0.2)
        what = f"replaying the real captchas in {replay_dir}" if replay_dir else "with synthetic captchas"
        console.print(f"replica at {base_url}, {what}", soft_wrap=True)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def run_demo(settings: Settings, console: Console) -> FetchSummary:
    replay_dir = settings.captcha_data if (settings.captcha_data / "labels.csv").is_file() else None
    with replica_process(replay_dir, console) as base_url:
        options = FetchOptions(
            base_url=base_url,
            listing_url=base_url.removesuffix("/bshtm/") + REPLICA_LISTING_PATH,
            evidence_dir=settings.data_dir / "site-changes",
            limit=DEMO_SECURITIES,
            concurrency=2,
            rate=0,  # the replica is ours: no need to be polite to it
            chromium=settings.chromium,
        )
        summary = asyncio.run(fetch(options, settings.model, settings.resolved_database_url, console))
    database = settings.resolved_database_url
    load_history(database, summary.trade_date, console)
    console.print(
        "\nNext:\n"
        f"  .venv/bin/bsr export --date {summary.trade_date:%Y-%m-%d} --format csv   # the day's broker trades\n"
        f"  .venv/bin/bsr flows rank --days {HISTORY_DAYS + 1}                            # where buying was concentrated\n"
        f"  .venv/bin/bsr flows stock 2330 --days {HISTORY_DAYS + 1}                      # who bought and sold 2330\n"
        f"  .venv/bin/bsr dashboard                                      # job runs, solver accuracy, reports, flows\n"
        f"  .venv/bin/bsr replica serve --port 8765                      # the replica, to explore by hand\n"
        f"  BSR_LISTING_URL='http://127.0.0.1:8765{REPLICA_LISTING_PATH}' \\\n"
        f"    .venv/bin/bsr fetch --base-url http://127.0.0.1:8765/bshtm/ --rate 0 --limit 200\n"
        f"  .venv/bin/bsr fetch                                          # the real site, politely (1 query/s)\n"
        f"Reports and every solve attempt are in {database}",
        soft_wrap=True,
    )
    return summary


def load_history(database_url: str, trade_date: date, console: Console) -> None:
    """The trading days before `trade_date` from the replica's generated market, stored straight into the
    database (not fetched), each day whole; days already stored are left as they are."""
    market = Market(ReplicaConfig().seed)  # the market the demo's replica serves
    with Store.open(database_url) as store:
        stored = set(store.trade_dates())
        for day in trading_days_before(trade_date, HISTORY_DAYS):
            if day in stored:
                continue
            with console.status(f"storing {day} from the replica's generated market"):
                trades = load_replica_day(store, market, day)
            console.print(
                f"history: {day} stored from the replica's generated market, {trades:,} broker trades "
                "(generated data, not fetched)"
            )
