"""The replica's market: listed securities, broker branches, and each day's broker report per security.
Everything is a pure function of (seed, trade_date, stock_code), so two replicas with the same seed agree; a
replica that serves real reports (replica/real_reports.py) serves those for their codes instead."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

# The sections of the exchange's list of listed securities, in the page's order, and the kind each lists;
# twstock's type column copies the section names. The replica serves every security but the warrants.
ISIN_SECTIONS = (
    ("股票", "stock"),
    ("上市認購(售)權證", "warrant"),
    ("特別股", "preferred"),
    ("創新板", "innovation"),
    ("ETF", "etf"),
    ("ETN", "etn"),
    ("臺灣存託憑證(TDR)", "tdr"),
    ("受益證券-不動產投資信託", "reit"),
)
WARRANT = "warrant"
KINDS = {section: kind for section, kind in ISIN_SECTIONS if kind != WARRANT}
WARRANTS = next(section for section, kind in ISIN_SECTIONS if kind == WARRANT)
WARRANT_SAMPLE = 12
FULL_WIDTH_SPACE = "\u3000"
# Share of ordinary securities with no trades on a given day (the site answers 查無資料 for them).
NO_TRADE_SHARE = 0.012
# Of 27 whole reports the live site gave on 2026-07-29, 6 had total buys unlike total sells, by +2,000, +40,
# -30, +2,000, +7 and +60 shares (buys less sells; SITE.md, "The report"). The replica unbalances as large a
# share of its reports by amounts of the same two kinds: whole lots (1,000 or 2,000 shares, 2 of the 6) and
# a few odd shares (1 to 99, 4 of the 6), buys ahead in 5 of 6.
UNBALANCED_SHARE = 6 / 27
WHOLE_LOT_IMBALANCE_SHARE = 2 / 6
BUYS_AHEAD_SHARE = 5 / 6

Side = Literal["buy", "sell"]


class MarketDataError(RuntimeError):
    """The list of securities could not be read; the message says what to install or fix."""


@dataclass(frozen=True)
class Security:
    """A listed security as the exchange's ISIN list shows it; listed from `listed_on`, until `delisted_on`."""

    code: str
    name: str
    kind: str
    listed_on: date
    delisted_on: date | None = None  # the first day it is no longer listed
    isin: str = ""
    industry: str = ""
    cfi: str = ""

    def listed(self, trade_date: date) -> bool:
        return self.listed_on <= trade_date and (self.delisted_on is None or trade_date < self.delisted_on)


# Listed after twstock's table was made (its newest listing is of 2026-03-26). SITE.md has 00400A trading by
# September 2026 but no listing date: the replica lists it from 2026-08-03, a date of its own choosing.
LISTED_SINCE_TWSTOCK = (Security("00400A", "主動國泰動能高息", "etf", date(2026, 8, 3)),)


@dataclass(frozen=True)
class Broker:
    """A broker branch: a 4-character id (case-sensitive, may hold letters) and its short name."""

    broker_id: str
    name: str

    @property
    def label(self) -> str:
        """The id glued to the name padded with full-width spaces, as the report's 券商 column shows it."""
        if len(self.name) == 2:
            return f"{self.broker_id}{self.name[0]}{FULL_WIDTH_SPACE * 2}{self.name[1]}"
        return self.broker_id + self.name.ljust(4, FULL_WIDTH_SPACE)


@dataclass(frozen=True)
class Record:
    """One line of a report: what one branch bought and sold at one price, in shares (股)."""

    broker: Broker
    price_cents: int
    buy: int
    sell: int


