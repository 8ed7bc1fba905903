"""What a running replica is set to: trade date, captcha source, CSV layout, real reports and the fault knobs.

One mutable object shared by the app and its controllers, so tests and the HTTP API can turn knobs live."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
# The site puts a trading day's reports up around 16:00-16:30 Taipei time.
PUBLISH_TIME = time(16, 30)

CaptchaSourceName = Literal["synthetic", "replay"]
# The CSV's byte layout by the month it was seen in: Big5 with bare numbers in July 2026, UTF-8 with a BOM and
# quoted values in September (replica/report_csv.py says what each is and where it was seen).
CsvLayoutName = Literal["2026-07", "2026-09"]
CAPTCHA_SOURCES: tuple[str, ...] = ("synthetic", "replay")
CSV_LAYOUTS: tuple[str, ...] = ("2026-07", "2026-09")
LATEST_CSV_LAYOUT: CsvLayoutName = "2026-09"

RATE_KNOBS = (
    "error_rate",
    "drop_rate",
    "nonimage_captcha_rate",
    "stale_csv_rate",
    "truncated_csv_rate",
    "redesign_rate",
    "forbidden_rate",
    "blank_post_rate",
    "silent_post_rate",
    "forbidden_csv_rate",
    "forbidden_captcha_rate",
    "view_mismatch_rate",
)
COUNT_KNOBS = ("firewall_requests_per_minute", "throttle_requests_per_minute")
FAULT_KNOBS = (
    "latency_s",
    *RATE_KNOBS,
    "firewall_requests_per_minute",
    "firewall_block_s",
    "throttle_requests_per_minute",
    "throttle_block_s",
)


class ReplicaConfigError(ValueError):
    """A setting of the replica is out of range; the message names the setting and what it accepts."""


def latest_trade_date(now: datetime | None = None) -> date:
    """The latest weekday whose reports would be up now in Taipei (today after 16:30, else the weekday before)."""
    local = (now or datetime.now(TAIPEI)).astimezone(TAIPEI)
    day = local.date()
    if day.weekday() < 5 and local.time() >= PUBLISH_TIME:
        return day
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass
class ReplicaConfig:
    """Settings of one replica; every fault knob is off (zero) by default.

    The rates are probabilities per request (0..1). The firewall answers a client IP its block page for
    `firewall_block_s` once it sends more than `firewall_requests_per_minute` requests within a minute; the
    throttle answers HTTP 403 for `throttle_block_s` once a client asks for more than
    `throttle_requests_per_minute` of the site's pages within a minute (0 turns either off).

    `real_csv_dir` is a folder of whole CSVs the live site gave: for their codes the replica serves those files
    byte for byte on any trade date, and generates the rest. It is read once, at start."""

    trade_date: date = dataclasses.field(default_factory=latest_trade_date)
    captcha_source: CaptchaSourceName = "synthetic"
    replay_dir: Path | None = None
    csv_layout: CsvLayoutName = LATEST_CSV_LAYOUT
    real_csv_dir: Path | None = None
    captcha_ttl_s: float = 90.0
    min_answer_delay_s: float = 0.0
    seed: int = 1
    latency_s: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    nonimage_captcha_rate: float = 0.0
    firewall_requests_per_minute: int = 0
    firewall_block_s: float = 3600.0
    stale_csv_rate: float = 0.0
    truncated_csv_rate: float = 0.0
    redesign_rate: float = 0.0  # share of forms served with renamed fields, as after a redesign of the site
    # The throttling seen on the live site in September 2026:
    forbidden_rate: float = 0.0  # share of the site's pages answered with HTTP 403
    throttle_requests_per_minute: int = 0
    throttle_block_s: float = 120.0
    blank_post_rate: float = 0.0  # share of queries answered with a blank page of about 236 bytes
    silent_post_rate: float = 0.0  # share of queries answered with a new form but neither message nor link
    forbidden_csv_rate: float = 0.0  # share of CSV downloads answered with HTTP 403
    forbidden_captcha_rate: float = 0.0  # share of captcha images answered with HTTP 403
    view_mismatch_rate: float = 0.0  # share of HTML views whose trade_qty is neither the CSV's total buys nor sells

    def validate(self) -> None:
        """Raise ReplicaConfigError naming the first setting that is out of range."""
        if self.captcha_source not in CAPTCHA_SOURCES:
            raise ReplicaConfigError(
                f"captcha source must be one of {', '.join(CAPTCHA_SOURCES)}, got {self.captcha_source!r}"
            )
        if self.captcha_source == "replay" and self.replay_dir is None:
            raise ReplicaConfigError(
                "replay captchas need a folder: pass --replay-dir DIR (a folder with labels.csv)"
            )
        if self.csv_layout not in CSV_LAYOUTS:
            raise ReplicaConfigError(
                f"CSV layout must be one of {', '.join(CSV_LAYOUTS)}, got {self.csv_layout!r}"
            )
        if self.real_csv_dir is not None and not Path(self.real_csv_dir).is_dir():
            raise ReplicaConfigError(
                f"real CSVs: {self.real_csv_dir} is not a folder; pass --real-csv-dir a folder of the site's CSVs"
            )
        if not isinstance(self.trade_date, date):
            raise ReplicaConfigError(f"trade_date must be a date, got {self.trade_date!r}")
        for name in ("captcha_ttl_s", "min_answer_delay_s", "latency_s", "firewall_block_s", "throttle_block_s"):
            if getattr(self, name) < 0:
                raise ReplicaConfigError(f"{name} must be zero or more seconds, got {getattr(self, name)}")
        if self.captcha_ttl_s == 0:
            raise ReplicaConfigError("captcha_ttl_s must be more than zero seconds")
        for name in RATE_KNOBS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ReplicaConfigError(
                    f"{name} is a probability: give a number from 0 to 1, got {getattr(self, name)}"
                )
        for name in COUNT_KNOBS:
            if getattr(self, name) < 0:
                raise ReplicaConfigError(f"{name} must be 0 (off) or a positive number of requests")

    def faults(self) -> dict[str, float | int]:
        """The fault knobs and their current values."""
        return {name: getattr(self, name) for name in FAULT_KNOBS}

    def set_faults(self, changes: dict[str, Any]) -> None:
        """Turn fault knobs by name; all or nothing, so a bad value leaves every knob as it was."""
        unknown = sorted(set(changes) - set(FAULT_KNOBS))
        if unknown:
            raise ReplicaConfigError(
                f"unknown fault knob(s) {', '.join(unknown)}; known: {', '.join(FAULT_KNOBS)}"
            )
        candidate = dataclasses.replace(self)
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ReplicaConfigError(f"{name} takes a number, got {value!r}")
            kind = int if name in COUNT_KNOBS else float
            setattr(candidate, name, kind(value))
        candidate.validate()
        for name in changes:
            setattr(self, name, getattr(candidate, name))
