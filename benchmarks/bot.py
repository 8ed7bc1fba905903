"""Bot figures for docs/benchmarks.md: start, memory (`bsr fetch` in a process of its own), time per query beside a
plain HTTP client, throughput; against the replica, into throw-away SQLite. `.venv/bin/python -m benchmarks.bot --help`"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import psutil
from rich.console import Console
from rich.table import Table

from bot.job import FetchJob, FetchOptions, FetchSummary, SecurityStatus, solve_attempt
from bot.listing import fetch_listing
from bot.pacing import RetryPolicy
from bot.report_csv import parse_report
from bot.report_view import read_report_view
from bsr.demo import REPLICA_LISTING_PATH, replica_process
from bsr.settings import get_settings
from solver import Solver
from storage import AsyncStore, Store
from storage.records import AttemptOutcome, Report
from storage.report_checks import check_report

console = Console()


def replica_listing_url(base_url: str) -> str:
    """The replica's copy of the exchange's list of securities, beside its report site at `base_url`."""
    return base_url.removesuffix("/bshtm/") + REPLICA_LISTING_PATH


def replica_stats(base_url: str) -> dict[str, int]:
    return httpx.get(base_url.removesuffix("/bshtm/") + "/replica/api/stats", timeout=10).json()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else float("nan")


# --- Memory: the proportional set size of `bsr fetch` and its children, by kind of process -------------------

# Python is the command itself; node is Playwright's driver; Chromium's processes say what they are by --type
# (the browser process has none; network and storage services are utility processes).
KINDS = {
    "python": "Python (bsr fetch)",
    "driver": "Playwright driver (node)",
    "browser": "Chromium browser process",
    "renderer": "Chromium renderers",
    "gpu-process": "Chromium GPU process",
    "utility": "Chromium utility processes",
    "zygote": "Chromium zygotes",
    "other": "other",
}


def process_kind(process: psutil.Process, root_pid: int) -> str:
    if process.pid == root_pid:
        return "python"
    try:
        command = process.cmdline()
    except psutil.Error:
        return "other"
    program = Path(command[0]).name if command else ""
    if program == "node" or "run-driver" in command:
        return "driver"
    if "chrom" in program:
        kind = next((part.removeprefix("--type=") for part in command if part.startswith("--type=")), "browser")
        return kind if kind in KINDS else "other"
    return "other"


@dataclass(frozen=True)
class MemorySample:
    done: int  # securities done when it was taken
    pss: dict[str, int]  # bytes by kind of process
    processes: dict[str, int]  # processes by kind

    @property
    def total(self) -> int:
        return sum(self.pss.values())


class TreeMemory:
    """PSS (shared pages split among the processes that map them, so that the sum is what the tree costs) of a
    process and all its children, by kind, sampled against the securities done."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.samples: list[MemorySample] = []
        self._kinds: dict[int, str] = {}

    @contextmanager
    def sampling(self, pid: int, done: Callable[[], int], skip_pids: Collection[int] = ()) -> Iterator[None]:
        """Samples the tree of process `pid` in a thread while the block runs; `skip_pids`: children that are not
        the bot's, such as a replica started from the same script."""
        root, stop = psutil.Process(pid), threading.Event()

        def sample() -> None:
            while not stop.wait(self.interval_s):
                self.samples.append(self._sample(root, done(), set(skip_pids)))

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def watch(self, process: subprocess.Popen, done: Callable[[], int]) -> int:
        """Samples `process`'s tree until it exits; its exit code."""
        with self.sampling(process.pid, done):
            return process.wait()

    def _sample(self, root: psutil.Process, done: int, skip_pids: set[int]) -> MemorySample:
        pss: Counter[str] = Counter()
        processes: Counter[str] = Counter()
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            tree = []
        for process in tree:
            if process.pid in skip_pids:
                continue
            try:
                kind = self._kinds.get(process.pid) or process_kind(process, root.pid)
                if kind != "other":  # a shell that execs Chromium (Debian's /usr/bin/chromium) is told again later
                    self._kinds[process.pid] = kind
                info = process.memory_full_info()
            except psutil.Error:  # gone between the listing and the reading
                continue
            pss[kind] += info.pss
            processes[kind] += 1
        return MemorySample(done, dict(pss), dict(processes))

    def peak(self, kind: str | None = None, low: int = 0, high: int = sys.maxsize) -> MemorySample | None:
        """The sample where the whole tree (or one kind) peaked, among those taken with low <= done < high."""
        within = [sample for sample in self.samples if low <= sample.done < high]
        return max(within, key=lambda sample: sample.total if kind is None else sample.pss.get(kind, 0), default=None)


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