@dataclass(frozen=True)
class Report:
    """A security's broker report for one trade date, with the day's summary the HTML view shows.

    Total buys and total sells need not be equal, as on the live site. `traded_side` says which of the two the
    view's 成交股數 shows: no capture says which the site shows, so the replica chooses one per security."""

    trade_date: date
    stock_code: str
    records: tuple[Record, ...]
    trade_count: int
    open_cents: int
    high_cents: int
    low_cents: int
    last_cents: int
    traded_side: Side = "buy"

    @property
    def total_buy(self) -> int:
        return sum(record.buy for record in self.records)

    @property
    def total_sell(self) -> int:
        return sum(record.sell for record in self.records)

    @property
    def traded_shares(self) -> int:
        """成交股數 as the view shows it: the total of the traded side."""
        return self.total_buy if self.traded_side == "buy" else self.total_sell

    @property
    def turnover(self) -> int:
        """成交金額 in NT$: every share of the traded side times its price."""
        if self.traded_side == "buy":
            return sum(record.buy * record.price_cents for record in self.records) // 100
        return sum(record.sell * record.price_cents for record in self.records) // 100


def format_price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def stock_tick_cents(price_cents: int) -> int:
    """The exchange's tick size for stocks at this price."""
    for limit, tick in ((1_000, 1), (5_000, 5), (10_000, 10), (50_000, 50), (100_000, 100)):
        if price_cents < limit:
            return tick
    return 500


def fund_tick_cents(price_cents: int) -> int:
    """The tick size for ETFs, ETNs and REITs: a cent below NT$50, five cents above."""
    return 1 if price_cents < 5_000 else 5


# Securities everyone knows, with a price near their real one and their usual size of report.
FAMOUS: dict[str, tuple[int, int]] = {
    "2330": (104_000, 6_000),
    "2317": (20_050, 3_600),
    "2454": (128_500, 3_300),
    "2412": (12_500, 900),
    "2303": (4_875, 3_000),
    "2603": (19_600, 3_200),
    "2881": (8_920, 2_400),
    "2882": (6_410, 2_300),
    "2891": (3_775, 2_200),
    "2308": (39_250, 2_600),
    "3711": (15_650, 2_100),
    "2382": (28_300, 2_700),
    "0050": (19_180, 2_900),
    "0056": (3_712, 2_100),
    "00878": (2_216, 2_500),
    "006208": (11_020, 1_100),
    "00919": (2_305, 1_900),
    "00929": (1_841, 1_700),
}

