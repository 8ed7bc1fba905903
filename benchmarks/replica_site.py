"""Replica figures: how fast it makes a day's reports, and what one query costs over real HTTP.

Prints medians; `python -m benchmarks.replica_site --help` from the repository root. Nothing here is asserted: the tests check behaviour."""

from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import date, timedelta

import httpx

from replica.config import ReplicaConfig
from replica.market import Market, securities
from replica.report_csv import report_csv_bytes
from replica.server import ReplicaServer

HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" id="\w+" value="([^"]*)" />')
CAPTCHA_GUID = re.compile(r"CaptchaImage\.aspx\?guid=([0-9a-f-]{36})")
DOWNLOAD_LINK = re.compile(r'id="HyperLink_DownloadCSV" href="([^"]+)"')


def milliseconds(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def report_generation(rounds: int) -> None:
    """A fresh (uncached) trade date per round, so every report is computed, not looked up."""
    first = date(2030, 1, 7)
    Market(seed=1).report(first, "1101")  # loads the universe and the branches once
    generate, render = [], []
    for round_number in range(rounds):
        market = Market(seed=1000 + round_number)
        started = time.perf_counter()
        report = market.report(first + timedelta(days=7 * round_number), "2330")
        generate.append(time.perf_counter() - started)
        started = time.perf_counter()
        report_csv_bytes(report, "utf-8-sig")
        render.append(time.perf_counter() - started)
    print(
        f"2330 report (~{len(report.records)} records): generate {milliseconds(generate)}, "
        f"CSV {milliseconds(render)} (median of {rounds})"
    )
    started = time.perf_counter()
    market = Market(seed=999)
    traded = sum(market.report(first, security.code) is not None for security in securities())
    print(f"a whole day, {len(securities())} securities ({traded} traded): {time.perf_counter() - started:.2f} s")


def query_round_trips(queries: int) -> None:
    """Form, captcha, right answer and CSV over real HTTP, with the replica's own answers as the solver."""
    steps: dict[str, list[float]] = {"form": [], "captcha": [], "answer": [], "csv": []}
    codes = [security.code for security in securities()[:queries]]
    with (
        ReplicaServer(ReplicaConfig(trade_date=date(2026, 11, 20))) as server,
        httpx.Client(base_url=server.base_url) as http,
    ):
        for code in codes:
            started = time.perf_counter()
            form = http.get("bsMenu.aspx").text
            steps["form"].append(time.perf_counter() - started)
            guid = CAPTCHA_GUID.search(form).group(1)
            started = time.perf_counter()
            http.get("CaptchaImage.aspx", params={"guid": guid})
            steps["captcha"].append(time.perf_counter() - started)
            fields = dict(HIDDEN_FIELD.findall(form)) | {
                "RadioButton_Normal": "RadioButton_Normal",
                "TextBox_Stkno": code,
                "CaptchaControl1": server.captcha_answer(guid),
                "btnOK": "查詢",
            }
            started = time.perf_counter()
            answer_page = http.post("bsMenu.aspx", data=fields).text
            steps["answer"].append(time.perf_counter() - started)
            link = DOWNLOAD_LINK.search(answer_page)
            if link:
                started = time.perf_counter()
                http.get(link.group(1))
                steps["csv"].append(time.perf_counter() - started)
        stats = server.stats()
    print(
        f"{queries} queries over HTTP: " + ", ".join(f"{step} {milliseconds(times)}" for step, times in steps.items())
    )
    print(f"  reports served {stats['reports_served']}, no data {stats['no_data']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="reports generated for the timing")
    parser.add_argument("--queries", type=int, default=60, help="queries sent over HTTP")
    options = parser.parse_args()
    report_generation(options.rounds)
    query_round_trips(options.queries)


if __name__ == "__main__":
    main()