# --- `bsr fetch` in a process of its own, as a user runs it -------------------------------------------------


@dataclass(frozen=True)
class FetchProcess:
    """One `bsr fetch` run in a process of its own: when it started, what it logged and stored."""

    started_at: float  # time.time() just before the command was started
    exit_code: int
    logs: list[dict]
    database: Path

    def event(self, name: str) -> dict:
        found = [line for line in self.logs if line.get("event") == name]
        if not found:
            raise RuntimeError(
                f"bsr fetch (exit {self.exit_code}) logged no {name!r}; its last lines: {self.logs[-3:]}"
            )
        return found[-1]

    def seconds_to(self, name: str) -> float:
        """From the command's start to its log line `name`."""
        return datetime.fromisoformat(self.event(name)["timestamp"]).timestamp() - self.started_at

    def seconds_to_first_verdict(self) -> float:
        """From the command's start to the site's verdict on its first captcha answer, as the run stored it."""
        with sqlite3.connect(self.database) as db:
            (first,) = db.execute("SELECT min(attempted_at) FROM solve_attempts").fetchone()
        attempted_at = datetime.fromisoformat(first)
        return attempted_at.replace(tzinfo=attempted_at.tzinfo or UTC).timestamp() - self.started_at


def migrated_database(folder: Path) -> Path:
    """A database at the schema's head, as a user's is on any day but the first."""
    path = folder / "migrated.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    return path


def run_bsr_fetch(
    base_url: str, migrated: Path, folder: Path, *arguments: str, memory: TreeMemory | None = None
) -> FetchProcess:
    """`bsr fetch --rate 0 ARGUMENTS` against the replica on a copy of `migrated`, logging JSON lines."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bsr.sqlite3"
    shutil.copy(migrated, database)
    environment = os.environ | {
        "BSR_DATA_DIR": str(folder),
        "BSR_DATABASE_URL": f"sqlite:///{database}",
        "BSR_LISTING_URL": replica_listing_url(base_url),
    }
    command = [sys.executable, "-m", "bsr", "--log-format", "json", "fetch", "--base-url", base_url, "--rate", "0"]
    log_path = folder / "fetch.jsonl"
    with log_path.open("w") as log:
        started_at = time.time()
        process = subprocess.Popen([*command, *arguments], env=environment, stdout=subprocess.DEVNULL, stderr=log)
        if memory is None:
            exit_code = process.wait()
        else:
            # The replica's answers count the securities done: a CSV served, or 查無資料.
            def done() -> int:
                stats = replica_stats(base_url)
                return stats["reports_served"] + stats["no_data"]

            exit_code = memory.watch(process, done)
    logs = []
    for line in log_path.read_text().splitlines():
        try:
            logs.append(json.loads(line))
        except json.JSONDecodeError:
            logs.append({"event": "not json", "line": line})
    return FetchProcess(started_at, exit_code, logs, database)


def import_seconds() -> float:
    """A fresh interpreter importing what `bsr fetch` imports before it starts the job."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bsr.cli, bot.console"], check=True)
    return time.perf_counter() - started