_FIRMS: tuple[tuple[str, str, int], ...] = (
    # Large firms: head office id, short name, number of branches (ids share the first two characters).
    ("9800", "元大", 95),
    ("9200", "凱基", 80),
    ("9600", "富邦", 70),
    ("9A00", "永豐金", 60),
    ("9100", "群益", 50),
    ("9300", "華南永昌", 40),
    ("9B00", "台新", 30),
    ("9900", "兆豐", 30),
)
_MID_FIRMS: tuple[tuple[str, str, int], ...] = (
    # Smaller firms: branch ids share the first three characters with the head office.
    ("5920", "元富", 30),
    ("5850", "統一", 28),
    ("5380", "第一金", 24),
    ("6160", "中國信託", 20),
    ("8880", "國泰", 18),
    ("1160", "日盛", 22),
    ("5260", "大慶", 12),
    ("6450", "永全", 9),
    ("6460", "大昌", 11),
    ("7790", "國票", 16),
    ("5050", "大展", 9),
    ("2180", "亞東", 6),
    ("6210", "新百王", 6),
    ("8450", "康和", 16),
    ("5600", "永興", 6),
    ("1230", "彰銀", 12),
    ("1020", "合庫", 24),
    ("1030", "土銀", 16),
    ("1040", "臺銀", 16),
    ("1110", "台灣企銀", 12),
    ("1260", "宏遠", 9),
    ("5110", "富隆", 4),
    ("5460", "寶盛", 5),
    ("6010", "華信", 5),
    ("6380", "光和", 5),
    ("6910", "德信", 9),
    ("6950", "福勝", 4),
    ("7030", "致和", 7),
    ("7080", "石橋", 4),
    ("7750", "北城", 5),
    ("8380", "安泰", 4),
    ("8490", "京城", 4),
    ("8520", "中農", 4),
    ("8560", "新光", 12),
    ("8580", "聯邦商銀", 4),
    ("8710", "陽信", 4),
    ("8840", "玉山", 24),
    ("6110", "台中銀", 12),
    ("6480", "福邦", 4),
    ("5320", "高橋", 4),
    ("1520", "瑞士信貸", 1),
    ("1360", "港商麥格理", 1),
    ("1380", "台灣匯立", 1),
    ("1440", "美林", 1),
    ("1470", "台灣摩根士丹利", 1),
    ("1480", "美商高盛", 1),
    ("1560", "港商野村", 1),
    ("1570", "港商法興", 1),
    ("1590", "花旗環球", 1),
    ("1650", "新加坡商瑞銀", 1),
    ("8440", "摩根大通", 1),
    ("8890", "大和國泰", 1),
    ("8900", "法銀巴黎", 1),
    ("8960", "香港上海匯豐", 1),
    ("6620", "口袋", 1),
)
_AREAS = (
    "台北 信義 松山 南京 敦南 中山 大安 士林 內湖 板橋 新莊 三重 中和 永和 新店 桃園 中壢 新竹 竹北 苗栗 "
    "台中 豐原 彰化 員林 南投 嘉義 台南 永康 高雄 鳳山 屏東 宜蘭 花蓮 台東 基隆 文心 忠孝 民生 復興 西門 "
    "城中 東門 北投 天母 三民 左營 苓雅 楠梓 岡山 麻豆 新營 斗六 虎尾 竹東 頭份 大里 沙鹿 清水 太平 潭子 "
    "草屯 埔里 羅東 汐止 土城 樹林 蘆洲 林口 淡水 龜山 八德 平鎮 楊梅 龍潭 大園 北門 仁愛 建國 博愛 南港 "
    "古亭 木柵 景美 延平 承德 雙和 蘆竹 竹科 園區 中港 大墩 五權 府城 安平 鹽埕 前鎮 小港 大直 光復 和平"
).split()
_SUFFIX_CHARS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"
# Two branches of one firm whose ids differ only in case, as on the real site.
_CASE_TWINS = (("9B2z", "台新文心"), ("9B2Z", "台新五權"))
_FOREIGN_IDS = frozenset(
    {"1360", "1380", "1440", "1470", "1480", "1520", "1560", "1570", "1590", "1650", "8440", "8890", "8900", "8960"}
)

_HEAD_OFFICE_IDS = frozenset(head_id for head_id, _, _ in (*_FIRMS, *_MID_FIRMS))


@cache
def brokers() -> tuple[Broker, ...]:
    """About 900 branches, ordered by id as the site orders report lines (ordinal, so `9B2Z` < `9B2z`)."""
    rng = random.Random("replica-brokers")
    result: list[Broker] = []
    for head_id, firm, count in _FIRMS:
        twins = [Broker(twin_id, name) for twin_id, name in _CASE_TWINS if twin_id.startswith(head_id[:2])]
        taken = {head_id, *(twin.broker_id for twin in twins)}
        areas = rng.sample(
            [area for area in _AREAS if firm + area not in {twin.name for twin in twins}], count - 1 - len(twins)
        )
        result += [Broker(head_id, firm), *twins]
        for area in areas:
            broker_id = head_id
            while broker_id in taken:
                broker_id = head_id[:2] + rng.choice("0123456789ABCDEF") + rng.choice(_SUFFIX_CHARS)
            taken.add(broker_id)
            result.append(Broker(broker_id, firm + area))
    for head_id, firm, count in _MID_FIRMS:
        result.append(Broker(head_id, firm))
        suffixes = rng.sample(_SUFFIX_CHARS, count - 1)
        areas = rng.sample(_AREAS, count - 1)
        result.extend(Broker(head_id[:3] + suffix, firm + area) for suffix, area in zip(suffixes, areas, strict=True))
    return tuple(sorted(result, key=lambda broker: broker.broker_id))


