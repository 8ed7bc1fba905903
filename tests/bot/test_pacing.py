"""The shared pace: pauses of every worker that grow while trouble lasts, a pace that throttling halves and a
quiet spell brings back. Pauses are a few milliseconds, and jitter is off or seeded."""

from __future__ import annotations

import asyncio

from bot.pacing import Pacing, RetryPolicy

MS = 0.001
POLICY = RetryPolicy(
    blocked_base_s=MS,
    blocked_cap_s=4 * MS,
    throttled_base_s=MS,
    throttled_cap_s=2 * MS,
    throttled_interval_s=MS,
    slowest_interval_s=8 * MS,
    quiet_answers=3,
    jitter=0.0,
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


async def quiet(pacing: Pacing, answers: int) -> None:
    for _ in range(answers):
        pacing.answered()


async def test_the_first_sign_of_a_spell_halves_the_pace_and_the_others_only_pause() -> None:
    pacing = Pacing(0, POLICY)  # no limit asked for: throttling still imposes one
    await pacing.throttled()
    for _ in range(6):  # a site that throttles every other answer: one spell
        pacing.answered()
        await pacing.throttled()
    assert (pacing.slowdowns, pacing.interval_s) == (1, MS)
    await pacing.throttled()  # signs in a row, without an answer between: the pause grows
    assert pacing.paused_s == (7 * 1 + 2) * MS


async def test_quiet_spells_bring_the_pace_back_and_a_new_spell_halves_it_again() -> None:
    pacing = Pacing(0, POLICY)
    for _ in range(5):
        await pacing.throttled()
        pacing.answered()
        pacing.answered()  # two quiet answers do not end the spell
    assert (pacing.slowdowns, pacing.interval_s) == (1, MS)
    pacing.interval_s = 8 * MS  # the slowest, as after several spells
    await quiet(pacing, 3)
    assert pacing.interval_s == 6 * MS  # a spell ends: a quarter faster
    await pacing.throttled()
    assert pacing.interval_s == 8 * MS  # a new spell: halved, but never slower than the slowest
    await quiet(pacing, 3 * 8)  # 6, 4.5, 3.4, 2.5, 1.9, 1.4, 1.1 ms, then no limit again
    assert pacing.interval_s == pacing.base_interval_s == 0.0


async def test_the_pace_asked_for_is_never_exceeded_when_it_comes_back() -> None:
    pacing = Pacing(1 / (3 * MS), POLICY)
    await pacing.throttled()
    assert pacing.interval_s == 6 * MS
    await quiet(pacing, 30)
    assert pacing.interval_s == 3 * MS


def test_seeded_jitter_is_the_same_on_every_run() -> None:
    policy = RetryPolicy(seed=7)
    assert [Pacing(1, policy).jittered(1.0) for _ in range(2)] == [Pacing(1, policy).jittered(1.0)] * 2
