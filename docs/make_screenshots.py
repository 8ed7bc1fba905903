"""Screenshots of every dashboard page (docs/dashboard-*.png) over a seeded demo database of a month of work.
Run `.venv/bin/python -m docs.make_screenshots` from the repository root; it installs a CJK font first where
none is (Debian's fonts-noto-cjk, as root), so that the names of securities and branches read in the pictures."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.async_api import Page

from alerts import DayOutcome, digest_alert, missing_alert
from bot.browser import launch_browser
from dashboard.app import create_app
from replica.captcha import ALPHABET, random_text, render
from storage import (
    TAIPEI,
    Attempt,
    AttemptOutcome,
    BrokerTrade,
    DayFigures,
    JobCounts,
    JobStatus,
    LabelSource,
    Missing,
    MissingReason,
    Report,
    Security,
    Store,
)
from testbed.reports import BROKER_ID_CHARS, synthetic_report

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 16, 53, tzinfo=TAIPEI).astimezone(UTC)  # 16:53 in Taipei, the day's job under way
TRADING_DAYS = 20
# The day the site was under load: its captcha URL answered HTML pages, and two securities ran out of tries.
BUSY_DAY, BUSY_POSITIONS = date(2026, 11, 4), (57, 91)
SECURITIES = 150
NAMED = {
    "2330": "台積電",
    "2317": "鴻海",
    "2454": "聯發科",
    "2308": "台達電",
    "2382": "廣達",
    "2881": "富邦金",
    "2882": "國泰金",
    "2303": "聯電",
    "2412": "中華電",
    "1301": "台塑",
    "0050": "元大台灣50",
    "0056": "元大高股息",
    "2891": "中信金",
    "3711": "日月光投控",
    "2886": "兆豐金",
    "2002": "中鋼",
    "1216": "統一",
    "2603": "長榮",
    "2609": "陽明",
    "3008": "大立光",
    "2884": "玉山金",
    "2357": "華碩",
    "2395": "研華",
    "1101": "台泥",
    "2207": "和泰車",
    "3045": "台灣大",
    "2912": "統一超",
    "4938": "和碩",
}
BROKERS = [
    "元大",
    "凱基",
    "富邦",
    "國泰",
    "永豐金",
    "群益金鼎",
    "統一",
    "兆豐",
    "元富",
    "華南永昌",
    "第一金",
    "康和",
    "摩根大通",
    "美林",
    "台灣摩根士丹利",
    "花旗環球",
    "瑞銀",
    "港商野村",
    "新加坡商瑞銀",
    "台新",
    "玉山",
    "日盛",
]
BRANCHES = [
    "",
    "台北",
    "信義",
    "敦南",
    "松山",
    "板橋",
    "新竹",
    "台中",
    "高雄",
    "桃園",
    "土城",
    "忠孝",
    "館前",
]
# The branches of the market, case-sensitive ids as the site's: every report's branches are drawn from them.
BRANCH_POOL = sorted({"".join(random.Random(index).choices(BROKER_ID_CHARS, k=4)) for index in range(320)})
# Characters a captcha model tends to mix up, each with what it misreads it as.
CONFUSABLE = {
    "H": "NK",
    "N": "HV",
    "Q": "GD",
    "G": "C6",
    "E": "FL",
    "F": "EP",
    "7": "T",
    "T": "7",
    "Z": "2",
    "2": "Z",
    "8": "63",
    "6": "8G",
    "U": "V",
    "V": "UY",
    "K": "X",
    "X": "K",
    "P": "R",
    "R": "P",
    "3": "8",
    "9": "8",
    "D": "Q",
    "C": "G",
}
# Model versions with the shape of their confidence (beta a, b: mean a/(a+b)) and their median latency.
MODEL_VERSIONS = [
    ("2026.10.06", 6.0, 1.0, 14.0),
    ("2026.10.27", 10.0, 1.0, 11.5),
    ("2026.11.12", 22.0, 1.0, 8.5),
]


class Demo:
    """Fills a store the way a month of daily runs would have."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rng = random.Random(2026)
        self.images = [(text, render(text, self.rng)) for text in (random_text(self.rng) for _ in range(400))]
        self.text_of = {image: text for text, image in self.images}
        generated = (str(1400 + 7 * index) for index in range(2 * SECURITIES))
        self.codes = list(NAMED) + [code for code in generated if code not in NAMED][: SECURITIES - len(NAMED)]
        self.broker_names: dict[str, str] = {}
        self.close_at: dict[str, float] = {}

    def fill(self) -> None:
        self.store.upsert_securities(Security(code, name, "股票") for code, name in NAMED.items())
        days = trading_days(TODAY, TRADING_DAYS + 1)
        for trade_date in days:
            # Each run reads the exchange's list first; the codes without a name above keep an empty one.
            self.store.record_listing((Security(code, NAMED.get(code, ""), "股票") for code in self.codes), trade_date)
        for index, trade_date in enumerate(days[:-1]):
            version = MODEL_VERSIONS[min(2, index * 3 // TRADING_DAYS)]
            self.job_run(trade_date, version, len(self.codes))
        self.job_run(days[-1], MODEL_VERSIONS[2], 88, running=True)
        self.human_labels()
        self.alerts(days[-6:-1])

    def job_run(
        self, trade_date: date, version: tuple[str, float, float, float], done: int, running: bool = False
    ) -> None:
        started = datetime.combine(trade_date, datetime.min.time(), TAIPEI).astimezone(UTC) + timedelta(
            hours=16, minutes=35, seconds=self.rng.randint(0, 40)
        )
        job_run_id = self.store.start_job_run(trade_date, started_at=started)
        at = started + timedelta(seconds=20)
        counts = {"stored": 0, "no_trades": 0, "failed": 0}
        failed: dict[str, str] = {}  # code -> its last error
        answers: dict[str, int] = {}
        for position, code in enumerate(self.codes[:done]):
            outcome = AttemptOutcome.REJECTED
            busy = trade_date == BUSY_DAY and position in BUSY_POSITIONS
            for _ in range(5):
                outcome = self.attempt(at, job_run_id, code, version, AttemptOutcome.ERROR if busy else None)
                answers[outcome.value] = answers.get(outcome.value, 0) + 1
                at += timedelta(seconds=self.rng.uniform(2.5, 4.5))
                if outcome is AttemptOutcome.ACCEPTED:
                    break
            if outcome is not AttemptOutcome.ACCEPTED:
                counts["failed"] += 1
                failed[code] = "the site said wrong_captcha" if outcome is AttemptOutcome.REJECTED else "no answer"
                continue
            no_trades = position >= SECURITIES - 4 and self.rng.random() < 0.7
            self.store.save_report(self.report(code, trade_date, at, position, no_trades))
            counts["no_trades" if no_trades else "stored"] += 1
        counts |= {f"attempts_{name}": count for name, count in answers.items()}
        if running:
            self.store.update_job_run_counts(job_run_id, JobCounts.from_json({**counts, "planned": len(self.codes)}))
            return
        status = JobStatus.FAILED if counts["failed"] else JobStatus.SUCCEEDED
        self.store.finish_job_run(
            job_run_id,
            status,
            JobCounts.from_json(counts),
            finished_at=at + timedelta(seconds=5),
            missing={code: Missing(MissingReason.FAILED, error) for code, error in failed.items()},
        )

    def alerts(self, days: list[date]) -> None:
        """The digests of the last days' runs, as a webhook and a chat got them; the chat's server was down once."""
        for run in reversed(self.store.list_job_runs()):
            if run.trade_date not in days or run.status is JobStatus.RUNNING:
                continue
            outcome = DayOutcome(
                run.trade_date,
                stored=run.counts.stored,
                no_trades=run.counts.no_trades,
                missing=run.missing,
                answers=run.counts.attempts_accepted + run.counts.attempts_rejected + run.counts.attempts_error,
            )
            for alert in filter(None, (digest_alert(outcome, DASHBOARD_URL), missing_alert(outcome, DASHBOARD_URL))):
                for target in ALERT_TARGETS:
                    down = run.trade_date == days[-2] and target == ALERT_TARGETS[1]
                    self.store.record_alert(alert, target, CHAT_DOWN if down else None)

    def attempt(
        self,
        at: datetime,
        job_run_id: int,
        code: str,
        version: tuple[str, float, float, float],
        forced: AttemptOutcome | None = None,
    ) -> AttemptOutcome:
        name, alpha, beta, latency = version
        text, image = self.rng.choice(self.images)
        confidence = self.rng.betavariate(alpha, beta)
        if forced is not None:
            outcome = forced
        elif self.rng.random() < 0.012:
            outcome = AttemptOutcome.EXPIRED
        else:
            outcome = AttemptOutcome.ACCEPTED if self.rng.random() < confidence else AttemptOutcome.REJECTED
        guess = text if outcome is not AttemptOutcome.REJECTED else self.misread(text)
        self.store.record_attempt(
            Attempt(
                attempted_at=at,
                job_run_id=job_run_id,
                stock_code=code,
                image=image,
                model_version=name,
                guess=guess,
                confidence=confidence,
                latency_ms=latency * self.rng.lognormvariate(0, 0.25),
                outcome=outcome,
            )
        )
        return outcome

    def misread(self, text: str) -> str:
        chars = list(text)
        for _ in range(1 if self.rng.random() < 0.8 else 2):
            position = self.rng.randrange(len(chars))
            options = CONFUSABLE.get(chars[position]) or ALPHABET.replace(chars[position], "")
            chars[position] = self.rng.choice(options)
        return "".join(chars)

    def report(self, code: str, trade_date: date, at: datetime, position: int, no_trades: bool) -> Report:
        if no_trades:
            empty = synthetic_report(code, trade_date, records=2)
            return replace(empty, trades=(), rec_count=0, no_trades=True, raw_csv=b"", fetched_at=at)
        # The big names trade with many more branches than the tail of the list.
        records = 2400 if code == "2330" else max(12, int(600 / (1 + position / 4)) + self.rng.randint(0, 30))
        base = {"2330": "1040.00", "2317": "205.50", "2454": "1315.00", "0050": "198.35"}.get(code, "52.30")
        tick = "5.00" if code in ("2330", "2454") else "0.50" if code in ("2317",) else "0.05"
        seed = int(code) * 10_000 + trade_date.toordinal() % 10_000
        report = synthetic_report(
            code, trade_date, records=records, seed=seed, base_price=Decimal(base), tick=Decimal(tick)
        )
        # The same branches trade many stocks day after day: the report's own ids become ids of one pool.
        ids = sorted({trade.broker_id for trade in report.trades})
        pool_id = dict(zip(ids, random.Random(seed).sample(BRANCH_POOL, len(ids)), strict=True))
        trades = tuple(
            replace(trade, broker_id=pool_id[trade.broker_id], broker_name=self.broker_name(pool_id[trade.broker_id]))
            for trade in report.trades
        )
        return replace(report, trades=trades, fetched_at=at, figures=self.figures(code, trade_date, trades))

    def figures(self, code: str, trade_date: date, trades: tuple[BrokerTrade, ...]) -> DayFigures:
        """The report view's figures, the close wandering from day to day among the day's prices."""
        prices = sorted({trade.price for trade in trades})
        self.close_at[code] = min(0.9, max(0.1, self.close_at.get(code, 0.5) + self.rng.uniform(-0.15, 0.15)))
        return DayFigures(
            trade_date=trade_date,
            trade_count=len(trades),
            turnover=int(sum(trade.price * trade.buy_shares for trade in trades)),
            traded_shares=sum(trade.buy_shares for trade in trades),
            open_price=prices[len(prices) // 2],
            high_price=prices[-1],
            low_price=prices[0],
            close_price=prices[int(self.close_at[code] * (len(prices) - 1))],
        )

    def broker_name(self, broker_id: str) -> str:
        if broker_id not in self.broker_names:
            rng = random.Random(broker_id)
            self.broker_names[broker_id] = rng.choice(BROKERS) + rng.choice(BRANCHES)
        return self.broker_names[broker_id]

    def human_labels(self) -> None:
        """Older failures were labelled by people (a few were unreadable); the newest 37 still wait."""
        queue = self.store.failure_queue(limit=100_000)
        for attempt in queue[37:]:
            if self.rng.random() < 0.04:
                self.store.mark_unreadable(attempt.id)
                continue
            self.store.label_attempt(attempt.id, self.text_of[attempt.image], LabelSource.HUMAN)


def trading_days(last: date, count: int) -> list[date]:
    days: list[date] = []
    day = last
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


# Where the demo's alerts went, as apprise masks their URLs, and the error of the day one of them was down.
DASHBOARD_URL = "http://127.0.0.1:8000"
ALERT_TARGETS = ("json://hooks.example.org/bsr", "ntfy://ntfy.example.org/b...r")
CHAT_DOWN = "A Connection error occurred sending ntfy notification to ntfy.example.org; [Errno 111] Connection refused"
WIDTH, HEIGHT = 1280, 800
# The page of one stock shown, and the shots in the order they are taken: (file name suffix, path).
STOCK = "2330"
PAGES = [
    ("overview", "/"),
    ("solver", "/solver"),
    ("reports", "/reports"),
    ("alerts", "/alerts"),
    ("flows-rankings", "/flows"),
    ("flows-stock", f"/flows/stocks/{STOCK}"),  # last: the branch page is opened from it
]


def ensure_cjk_font() -> None:
    """Chromium draws Chinese names only with a CJK font installed: install Debian's fonts-noto-cjk where
    none is (as root), else stop and say what to install."""
    if cjk_fonts():
        return
    if shutil.which("apt-get") and hasattr(sys, "getuid") and sys.getuid() == 0:
        install = ["apt-get", "install", "-y", "-qq", "fonts-noto-cjk"]
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(install, env=env, check=True)
    if not cjk_fonts():
        sys.exit("no CJK font is installed: run `sudo apt-get install fonts-noto-cjk` and try again")


def cjk_fonts() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    listed = subprocess.run(["fc-list", ":lang=zh-tw", "family"], capture_output=True, text=True, check=False)
    return [line for line in listed.stdout.splitlines() if line.strip()]


async def screenshots(base_url: str, out: Path, first_failure_text: str) -> list[Path]:
    written = []

    async def shot(page: Page, name: str) -> None:
        await page.wait_for_load_state("networkidle")
        written.append(out / f"dashboard-{name}.png")
        await page.screenshot(path=written[-1], full_page=True)
        shrink(written[-1])

    async with launch_browser() as browser:
        page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-TW")
        for name, path in PAGES:
            await page.goto(base_url + path)
            await shot(page, name)
        # The branch page of the stock's top net buyer, as a click on its name opens it.
        async with page.expect_navigation():
            await page.click("#top-buyers a.branch-link")
        await shot(page, "flows-branch")
        # The failure queue after one label typed and saved with Enter, the next captcha waiting.
        await page.goto(base_url + "/failures")
        await page.keyboard.type(first_failure_text)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await shot(page, "failures")
    return written


def shrink(path: Path) -> None:
    """The PNG in 256 colours, undithered: far fewer bytes and the text as sharp, as the pages use few colours."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def serve(url: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(url, clock=lambda: NOW), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{listener.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder of the PNGs")
    parser.add_argument("--database", default="", help="database URL to fill (default: a temporary SQLite file)")
    args = parser.parse_args()
    ensure_cjk_font()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'demo.sqlite3'}"
        started = time.perf_counter()
        with Store.open(url) as store:
            demo = Demo(store)
            demo.fill()
            first_failure_text = demo.text_of[store.failure_queue(limit=1)[0].image]
        print(f"demo database filled in {time.perf_counter() - started:.1f} s: {url}")
        server, thread, base_url = serve(url)
        try:
            for path in asyncio.run(screenshots(base_url, args.out, first_failure_text)):
                print(f"wrote {path}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