@cache
def _broker_weights() -> np.ndarray:
    """How active each branch is: head offices and foreign houses trade far more than a town branch."""
    rng = np.random.default_rng(20190101)
    weights = rng.lognormal(0.0, 0.8, size=len(brokers()))
    for index, broker in enumerate(brokers()):
        if broker.broker_id in _FOREIGN_IDS:
            weights[index] *= 12.0
        elif broker.broker_id in _HEAD_OFFICE_IDS:
            weights[index] *= 4.0
    return weights / weights.sum()


def _twstock_equities_csv() -> Path:
    spec = importlib.util.find_spec("twstock")
    if spec is None or not spec.submodule_search_locations:
        raise MarketDataError("the twstock package is missing: install it with `pip install twstock`")
    path = Path(next(iter(spec.submodule_search_locations))) / "codes" / "twse_equities.csv"
    if not path.is_file():
        raise MarketDataError(f"twstock's list of securities is missing at {path}: reinstall twstock")
    return path


def _twstock_rows() -> list[dict[str, str]]:
    with _twstock_equities_csv().open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _security(row: dict[str, str], kind: str) -> Security:
    return Security(
        row["code"],
        row["name"],
        kind,
        _slashed_date(row["start"]),
        isin=row["ISIN"],
        industry=row["group"],
        cfi=row["CFI"],
    )


def _slashed_date(text: str) -> date:
    year, month, day = (int(part) for part in text.split("/"))
    return date(year, month, day)


@cache
def securities() -> tuple[Security, ...]:
    """Every security ever listed but the warrants (about 1,350), in the exchange's order, with their dates."""
    listed = tuple(_security(row, KINDS[row["type"]]) for row in _twstock_rows() if row["type"] in KINDS)
    return listed + LISTED_SINCE_TWSTOCK


@cache
def sample_warrants() -> tuple[Security, ...]:
    """A few of twstock's 33,894 warrants: enough for the ISIN list's warrant section, which readers skip.

    The replica reports no trades for them; the real list carries them all (megabytes of rows)."""
    rows = [row for row in _twstock_rows() if row["type"] == WARRANTS][:WARRANT_SAMPLE]
    return tuple(_security(row, WARRANT) for row in rows)


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def traded_side(seed: int, stock_code: str) -> Side:
    """Which total the view's 成交股數 shows for a security: buys or sells, half the securities each."""
    return "buy" if _rng(seed, "traded-side", stock_code).random() < 0.5 else "sell"


