"""The shared pace: pauses of every worker that grow while trouble lasts, a pace that throttling halves and a
quiet spell brings back. Pauses are a few milliseconds, and jitter is off or seeded."""

from __future__ import annotations

import asyncio

from bot.pacing import Pacing, RetryPolicy

MS = 0.001
POLICY = RetryPolicy(
    blocked_base_s=MS, blocked_cap_s=4 * MS, throttled_base_s=MS, throttled_cap_s=2 * MS,
    throttled_interval_s=MS, slowest_interval_s=8 * MS, quiet_answers=3, jitter=0.0,
)


async def test_block_pauses_double_up_to_the_cap_and_start_over_after_an_answer() -> None:
    pacing = Pacing(0, POLICY)
    for _ in range(4):
        await pacing.blocked()
    assert (pacing.pauses, pacing.paused_s) == (4, (1 + 2 + 4 + 4) * MS)
    pacing.answered()
    await pacing.blocked()
    assert pacing.paused_s == (1 + 2 + 4 + 4 + 1) * MS


async def test_workers_meeting_one_block_share_one_pause() -> None:
    pacing = Pacing(0, POLICY)
    await asyncio.gather(pacing.blocked(), pacing.blocked(), pacing.blocked())
    assert (pacing.pauses, pacing.paused_s) == (1, MS)


async def test_throttling_halves_the_pace_at_each_sign_and_a_quiet_spell_brings_it_back() -> None:
    pacing = Pacing(0, POLICY)  # no limit asked for: throttling still imposes one
    for _ in range(5):
        await pacing.throttled()
    assert pacing.interval_s == 8 * MS and pacing.slowdowns == 4  # 1, 2, 4, 8 ms, then the slowest
    assert pacing.paused_s == (1 + 2 + 2 + 2 + 2) * MS
    for _ in range(3):
        pacing.answered()
    assert pacing.interval_s == 6 * MS  # one quiet spell: a quarter faster
    for _ in range(3 * 8):  # 6, 4.5, 3.4, 2.5, 1.9, 1.4, 1.1 ms, then no limit again
        pacing.answered()
    assert pacing.interval_s == pacing.base_interval_s == 0.0


async def test_the_pace_asked_for_is_never_exceeded_when_it_comes_back() -> None:
    pacing = Pacing(1 / (3 * MS), POLICY)
    await pacing.throttled()
    assert pacing.interval_s == 6 * MS
    for _ in range(30):
        pacing.answered()
    assert pacing.interval_s == 3 * MS


def test_seeded_jitter_is_the_same_on_every_run() -> None:
    policy = RetryPolicy(seed=7)
    assert [Pacing(1, policy).jittered(1.0) for _ in range(2)] == [Pacing(1, policy).jittered(1.0)] * 2
