"""Politeness and retry policy in one place: the shared pace, the backoffs and the gate every worker waits at,
so that `--rate` holds across workers and a block page or throttling pauses and slows them all."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after each kind of trouble; doubling from the base up to the cap."""

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