def start_figures(base_url: str, migrated: Path, folder: Path, runs: int) -> Table:
    """`bsr fetch --limit 1` `runs` times, each on a fresh copy of a migrated database, taken in turns with a
    bare import of the command's modules: the start, and where it goes (medians)."""
    totals, verdicts, imports = [], [], []
    phases: dict[str, list[float]] = {}
    for n in range(runs):
        imports.append(import_seconds())
        run = run_bsr_fetch(base_url, migrated, folder / f"start-{n}", "--limit", "1")
        totals.append(run.seconds_to("fetch started"))
        verdicts.append(run.seconds_to_first_verdict())
        for phase, seconds in run.event("fetch started")["start_s"].items():
            phases.setdefault(phase, []).append(seconds)
    table = Table(title=f"start of `bsr fetch --limit 1`, medians of {runs} runs")
    table.add_column("from the command's start")
    table.add_column("s", justify="right")
    table.add_row("to the first query (the job's workers start)", f"{median(totals):.2f}")
    table.add_row("to the site's verdict on the first captcha answer", f"{median(verdicts):.2f}")
    table.add_row("of which: interpreter and imports (a bare `import bsr.cli, bot.console`)", f"{median(imports):.2f}")
    for phase, seconds in phases.items():
        table.add_row(f"of which: {phase}", f"{median(seconds):.2f}")
    return table


