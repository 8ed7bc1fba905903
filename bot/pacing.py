"""Politeness and retry policy in one place: the shared rate limit, backoffs, and the firewall gate.

Every worker goes through the same `Pacing`, so `--rate` holds across all of them and a block page
pauses them all."""

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
    jitter: float = 0.3  # +-30% so that workers do not retry in lockstep

    def transient_delay(self, failures: int) -> float:
        return self._jittered(min(self.transient_cap_s, self.transient_base_s * 2 ** max(0, failures - 1)))

    def blocked_delay(self, blocks: int) -> float:
        return self._jittered(min(self.blocked_cap_s, self.blocked_base_s * 2 ** max(0, blocks - 1)))

    def _jittered(self, seconds: float) -> float:
        return seconds * random.uniform(1 - self.jitter, 1 + self.jitter)


class Pacing:
    """The rate limit across all workers (0 = none) and the gate the firewall closes."""

    def __init__(self, rate: float, policy: RetryPolicy) -> None:
        self.interval_s = 1.0 / rate if rate > 0 else 0.0
        self.policy = policy
        self._next_slot = time.monotonic()
        self._slot_lock = asyncio.Lock()
        self._open = asyncio.Event()
        self._open.set()
        self._blocks = 0
        self.blocked_s = 0.0

    async def wait_turn(self) -> None:
        """Wait until the gate is open and this worker's slot in the shared rate has come."""
        await self._open.wait()
        if not self.interval_s:
            return
        async with self._slot_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval_s * random.uniform(
                1 - self.policy.jitter, 1 + self.policy.jitter
            )
        await asyncio.sleep(slot - now)

    async def blocked(self) -> None:
        """Close the gate for all workers with a growing pause; the first worker to see the block sets it."""
        if not self._open.is_set():
            await self._open.wait()
            return
        self._open.clear()
        self._blocks += 1
        pause = self.policy.blocked_delay(self._blocks)
        self.blocked_s += pause
        try:
            await asyncio.sleep(pause)
        finally:
            self._open.set()

    def unblocked(self) -> None:
        """A normal answer after a block: the next block starts from the base pause again."""
        self._blocks = 0
