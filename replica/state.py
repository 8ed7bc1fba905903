"""Everything a running replica holds: its live config, market, captchas, viewstates, sessions, counters,
fault dice, firewall and throttle; the site's pages, the control API and the ISIN list all serve from it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from replica.captcha_store import CaptchaSource, CaptchaStore, ReplayCaptchas, SyntheticCaptchas
from replica.config import CaptchaSourceName, ReplicaConfig, ReplicaConfigError
from replica.faults import ClientLimit, FaultDice
from replica.market import Market, Security, daily_report, securities
from replica.real_reports import RealReport, read_real_reports
from replica.report_csv import LAYOUTS, report_csv_bytes
from replica.sessions import Sessions
from replica.stats import ReplicaStats
from replica.viewstate import ViewStateSigner


class ReplicaState:
    """Everything a running replica holds. The config is live: pages read it on every request.

    Trade date, CSV layout, captcha TTL and delay, and the fault knobs may change while it runs;
    the captcha source changes through `use_captcha_source`; the seed and the real CSVs are read once, at start.
    `clock` is what captcha expiry, the minimum answer delay, the firewall and the throttle measure time by."""

    def __init__(self, config: ReplicaConfig, clock: Callable[[], float] = time.monotonic) -> None:
        config.validate()
        self.config = config
        self._initial = config.model_copy()
        self.stats = ReplicaStats()
        self.real_reports = _real_reports(config)
        self.market = Market(config.seed, {code: real.report for code, real in self.real_reports.items()})
        self.captchas = CaptchaStore(_captcha_source(config), config, clock)
        self.signer = ViewStateSigner()
        self.sessions = Sessions()
        self.firewall = ClientLimit(clock)
        self.throttle = ClientLimit(clock)
        self.dice = FaultDice(config.seed)

    def use_captcha_source(self, source: CaptchaSourceName, replay_dir: Path | None = None) -> None:
        """Switch where new captchas come from; a bad replay folder raises and leaves the source as it was."""
        candidate = self.config.model_copy(update={"captcha_source": source, "replay_dir": replay_dir})
        candidate.validate()
        self.captchas.source = _captcha_source(candidate)
        self.config.captcha_source, self.config.replay_dir = source, replay_dir

    def csv_of(self, trade_date: date, security: Security) -> tuple[bytes, str]:
        """The CSV body a download of `security` gets on `trade_date`, and its charset: the real file where
        the replica has one, else the generated report in the configured layout."""
        real = self.real_reports.get(security.code)
        if real is not None:
            return real.body, real.charset
        layout = LAYOUTS[self.config.csv_layout]
        return _csv_body(self.config.seed, trade_date, security, layout.name), layout.charset

    def reset(self) -> None:
        """Back to how it started: settings, captcha source, fault dice, counters, firewall and throttle,
        sessions and captchas."""
        for name in ReplicaConfig.model_fields:
            setattr(self.config, name, getattr(self._initial, name))
        self.captchas.source = _captcha_source(self._initial)
        self.stats.reset()
        self.dice.reset()
        self.firewall.clear()
        self.throttle.clear()
        self.sessions.clear()
        self.captchas.clear()
        self.market.reset_listings()


def _real_reports(config: ReplicaConfig) -> dict[str, RealReport]:
    """The real CSVs of `config.real_csv_dir`, each of a security the replica lists."""
    if config.real_csv_dir is None:
        return {}
    reports = read_real_reports(config.real_csv_dir)
    known = {security.code for security in securities()}
    unknown = sorted(code for code in reports if code not in known)
    if unknown:
        raise ReplicaConfigError(
            f"real CSVs: {', '.join(unknown)} of {config.real_csv_dir} are not in the replica's list of securities"
        )
    return reports


def _captcha_source(config: ReplicaConfig) -> CaptchaSource:
    rng = random.Random(f"captchas-{config.seed}")
    if config.captcha_source == "replay":
        assert config.replay_dir is not None  # validate() guarantees it
        return ReplayCaptchas(config.replay_dir, rng)
    return SyntheticCaptchas(rng)


@lru_cache(maxsize=256)
def _csv_body(seed: int, trade_date: date, security: Security, layout: str) -> bytes:
    """The generated report's CSV in `layout`."""
    report = daily_report(seed, trade_date, security)
    return b"" if report is None else report_csv_bytes(report, layout)