def memory_figures(base_url: str, migrated: Path, folder: Path, securities: int, concurrency: int) -> Table:
    memory = TreeMemory()
    started = time.monotonic()
    run = run_bsr_fetch(
        base_url,
        migrated,
        folder / "memory",
        "--limit",
        str(securities),
        "--concurrency",
        str(concurrency),
        memory=memory,
    )
    wall_s = time.monotonic() - started
    finished = run.event("fetch finished")
    done = finished["stored"] + finished["no_trades"]
    answers = sum(finished[f"attempts_{kind}"] for kind in ("accepted", "rejected", "expired", "error"))
    table = Table(title=f"`bsr fetch --limit {securities} --concurrency {concurrency}`: peak PSS by kind of process")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row(
        "securities done", f"{done} ({finished['stored']} reports, {finished['failed']} failed), exit {run.exit_code}"
    )
    table.add_row("wall time", f"{wall_s:.0f} s")
    table.add_row("attempts per report", f"{answers / done:.4f}" if done else "-")
    whole = memory.peak()
    if whole is None:
        return table
    table.add_row("peak, whole tree", mib(whole.total))
    for kind, name in KINDS.items():
        at_whole = whole.pss.get(kind, 0)
        own = memory.peak(kind)
        if own is None or not own.pss.get(kind):
            continue
        count = f" ({own.processes[kind]} processes)" if own.processes[kind] > 1 else ""
        table.add_row(f"  {name}: at the tree's peak / its own peak", f"{mib(at_whole)} / {mib(own.pss[kind])}{count}")
    n = max(sample.done for sample in memory.samples)
    window = max(1, min(300, n // 2))
    first, last = memory.peak(high=window), memory.peak(low=n - window, high=n + 1)
    if first and last:
        table.add_row(
            f"peak of the tree, first {window} / last {window} securities",
            f"{mib(first.total)} / {mib(last.total)} ({(last.total / first.total - 1) * 100:+.1f}%)",
        )
    return table


# --- The same protocol without a browser, for the time a query takes -------------------------------------


async def served_date(base_url: str) -> date:
    """The day the site serves, from the welcome page's Label_Date."""
    async with httpx.AsyncClient(timeout=30) as client:
        html = (await client.get(urljoin(base_url, "bsWelcome.aspx"))).text
    label = html.split('id="Label_Date"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    return datetime.strptime(label.strip(), "%Y/%m/%d").date()


class AnswerPage(HTMLParser):
    """What a plain client reads of bsMenu.aspx: the hidden fields, the captcha's src, the download link, the
    error label, and the report view the answer's script opens in frame page2."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.captcha = self.download = self.view = ""
        self.message = ""
        self._in_message = False
        self.feed(html)
        marker = "top.page2.location.href='"
        if marker in html:
            self.view = html.split(marker, 1)[1].split("'", 1)[0]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "img" and attributes.get("src", "").startswith("CaptchaImage.aspx"):
            self.captcha = attributes["src"]
        elif tag == "a" and attributes.get("id") == "HyperLink_DownloadCSV":
            self.download = attributes.get("href", "")
        elif tag == "span" and attributes.get("id") == "Label_ErrorMsg":
            self._in_message = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_message = False

    def handle_data(self, data: str) -> None:
        if self._in_message:
            self.message += data


class PlainClient:
    """One session of httpx doing what the bot's browser does for a query, less the frameset, scripts, css and
    images other than the captcha: the answer page carries the next captcha, as in the browser; the captcha is
    solved by the same solver, the view and the CSV are read, checked and stored as the job does."""

    def __init__(self, base_url: str, solver: Solver, store: AsyncStore) -> None:
        self.menu_url = urljoin(base_url, "bsMenu.aspx")
        self.base_url = base_url
        self.solver = solver
        self.store = store
        self.client = httpx.AsyncClient(timeout=30)
        self.page: AnswerPage | None = None
        self.site_s = 0.0
        self.answers = 0

    async def _get(self, url: str, **options: object) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.client.get(urljoin(self.menu_url, url), **options)
        finally:
            self.site_s += time.perf_counter() - started
        response.raise_for_status()
        return response

    async def query(self, code: str, trade_date: date, job_run_id: int) -> SecurityStatus:
        for _ in range(5):
            if self.page is None:
                self.page = AnswerPage((await self._get(self.menu_url)).text)
            image = (await self._get(self.page.captcha)).content
            solve_started = time.perf_counter()
            solution = await self.solver.solve_async(image)
            solve_ms = (time.perf_counter() - solve_started) * 1000
            form = self.page.fields | {
                "RadioButton_Normal": "RadioButton_Normal",
                "TextBox_Stkno": code,
                "CaptchaControl1": solution.text,
                "btnOK": "查詢",
            }
            started = time.perf_counter()
            answer = await self.client.post(self.menu_url, data=form)
            self.site_s += time.perf_counter() - started
            self.page = AnswerPage(answer.text)
            self.answers += 1
            accepted = bool(self.page.download) or "查無資料" in self.page.message
            outcome = AttemptOutcome.ACCEPTED if accepted else AttemptOutcome.REJECTED
            attempt = solve_attempt(code, job_run_id, image, solution, solve_ms, outcome)
            await self.store.run(Store.record_attempt, attempt)
            if self.page.download:
                view = read_report_view((await self._get(self.page.view)).text)
                url = urljoin(self.menu_url, self.page.download)
                raw = (await self._get(url, headers={"Referer": self.menu_url})).content
                rec_count = int(parse_qs(urlparse(url).query).get("RecCount", ["0"])[0])
                report = replace(
                    parse_report(raw, code, trade_date, rec_count, datetime.now(UTC)), figures=view.figures
                )
                check_report(report)
                await self.store.run(Store.save_report, report)
                return SecurityStatus.STORED
            if "查無資料" in self.page.message:
                no_trades = Report(trade_date, code, 0, (), b"", datetime.now(UTC), no_trades=True)
                await self.store.run(Store.save_report, no_trades)
                return SecurityStatus.NO_TRADES
        return SecurityStatus.FAILED


@dataclass
class QueryTimes:
    """Wall time per security (ms) and the part of it not spent waiting for the site."""

    wall_ms: list[float]
    overhead_ms: list[float]
    answers: int


async def plain_client_run(base_url: str, solver: Solver, codes: list[str], folder: Path) -> QueryTimes:
    with Store.open(f"sqlite:///{folder / 'plain.sqlite3'}") as store:
        async_store = AsyncStore(store)
        plain = PlainClient(base_url, solver, async_store)
        try:
            trade_date = await served_date(base_url)
            job_run_id = await async_store.run(Store.start_job_run, trade_date)
            times = QueryTimes([], [], 0)
            for code in codes:
                started, site_before = time.perf_counter(), plain.site_s
                await plain.query(code, trade_date, job_run_id)
                wall = time.perf_counter() - started
                times.wall_ms.append(wall * 1000)
                times.overhead_ms.append((wall - (plain.site_s - site_before)) * 1000)
            times.answers = plain.answers
            return times
        finally:
            await plain.client.aclose()


async def fetch(
    base_url: str,
    solver: Solver,
    folder: Path,
    concurrency: int,
    limit: int = 0,
    stock_codes: tuple[str, ...] = (),
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[str, str], None] | None = None,
    policy: RetryPolicy | None = None,
) -> FetchSummary:
    """The job in this process, into a fresh SQLite database in `folder` (made with it)."""
    with Store.open(f"sqlite:///{folder / 'bot.sqlite3'}") as store:
        options = FetchOptions(
            base_url=base_url,
            listing_url=replica_listing_url(base_url),
            evidence_dir=folder,
            stock_codes=stock_codes,
            limit=limit,
            concurrency=concurrency,
            rate=0,
            policy=policy or RetryPolicy(),
        )
        return await FetchJob(options, solver, AsyncStore(store)).run(on_start=on_start, on_done=on_done)


async def bot_run(base_url: str, solver: Solver, codes: list[str], folder: Path) -> QueryTimes:
    """The job with one worker: the wall time of each security is the time between two of them done."""
    marks: list[float] = []
    summary = await fetch(
        base_url,
        solver,
        folder,
        1,
        stock_codes=tuple(codes),
        on_start=lambda total: marks.append(time.perf_counter()),
        on_done=lambda code, status: marks.append(time.perf_counter()),
    )
    wall_ms = [(after - before) * 1000 for before, after in zip(marks, marks[1:], strict=False)]
    return QueryTimes(wall_ms, summary.overheads_ms, summary.answers)


def listed_codes(base_url: str, count: int) -> list[str]:
    """The first `count` securities of the replica's list that trade on the day it serves, as the job reads it."""
    served = asyncio.run(served_date(base_url))
    listing = asyncio.run(fetch_listing(replica_listing_url(base_url)))
    return [item.code for item in listing.securities if item.listed_on is None or item.listed_on <= served][:count]


def query_figures(base_url: str, solver: Solver, folder: Path, securities: int, rounds: int) -> Table:
    """The bot and a plain client over the same securities, `rounds` slices in turns; concurrency 1."""
    codes = listed_codes(base_url, securities)
    size = -(-len(codes) // rounds)
    bot, plain = QueryTimes([], [], 0), QueryTimes([], [], 0)
    ratios = []
    for n in range(rounds):
        part = codes[n * size : (n + 1) * size]
        ours = asyncio.run(bot_run(base_url, solver, part, folder / f"bot-{n}"))
        theirs = asyncio.run(plain_client_run(base_url, solver, part, (folder / f"plain-{n}")))
        ratios.append(median(ours.wall_ms) / median(theirs.wall_ms))
        for total, one in ((bot, ours), (plain, theirs)):
            total.wall_ms += one.wall_ms
            total.overhead_ms += one.overhead_ms
            total.answers += one.answers
    table = Table(title=f"time per query: {len(codes)} securities, concurrency 1, {rounds} rounds in turns")
    for column in (
        "client",
        "query median ms",
        "query p90 ms",
        "not waiting for the site, median ms",
        "answers/security",
    ):
        table.add_column(column, justify="left" if column == "client" else "right")
    for name, times in (("bot (Chromium)", bot), ("plain HTTP client (httpx)", plain)):
        table.add_row(
            name,
            f"{median(times.wall_ms):.1f}",
            f"{p90(times.wall_ms):.1f}",
            f"{median(times.overhead_ms):.1f}",
            f"{times.answers / len(codes):.3f}",
        )
    table.caption = (
        f"bot / plain client, time per query: {median(bot.wall_ms) / median(plain.wall_ms):.2f} "
        f"(median of the rounds' ratios {median(ratios):.2f}: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    return table


# --- Throughput and attempts per report, as before ---------------------------------------------------------


def reports_done(summary: FetchSummary) -> int:
    return summary.statuses[SecurityStatus.STORED] + summary.statuses[SecurityStatus.NO_TRADES]


def answers_per_report(summary: FetchSummary) -> str:
    """How many securities took 1, 2, ... captcha answers, e.g. `1: 118, 2: 2`."""
    return ", ".join(f"{n}: {count}" for n, count in sorted(summary.answers_per_security.items())) or "-"


def trouble(summary: FetchSummary) -> str:
    """Errors met by kind, pauses and slowdowns, flagged and missing securities: '-' for a clean run."""
    parts = [f"{kind} {n}" for kind, n in summary.errors.most_common()]
    if summary.pauses:
        parts.append(f"{summary.pauses} pauses ({summary.paused_s:.0f} s)")
    if summary.slowdowns:
        parts.append(f"{summary.slowdowns} slowdowns")
    if summary.flagged:
        parts.append(f"flagged {sorted(summary.flagged)}")
    if summary.missing:
        parts.append(f"missing {sorted(summary.missing)}")
    return "; ".join(parts) or "-"


def throughput_figures(base_url: str, solver: Solver, folder: Path, securities: int, concurrencies: list[int]) -> Table:
    runs = Table(title=f"{securities} securities per run, replica, no rate limit")
    for column in (
        "workers",
        "reports",
        "s",
        "reports/min",
        "answers/report",
        "answers per security",
        "overhead median ms",
        "overhead p90 ms",
        "failed",
        "errors, pauses, missing",
    ):
        runs.add_column(column, justify="left" if column.startswith(("answers per", "errors")) else "right")
    answers = stored = 0
    for concurrency in concurrencies:
        summary = asyncio.run(fetch(base_url, solver, folder / f"workers-{concurrency}", concurrency, limit=securities))
        done = reports_done(summary)
        answers, stored = answers + summary.answers, stored + done
        runs.add_row(
            str(concurrency),
            str(done),
            f"{summary.duration_s:.1f}",
            f"{done / summary.duration_s * 60:.0f}",
            f"{summary.attempts_per_report:.4f}",
            answers_per_report(summary),
            f"{median(summary.overheads_ms):.1f}",
            f"{p90(summary.overheads_ms):.1f}",
            str(len(summary.failures)),
            trouble(summary),
        )
    runs.caption = (
        f"all runs: {answers} answers for {stored} reports = {answers / max(stored, 1):.4f} attempts per report"
    )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--start-runs", type=int, default=5, help="runs of `bsr fetch --limit 1` for the start (0: skip)"
    )
    parser.add_argument("--memory-run", type=int, default=300, help="securities in the memory run (0: skip)")
    parser.add_argument("--memory-concurrency", type=int, default=2)
    parser.add_argument("--compare", type=int, default=120, help="securities, bot against a plain client (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="slices of --compare taken in turns")
    parser.add_argument("--securities", type=int, default=120, help="securities per throughput run (0: skip)")
    parser.add_argument("--concurrency", default="1,2,4", help="worker counts to compare")
    parser.add_argument("--replay-dir", type=Path, default=get_settings().captcha_data)
    args = parser.parse_args()
    replay = args.replay_dir if (args.replay_dir / "labels.csv").is_file() else None
    solver = Solver.load()
    console.print(f"model {solver.model_version} on {solver.info['device']}; captchas: {replay or 'synthetic'}")
    with tempfile.TemporaryDirectory() as scratch, replica_process(replay, console) as base_url:
        folder = Path(scratch)
        migrated = migrated_database(folder)
        if args.start_runs:
            console.print(start_figures(base_url, migrated, folder, args.start_runs))
        if args.memory_run:
            console.print(memory_figures(base_url, migrated, folder, args.memory_run, args.memory_concurrency))
        if args.compare:
            console.print(query_figures(base_url, solver, folder / "compare", args.compare, args.rounds))
        if args.securities:
            concurrencies = [int(n) for n in args.concurrency.split(",")]
            console.print(throughput_figures(base_url, solver, folder, args.securities, concurrencies))


if __name__ == "__main__":
    main()
