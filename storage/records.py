"""The plain records other rooms build and pass to storage, and the ones its queries hand back.

Frozen dataclasses and string enums only: no database types leak out of the storage room."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

# The exchange's time zone: trade dates, a job's day and the times the dashboard shows are Taipei's.
TAIPEI = ZoneInfo("Asia/Taipei")


class AttemptOutcome(StrEnum):
    """What the site said to one captcha answer."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ERROR = "error"


class LabelSource(StrEnum):
    """Who says what a captcha image reads: the site (it accepted the guess), a human, or nobody yet."""

    SITE = "site"
    HUMAN = "human"
    NONE = "none"


class JobStatus(StrEnum):
    """Where a daily job run stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    NO_TRADING = "no_trading"  # the site never served the day's data: a holiday


class ReportSource(StrEnum):
    """Where a stored report came from: downloaded from the site by the bot, or imported from a saved file
    (`bsr import`), which carries neither the report view's figures nor the link's RecCount."""

    FETCHED = "fetched"
    IMPORTED = "imported"


class AlertKind(StrEnum):
    """What an alert tells: a test message, a run's digest, the securities a day still misses, a watchlist rule met."""

    TEST = "test"
    DIGEST = "digest"
    MISSING = "missing"
    WATCH = "watch"


class SaveResult(StrEnum):
    """What saving a report did: a new report, a different one replaced whole, or nothing (identical)."""

    INSERTED = "inserted"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Alert:
    """A message to send: what it tells, a title and a body, and the trade date it is about (None for a test)."""

    kind: AlertKind
    title: str
    body: str
    trade_date: date | None = None


@dataclass(frozen=True)
class StoredAlert:
    """An alert as stored for one notification URL (`target`, its secrets masked): delivered or not, and why not."""

    id: int
    created_at: datetime
    alert: Alert
    target: str
    delivered: bool
    tries: int
    last_tried_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class BrokerTrade:
    """One record of a report: a broker branch's shares bought and sold at one price."""

    seq: int
    broker_id: str  # case-sensitive: 9B2z and 9B2Z are different branches
    broker_name: str
    price: Decimal
    buy_shares: int
    sell_shares: int


@dataclass(frozen=True)
class BranchDay:
    """One branch's records of one report summed over their prices: what storage keeps as branch_days and
    flows sums over windows of days, and the dashboard's report page lists."""

    broker_id: str
    broker_name: str
    buy_shares: int
    sell_shares: int
    buy_cents: int  # price times shares bought, summed in whole cents
    sell_cents: int


@dataclass(frozen=True)
class DayFigures:
    """One security's figures for the day as the site's report view (bsContent.aspx?v=t) shows them.

    Only the view carries the report's own date and the day's prices; the CSV has neither."""

    trade_date: date  # receive_date
    trade_count: int  # 成交筆數 (trade_rec)
    turnover: int  # 成交金額 (trade_amt), NT$
    traded_shares: int  # 成交股數 (trade_qty)
    open_price: Decimal | None  # open_price .. last_price; None where the view shows no price
    high_price: Decimal | None
    low_price: Decimal | None
    close_price: Decimal | None


