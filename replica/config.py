"""What a running replica is set to: trade date, captcha source, CSV layout, real reports and the fault knobs.

One mutable object shared by the app and its controllers, so tests and the HTTP API can turn knobs live."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError

# storage.TAIPEI is the project's Taipei; the replica stands for the site and imports no other room, so it
# keeps its own.
TAIPEI = ZoneInfo("Asia/Taipei")
# The site puts a trading day's reports up around 16:00-16:30 Taipei time.
PUBLISH_TIME = time(16, 30)

CaptchaSourceName = Literal["synthetic", "replay"]
# The CSV's byte layout by the month it was seen in: Big5 with bare numbers in July 2026, UTF-8 with a BOM and
# quoted values in September (replica/report_csv.py says what each is and where it was seen).
CsvLayoutName = Literal["2026-07", "2026-09"]
CSV_LAYOUTS: tuple[str, ...] = get_args(CsvLayoutName)
LATEST_CSV_LAYOUT: CsvLayoutName = "2026-09"


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


def _rate(description: str, counter: str) -> Any:
    """A fault knob that is a probability per request, and the counter of ReplicaStats its faults go to."""
    return Field(0.0, ge=0, le=1, description=description, json_schema_extra={"counter": counter})


class FaultKnobs(BaseModel):
    """The replica's bad days, each knob declared once with its bounds and off (zero) by default: the CLI's
    flags, the control API's /replica/api/faults and the fault counters of ReplicaStats all come from here.

    The rates are probabilities per request. The firewall answers a client IP its block page for
    `firewall_block_s` once it sends more than `firewall_requests_per_minute` requests within a minute; the
    throttle answers HTTP 403 for `throttle_block_s` once a client asks for more than
    `throttle_requests_per_minute` of the site's pages within a minute (0 turns either off)."""

    latency_s: float = Field(0.0, ge=0, description="Seconds added to every page.")
    error_rate: float = _rate("Share of requests answered with HTTP 500.", "faults_error")
    drop_rate: float = _rate("Share of connections dropped without an answer.", "faults_dropped")
    nonimage_captcha_rate: float = _rate("Share of captcha requests answered with HTML.", "faults_nonimage_captcha")
    firewall_requests_per_minute: int = Field(
        0,
        ge=0,
        description="Block a client after this many requests in a minute (0: off).",
        json_schema_extra={"counter": "firewall_blocked"},
    )
    firewall_block_s: float = Field(3600.0, ge=0, description="Seconds a blocked client stays blocked.")
    stale_csv_rate: float = _rate("Share of CSV downloads answered with another security's.", "faults_stale_csv")
    truncated_csv_rate: float = _rate("Share of CSV downloads cut off mid-way.", "faults_truncated_csv")
    redesign_rate: float = _rate("Share of forms served with renamed fields (a redesigned site).", "faults_redesign")
    # The throttling seen on the live site in September 2026:
    forbidden_rate: float = _rate("Share of the site's pages answered with HTTP 403.", "faults_forbidden")
    throttle_requests_per_minute: int = Field(
        0,
        ge=0,
        description="Answer a client HTTP 403 after this many pages in a minute (0: off).",
        json_schema_extra={"counter": "throttled"},
    )
    throttle_block_s: float = Field(120.0, ge=0, description="Seconds a throttled client gets HTTP 403.")
    blank_post_rate: float = _rate("Share of queries answered with a blank page.", "faults_blank_post")
    silent_post_rate: float = _rate(
        "Share of queries answered with a new form but neither message nor download link.", "faults_silent_post"
    )
    forbidden_csv_rate: float = _rate("Share of CSV downloads answered with HTTP 403.", "faults_forbidden_csv")
    forbidden_captcha_rate: float = _rate("Share of captcha images answered with HTTP 403.", "faults_forbidden_captcha")
    view_mismatch_rate: float = _rate(
        "Share of HTML report views whose traded shares are neither the CSV's total buys nor sells.",
        "faults_view_mismatch",
    )


def fault_counters() -> tuple[str, ...]:
    """The counters of ReplicaStats that count the faults the knobs caused, in the order of the knobs."""
    extras = (field.json_schema_extra for field in FaultKnobs.model_fields.values())
    return tuple(extra["counter"] for extra in extras if isinstance(extra, dict))