class Market:
    """Reports of every security for any trade date, computed on demand and cached.

    `real` maps codes to reports read from real CSVs (their trade_date is ignored): those securities report
    their real records on whatever trade date is asked for. Which securities are listed can change while the
    replica runs (`add_listing`), so tests can list and delist."""

    def __init__(self, seed: int, real: Mapping[str, Report] | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._listings = {security.code: security for security in securities()}
        self._real = dict(real or {})

    def security(self, stock_code: str) -> Security | None:
        """The security of `stock_code` as listed at some time, listed now or not."""
        with self._lock:
            return self._listings.get(stock_code)

    def add_listing(self, security: Security) -> None:
        """Lists a new security, or changes the name, kind or dates of a known one."""
        with self._lock:
            self._listings[security.code] = security

    def listed(self, trade_date: date) -> list[Security]:
        """The securities listed on `trade_date`, in the exchange's order."""
        with self._lock:
            return [security for security in self._listings.values() if security.listed(trade_date)]

    def reset_listings(self) -> None:
        with self._lock:
            self._listings = {security.code: security for security in securities()}

    def report(self, trade_date: date, stock_code: str) -> Report | None:
        """The broker report of `stock_code` on `trade_date`, or None where it did not trade (查無資料),
        was not yet listed, or no longer was."""
        security = self.security(stock_code)
        if security is None or not security.listed(trade_date):
            return None
        return self.report_of(trade_date, security)

    def report_of(self, trade_date: date, security: Security) -> Report | None:
        """`security`'s report on `trade_date` whatever its listing dates: its real one where the market has
        it, else the generated one (None on a quiet day or a weekend)."""
        real = self._real.get(security.code)
        if real is not None:
            return replace(real, trade_date=trade_date, traded_side=traded_side(self.seed, security.code))
        return daily_report(self.seed, trade_date, security)


@lru_cache(maxsize=4096)
def daily_report(seed: int, trade_date: date, security: Security) -> Report | None:
    """`security`'s report on `trade_date` whatever its listing dates, or None on a quiet day or a weekend."""
    stock_code = security.code
    if trade_date.weekday() >= 5:
        return None
    profile = _rng(seed, stock_code)
    day = _rng(seed, trade_date.isoformat(), stock_code)
    famous = FAMOUS.get(stock_code)
    if famous is None and day.random() < NO_TRADE_SHARE:
        return None
    if famous is not None:
        base_cents, target_records = famous
    else:
        small = security.kind in {"preferred", "etn", "reit", "innovation", "tdr"}
        base_cents = int(np.exp(profile.normal(math.log(3_000 if small else 4_500), 0.9)))
        target_records = int(np.exp(profile.normal(math.log(15 if small else 120), 1.0)))
    target_records = int(np.clip(target_records * np.exp(day.normal(0.0, 0.2)), 3, 6_200))
    tick = fund_tick_cents if security.kind in {"etf", "etn", "reit"} else stock_tick_cents
    reference_cents = int(np.clip(base_cents * np.exp(day.normal(0.0, 0.03)), 100, 900_000))
    grid = _price_grid(reference_cents, day, tick, min_ticks=2 + target_records // 650)
    report = _build_report(trade_date, stock_code, grid, target_records, day)
    # Drawn apart from the day's other draws, so a report stays the same but for the record it unbalances.
    report = _unbalanced(report, _rng(seed, "imbalance", trade_date.isoformat(), stock_code))
    return replace(report, traded_side=traded_side(seed, stock_code))


def _unbalanced(report: Report, draw: np.random.Generator) -> Report:
    """The report, or for about UNBALANCED_SHARE of reports, the report with more shares at one record, so
    its buys and sells differ as on the live site; every record stays and keeps its place."""
    if draw.random() >= UNBALANCED_SHARE:
        return report
    if draw.random() < WHOLE_LOT_IMBALANCE_SHARE:
        amount = 1_000 * int(draw.integers(1, 3))
    else:
        amount = int(draw.integers(1, 100))
    buys_ahead = draw.random() < BUYS_AHEAD_SHARE
    records = list(report.records)
    candidates = [index for index, record in enumerate(records) if (record.buy if buys_ahead else record.sell)]
    index = candidates[int(draw.integers(0, len(candidates)))]
    record = records[index]
    records[index] = (
        replace(record, buy=record.buy + amount) if buys_ahead else replace(record, sell=record.sell + amount)
    )
    return replace(report, records=tuple(records))


def estimated_trade_count(shares: int, records: int) -> int:
    """成交筆數, which no CSV carries: about a trade per 2,600 shares and one per two records, at most one a lot."""
    return max(1, min(shares // 1_000, int(shares / 2_600 + records / 2)))


def _price_grid(
    reference_cents: int, day: np.random.Generator, tick: Callable[[int], int], min_ticks: int
) -> np.ndarray:
    """The ticks the security traded at: the day's low to high, within the ±10% limit of its reference.

    A busy security spans at least `min_ticks` ticks, since its branches trade at several prices each."""
    spread = min(0.095, abs(day.normal(0.0, 0.012)) + 0.004)
    low = max(100, int(reference_cents * (1 - spread * day.uniform(0.3, 1.0))))
    high = int(reference_cents * (1 + spread * day.uniform(0.3, 1.0)))
    low -= low % tick(low)
    ticks = [low]
    while ticks[-1] + tick(ticks[-1]) <= high or len(ticks) < min_ticks:
        ticks.append(ticks[-1] + tick(ticks[-1]))
        if len(ticks) % 2 == 0 and ticks[0] - tick(ticks[0] - 1) >= 100:
            ticks.insert(0, ticks[0] - tick(ticks[0] - 1))
    return np.asarray(ticks, dtype=np.int64)


def _build_report(
    trade_date: date, stock_code: str, grid: np.ndarray, target_records: int, day: np.random.Generator
) -> Report:
    everyone = brokers()
    per_broker = min(len(grid) * 0.75, 1.0 + target_records / 1_000)
    branch_count = int(min(len(everyone), max(1, math.ceil(target_records / max(per_broker, 1.0)))))
    # Gumbel top-k: a weighted sample without replacement in one vectorised step.
    keys = np.log(_broker_weights()) + day.gumbel(size=len(everyone))
    branches = np.sort(np.argpartition(-keys, branch_count - 1)[:branch_count])
    centre = day.uniform(0.3, 0.7) * (len(grid) - 1)
    tick_weights = np.exp(-(((np.arange(len(grid)) - centre) / max(len(grid) / 3.0, 1.0)) ** 2))
    pair_keys = (
        np.log(_broker_weights()[branches])[:, None]
        + np.log(tick_weights)[None, :]
        + day.gumbel(size=(branch_count, len(grid)))
    ).ravel()
    count = int(min(target_records, pair_keys.size))
    pairs = np.sort(np.argpartition(-pair_keys, count - 1)[:count])
    broker_index = branches[pairs // len(grid)]
    prices = grid[pairs % len(grid)]
    buys, sells = _volumes(count, day)
    records = tuple(
        Record(everyone[b], int(p), int(buy), int(sell))
        for b, p, buy, sell in zip(broker_index.tolist(), prices.tolist(), buys.tolist(), sells.tolist(), strict=True)
    )
    traded = np.unique(prices)
    volume = int(buys.sum())
    return Report(
        trade_date=trade_date,
        stock_code=stock_code,
        records=records,
        trade_count=estimated_trade_count(volume, count),
        open_cents=int(traded[min(len(traded) - 1, int(day.integers(0, len(traded))))]),
        high_cents=int(traded[-1]),
        low_cents=int(traded[0]),
        last_cents=int(traded[int(day.integers(0, len(traded)))]),
    )


def _volumes(count: int, day: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shares bought and sold per record: whole lots of 1,000 with a few odd lots; buys and sells sum equal
    (`_unbalanced` then unbalances some reports, as the site's are)."""

    def shares() -> np.ndarray:
        lots = np.ceil(day.lognormal(0.6, 1.1, size=count)).astype(np.int64) * 1_000
        odd = day.random(count) < 0.05
        return lots - np.where(odd, day.integers(1, 1_000, size=count), 0)

    side = day.random(count)
    buys = np.where(side < 0.55, shares(), 0)
    sells = np.where(side >= 0.45, shares(), 0)
    if count == 1:
        sells = buys = np.maximum(buys, sells)
    else:
        buys[0] = buys[0] or 1_000
        sells[-1] = sells[-1] or 1_000
    difference = int(buys.sum() - sells.sum())
    # Whoever is short makes up the difference at one record, so the day balances exactly.
    if difference > 0:
        sellers = np.flatnonzero(sells)
        sells[sellers[int(day.integers(0, len(sellers)))]] += difference
    elif difference < 0:
        buyers = np.flatnonzero(buys)
        buys[buyers[int(day.integers(0, len(buyers)))]] -= difference
    return buys, sells