@dataclass(frozen=True)
class Report:
    """One security's daily broker report; `no_trades` marks a 查無資料 answer (no trades, rec_count 0).

    `rec_count` is the download link's RecCount, kept as the site gave it: it is not the number of records.
    `figures` are the report view's, when it was read. `flags` say why a report was stored although a soft
    sign doubted it (storage.report_checks): the site gave it so, again and again, and a day is never lost.
    `source` says whether the bot fetched it or it was imported from a file; an imported report's rec_count is
    0 (no link gave one) and `fetched_at` is when it was imported."""

    trade_date: date
    stock_code: str
    rec_count: int
    trades: tuple[BrokerTrade, ...]
    raw_csv: bytes
    fetched_at: datetime  # aware; a naive value is taken as UTC
    no_trades: bool = False
    figures: DayFigures | None = None
    flags: tuple[str, ...] = ()
    source: ReportSource = ReportSource.FETCHED

    @property
    def total_buy_shares(self) -> int:
        return sum(trade.buy_shares for trade in self.trades)

    @property
    def total_sell_shares(self) -> int:
        """The shares sold: a real report's need not equal its shares bought (SITE.md, "The report")."""
        return sum(trade.sell_shares for trade in self.trades)

    @property
    def total_value(self) -> Decimal:
        """The value of the shares bought, in NT$: each record's price times its shares bought."""
        return sum((trade.price * trade.buy_shares for trade in self.trades), Decimal(0))

    def branch_days(self) -> list[BranchDay]:
        """The report's records summed per branch, in the order the branches first appear."""
        sums: dict[str, list[Any]] = {}
        for trade in self.trades:
            cents = int(trade.price * 100)  # a stored price is checked to be whole cents
            day = sums.setdefault(trade.broker_id, [trade.broker_name, 0, 0, 0, 0])
            day[0] = max(day[0], trade.broker_name)
            day[1] += trade.buy_shares
            day[2] += trade.sell_shares
            day[3] += cents * trade.buy_shares
            day[4] += cents * trade.sell_shares
        return [BranchDay(broker_id, *day) for broker_id, day in sums.items()]


@dataclass(frozen=True)
class Attempt:
    """One captcha answered: the image, the solver's guess and what the site made of it."""

    attempted_at: datetime  # aware; a naive value is taken as UTC
    job_run_id: int | None
    stock_code: str
    image: bytes
    model_version: str
    guess: str
    confidence: float
    latency_ms: float
    outcome: AttemptOutcome


@dataclass(frozen=True)
class Security:
    """A listed security: code, name and kind as the exchange's list gives them (股票, ETF, 認購權證...),
    and its listing date (上市日) where known."""

    code: str
    name: str
    kind: str
    listed_on: date | None = None


@dataclass(frozen=True)
class StoredAttempt:
    """A solve attempt as stored, with its id, image hash and label; `image` is None where the call that read
    it did not ask for images."""

    id: int
    attempted_at: datetime
    job_run_id: int | None
    stock_code: str
    image: bytes | None
    image_sha256: str
    model_version: str
    guess: str
    confidence: float
    latency_ms: float
    outcome: AttemptOutcome
    label: str | None
    label_source: LabelSource
    unreadable: bool


@dataclass(frozen=True)
class ReportSummary:
    """A stored report without its trades: what a list of a day's reports shows."""

    trade_date: date
    stock_code: str
    rec_count: int
    total_buy_shares: int
    total_sell_shares: int
    total_value: Decimal  # the value bought, NT$
    no_trades: bool
    fetched_at: datetime
    figures: DayFigures | None = None
    flags: tuple[str, ...] = ()  # why it was stored although a soft sign doubted it (Report.flags)
    source: ReportSource = ReportSource.FETCHED


@dataclass(frozen=True)
class JobCounts:
    """What a job run has counted so far: the securities it set out to fetch, how each ended, and the
    captcha answers by what the site said. The job fills it, the job run keeps it, the dashboard reads it."""

    planned: int = 0  # securities the run set out to fetch; 0 where it is not known yet
    already_stored: int = 0  # of the securities asked for, those an earlier run had stored
    stored: int = 0
    no_trades: int = 0
    failed: int = 0
    not_asked: int = 0  # left in the queue when the run stopped or the site moved on
    refused: int = 0  # downloads a check refused (each fetched again)
    flagged: int = 0  # reports stored flagged: a soft sign kept doubting them (Report.flags)
    pauses: int = 0  # times every worker paused together (firewall, throttling)
    attempts_accepted: int = 0
    attempts_rejected: int = 0
    attempts_expired: int = 0
    attempts_error: int = 0

    @property
    def attempts(self) -> int:
        return self.attempts_accepted + self.attempts_rejected + self.attempts_expired + self.attempts_error

    @property
    def reports(self) -> int:
        """Securities answered for good: a report stored, or the site's word that there were no trades."""
        return self.stored + self.no_trades

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, stored: Mapping[str, int]) -> JobCounts:
        """The counts as a job run row keeps them; a count the row lacks (an older run's) is 0."""
        return cls(**{name.name: int(stored.get(name.name, 0)) for name in fields(cls)})