class ReplicaConfig(FaultKnobs):
    """Settings of one replica: what it serves and, as a FaultKnobs, how it misbehaves.

    `real_csv_dir` is a folder of whole CSVs the live site gave: for their codes the replica serves those files
    byte for byte on any trade date, and generates the rest. It is read once, at start. Bounds are checked when
    it is made (and by `validate`); a setting out of range raises ReplicaConfigError naming it."""

    trade_date: date = Field(default_factory=latest_trade_date)
    captcha_source: CaptchaSourceName = Field("synthetic", title="captcha source")
    replay_dir: Path | None = None
    csv_layout: CsvLayoutName = Field(LATEST_CSV_LAYOUT, title="CSV layout")
    real_csv_dir: Path | None = None
    captcha_ttl_s: float = Field(90.0, gt=0)
    min_answer_delay_s: float = Field(0.0, ge=0)
    seed: int = 1

    def __init__(self, **settings: Any) -> None:
        try:
            super().__init__(**settings)
        except ValidationError as error:
            raise _config_error(error, type(self)) from None

    def validate(self) -> None:  # type: ignore[override]  # pydantic's deprecated classmethod of the name
        """Raise ReplicaConfigError naming the first setting that is out of range."""
        try:
            type(self).model_validate(self.model_dump())
        except ValidationError as error:
            raise _config_error(error, type(self)) from None
        if self.captcha_source == "replay" and self.replay_dir is None:
            raise ReplicaConfigError("replay captchas need a folder: pass --replay-dir DIR (a folder with labels.csv)")
        if self.real_csv_dir is not None and not Path(self.real_csv_dir).is_dir():
            raise ReplicaConfigError(
                f"real CSVs: {self.real_csv_dir} is not a folder; pass --real-csv-dir a folder of the site's CSVs"
            )

    def faults(self) -> dict[str, float | int]:
        """The fault knobs and their current values."""
        return {name: getattr(self, name) for name in FaultKnobs.model_fields}

    def set_faults(self, changes: dict[str, Any]) -> None:
        """Turn fault knobs by name; all or nothing, so a bad value leaves every knob as it was."""
        unknown = sorted(set(changes) - set(FaultKnobs.model_fields))
        if unknown:
            raise ReplicaConfigError(
                f"unknown fault knob(s) {', '.join(unknown)}; known: {', '.join(FaultKnobs.model_fields)}"
            )
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ReplicaConfigError(f"{name} takes a number, got {value!r}")
        # A knob keeps its own type: a count of requests drops the fraction of a number it is given.
        typed = {name: type(getattr(self, name))(value) for name, value in changes.items()}
        try:
            knobs = FaultKnobs.model_validate(self.faults() | typed)
        except ValidationError as error:
            raise _config_error(error, FaultKnobs) from None
        for name in changes:
            setattr(self, name, getattr(knobs, name))


def _config_error(error: ValidationError, model: type[BaseModel]) -> ReplicaConfigError:
    """The first setting `error` finds out of range, in the words of its bounds."""
    first = error.errors()[0]
    name, value = str(first["loc"][0]), first["input"]
    field = model.model_fields[name]
    bounds = {type(rule).__name__ for rule in field.metadata}
    if get_args(field.annotation) and first["type"] == "literal_error":
        return ReplicaConfigError(
            f"{field.title} must be one of {', '.join(get_args(field.annotation))}, got {value!r}"
        )
    if "Le" in bounds:
        return ReplicaConfigError(f"{name} is a probability: give a number from 0 to 1, got {value}")
    if "Gt" in bounds:
        return ReplicaConfigError(f"{name} must be more than zero seconds, got {value}")
    if "Ge" in bounds and field.annotation is int:
        return ReplicaConfigError(f"{name} must be 0 (off) or a positive number of requests, got {value}")
    if "Ge" in bounds:
        return ReplicaConfigError(f"{name} must be zero or more seconds, got {value}")
    return ReplicaConfigError(f"{name}: {first['msg']}, got {value!r}")
