"""Politeness and retry policy in one place: the shared pace, the backoffs and the gate every worker waits at,
so that `--rate` holds across workers and a block page or throttling pauses and slows them all."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bot.errors import (
    BlockedError,
    ReportDoubtedError,
    ReportFormatError,
    SiteChangedError,
    SiteRolledOverError,
    ThrottledError,
    TransientSiteError,
)
from solver.errors import SolverInputError
from storage.errors import InvalidReportError, ReportMismatchError
from storage.report_checks import DoubtKind


class ErrorAction(StrEnum):
    """What a worker does when a try meets an error."""

    RETRY_NOW = "retry now"  # a fresh form at once; the run gives up after several in a row (site_changed_after)
    BACK_OFF = "back off"  # this security waits, longer after each failure, then tries again
    SLOW_DOWN = "slow down"  # every worker pauses and the pace halves: the site is throttling
    PAUSE_ALL = "pause all"  # every worker pauses, long: the firewall's block page
    REFUSE = "refuse"  # a download that is no whole report, or doubted: listed, fetched again after a back-off
    GIVE_UP = "give up"  # the run stops: the site serves the next day now


class ErrorKind(StrEnum):
    """The errors a run meets, by kind, for its statistics."""

    FORMLESS_PAGE = "formless page"
    THROTTLED = "throttled"
    BLOCKED = "blocked"
    SITE_ERROR = "site error"
    NO_CAPTCHA_IMAGE = "no captcha image"
    MALFORMED_REPORT = "malformed report"
    MISMATCHED_REPORT = "mismatched report"
    INVALID_REPORT = "invalid report"
    DOUBTED_REPORT = "doubted report"
    ROLLED_OVER = "rolled over"
    WRONG_CAPTCHA = "wrong captcha"
    EXPIRED_CAPTCHA = "expired captcha"


@dataclass(frozen=True)
class ErrorRule:
    kind: ErrorKind
    action: ErrorAction


# Every error a try may meet and what is done about it; anything else ends the run (a lost database, a bug).
ERROR_RULES: Mapping[type[Exception], ErrorRule] = MappingProxyType(
    {
        # One page without the form may be a half-served one; several fresh loads in a row are a redesign.
        SiteChangedError: ErrorRule(ErrorKind.FORMLESS_PAGE, ErrorAction.RETRY_NOW),
        ThrottledError: ErrorRule(ErrorKind.THROTTLED, ErrorAction.SLOW_DOWN),
        BlockedError: ErrorRule(ErrorKind.BLOCKED, ErrorAction.PAUSE_ALL),
        TransientSiteError: ErrorRule(ErrorKind.SITE_ERROR, ErrorAction.BACK_OFF),
        SolverInputError: ErrorRule(ErrorKind.NO_CAPTCHA_IMAGE, ErrorAction.BACK_OFF),  # take a fresh one
        ReportFormatError: ErrorRule(ErrorKind.MALFORMED_REPORT, ErrorAction.REFUSE),
        ReportMismatchError: ErrorRule(ErrorKind.MISMATCHED_REPORT, ErrorAction.REFUSE),
        InvalidReportError: ErrorRule(ErrorKind.INVALID_REPORT, ErrorAction.REFUSE),
        ReportDoubtedError: ErrorRule(ErrorKind.DOUBTED_REPORT, ErrorAction.REFUSE),
        SiteRolledOverError: ErrorRule(ErrorKind.ROLLED_OVER, ErrorAction.GIVE_UP),
    }
)
HANDLED_ERRORS = tuple(ERROR_RULES)


@dataclass(frozen=True)
class RetryPolicy:
    """What is done after each kind of trouble (ERROR_RULES), how often, and how long to wait: doubling from
    the base up to the cap."""

    transient_base_s: float = 1.0  # network errors, timeouts, HTTP 5xx
    transient_cap_s: float = 60.0
    blocked_base_s: float = 60.0  # the firewall's block page: rapid retries get an address blocked for hours
    blocked_cap_s: float = 900.0
    # HTTP 403, blank answers, answers without link or message: the live site's throttling of 2026, which
    # scrapers outlast by backing off up to a minute and slowing down (SITE.md, "Politeness seen in the wild").
    throttled_base_s: float = 5.0
    throttled_cap_s: float = 60.0
    throttled_interval_s: float = 0.5  # once throttled, queries are at least this far apart...
    slowest_interval_s: float = 30.0  # ...and halving never spaces them further than this
    # Answers without a sign of throttling that end a spell of it: the pace then creeps back, and the next
    # sign halves it again. Signs within a spell only pause, so that a site throttling every few queries
    # does not drive the pace down to the slowest.
    quiet_answers: int = 10
    jitter: float = 0.3  # +-30% so that workers do not retry in lockstep
    seed: int | None = None  # seeds the jitter, so that a test's waits are the same on every run
    max_throttled: int = 20  # signs of throttling one security may meet before it is left for a catch-up round
    site_changed_after: int = 3  # complete pages without the form, on fresh loads in a row, before the run stops
    served_date_tries: int = 3  # one HTTP 500, 403 or dropped connection must not cost the day's run
    # Downloads a doubt may meet before the report is stored flagged with it: a RecCount that does not fit is
    # asked once more (a download cut at a line end would fit on a second try); a 成交股數 or a view in doubt
    # twice more.
    doubted_downloads: Mapping[DoubtKind, int] = field(
        default_factory=lambda: MappingProxyType(
            {DoubtKind.REC_COUNT: 2, DoubtKind.TRADED_SHARES: 3, DoubtKind.VIEW: 3}
        )
    )

    @staticmethod
    def rule_for(error: Exception) -> ErrorRule:
        """What is done about `error`: the rule of its own type or of the nearest base it has in ERROR_RULES."""
        return next(ERROR_RULES[kind] for kind in type(error).__mro__ if kind in ERROR_RULES)

    def transient_delay(self, failures: int) -> float:
        return min(self.transient_cap_s, self.transient_base_s * 2 ** max(0, failures - 1))

    def blocked_delay(self, blocks: int) -> float:
        return min(self.blocked_cap_s, self.blocked_base_s * 2 ** max(0, blocks - 1))

    def throttled_delay(self, signs: int) -> float:
        return min(self.throttled_cap_s, self.throttled_base_s * 2 ** max(0, signs - 1))


class Pacing:
    """The pace across all workers (0 = no limit), slowed by throttling, and the gate every worker waits at."""

    def __init__(self, rate: float, policy: RetryPolicy) -> None:
        self.base_interval_s = 1.0 / rate if rate > 0 else 0.0
        self.interval_s = self.base_interval_s
        self.policy = policy
        self._random = random.Random(policy.seed)
        self._next_slot = time.monotonic()
        self._slot_lock = asyncio.Lock()
        self._open = asyncio.Event()
        self._open.set()
        self._blocks = 0
        self._throttle_signs = 0  # in a row, without a quiet answer between them
        self._quiet = policy.quiet_answers  # answers since the last sign of throttling
        self.paused_s = 0.0
        self.pauses = 0
        self.slowdowns = 0

    async def wait_turn(self) -> None:
        """Wait until the gate is open and this worker's slot in the shared pace has come."""
        await self._open.wait()
        if not self.interval_s:
            return
        async with self._slot_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.jittered(self.interval_s)
        await asyncio.sleep(slot - now)

    def jittered(self, seconds: float) -> float:
        return seconds * self._random.uniform(1 - self.policy.jitter, 1 + self.policy.jitter)

    async def blocked(self) -> None:
        """The firewall's block page: close the gate for all workers with a growing pause. A worker that
        meets the block while the gate is closed already waits for it to open: one block, one pause."""
        if not self._open.is_set():
            await self._open.wait()
            return
        self._blocks += 1
        await self._pause_all(self.policy.blocked_delay(self._blocks))

    async def throttled(self) -> None:
        """A sign of throttling: pause every worker, longer for each sign in a row, and halve the pace at the
        first sign of a spell. Signs met while every worker is pausing belong to the same pause."""
        new_spell = self._quiet >= self.policy.quiet_answers
        self._quiet = 0
        if not self._open.is_set():
            await self._open.wait()
            return
        self._throttle_signs += 1
        slower = min(max(self.interval_s * 2, self.policy.throttled_interval_s), self.policy.slowest_interval_s)
        if new_spell and slower != self.interval_s:
            self.interval_s = slower
            self.slowdowns += 1
        await self._pause_all(self.policy.throttled_delay(self._throttle_signs))

    def answered(self) -> None:
        """A normal answer: the next block or throttling starts from the base pause again, and after a quiet
        spell the pace creeps back towards the one asked for."""
        self._blocks = 0
        self._throttle_signs = 0
        self._quiet += 1
        if self.interval_s > self.base_interval_s and self._quiet % self.policy.quiet_answers == 0:
            faster = self.interval_s * 0.75
            floor = max(self.policy.throttled_interval_s, self.base_interval_s)
            self.interval_s = faster if faster >= floor else self.base_interval_s

    async def _pause_all(self, pause_s: float) -> None:
        """Close the gate for every worker for `pause_s`, jittered."""
        self._open.clear()
        pause = self.jittered(pause_s)
        self.pauses += 1
        self.paused_s += pause
        try:
            await asyncio.sleep(pause)
        finally:
            self._open.set()