class MissingReason(StrEnum):
    """Why a security a run set out to fetch is not stored; stored as its value."""

    FAILED = "failed"  # every try failed: the detail is the last error
    STOPPED = "stopped"  # not asked: the run was stopped
    ROLLED_OVER = "rolled over"  # not asked: the site began serving another day, the detail
    NOT_ASKED = "not asked"  # listed on the day, and no run asked for it


@dataclass(frozen=True)
class Missing:
    """A security not stored, why, and what the reason leaves to tell (the last error, the day served)."""

    reason: MissingReason
    detail: str = ""

    def __str__(self) -> str:
        if self.reason is MissingReason.FAILED:
            return f"failed: {self.detail}"
        if self.reason is MissingReason.ROLLED_OVER:
            return f"not asked: the site serves {self.detail} now"
        if self.reason is MissingReason.STOPPED:
            return "not asked: the run was stopped"
        return "not asked: no run asked for it"

    def to_json(self) -> dict[str, str]:
        return {"reason": self.reason.value, "detail": self.detail}

    @classmethod
    def from_json(cls, stored: Mapping[str, str]) -> Missing:
        return cls(MissingReason(stored["reason"]), stored.get("detail", ""))


@dataclass(frozen=True)
class JobRun:
    """One run of the daily job and its counts; `heartbeat_at` is its last sign of life.

    `missing` names the securities the run set out to fetch and did not store, with why."""

    id: int
    trade_date: date
    started_at: datetime
    finished_at: datetime | None
    status: JobStatus
    counts: JobCounts
    heartbeat_at: datetime
    missing: dict[str, Missing] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ModelVersion:
    """A trained solver model: where its files are, how it evaluated, whether the solver should use it."""

    name: str
    created_at: datetime
    path: str
    metrics: dict[str, float] = field(hash=False)
    active: bool = False
    activated_at: datetime | None = None  # when it last became the active version
    rolled_back_at: datetime | None = None  # when a rollback last took it out of service


@dataclass(frozen=True)
class DailyAcceptance:
    """One model version's attempts on one day (Taipei time), by outcome."""

    day: date
    model_version: str
    accepted: int
    rejected: int
    expired: int
    error: int

    @property
    def judged(self) -> int:
        """Attempts the site judged right or wrong; expired and errored ones say nothing of the guess."""
        return self.accepted + self.rejected

    @property
    def rate(self) -> float | None:
        return self.accepted / self.judged if self.judged else None


@dataclass(frozen=True)
class ReportAttempts:
    """How many captcha attempts a stored report took (attempts recorded under a job run of its date)."""

    trade_date: date
    stock_code: str
    attempts: int


@dataclass(frozen=True)
class LatencyPercentiles:
    """Solver latency in milliseconds (nearest-rank percentiles); None where no attempt was recorded."""

    count: int
    p50: float | None
    p90: float | None
    p99: float | None


@dataclass(frozen=True)
class CharConfusion:
    """How often the solver read `expected` (a human's label) as `guessed`."""

    expected: str
    guessed: str
    count: int


@dataclass(frozen=True)
class ConfidenceBucket:
    """Answers whose confidence fell in [low, high) (the last bucket takes 1.0 too): how many were judged, by the
    site or against a label, and how many of them were accepted. What the solver's calibration is read from."""

    low: float
    high: float
    judged: int
    accepted: int
    accuracy: float | None  # a field, not a property, so that the dashboard's JSON carries it

    @classmethod
    def counted(cls, low: float, high: float, judged: int, accepted: int) -> ConfidenceBucket:
        """The bucket of these counts, its accuracy None where none was judged."""
        return cls(low, high, judged, accepted, accepted / judged if judged else None)


@dataclass(frozen=True)
class JobProgress:
    """What a job run has done so far, counted from the reports and attempts stored since it started."""

    job_run_id: int
    trade_date: date
    started_at: datetime
    stored: int
    no_trades: int
    accepted: int
    rejected: int
    expired: int
    error: int

    @property
    def attempts(self) -> int:
        return self.accepted + self.rejected + self.expired + self.error
