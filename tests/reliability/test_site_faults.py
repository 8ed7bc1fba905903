"""The faults of the fault matrix that tests/bot does not already cover: a minimum answer delay, a firewall
block that lasts seconds, a CSV whose buys differ from its sells or is cut inside a character, captcha bodies
that only look like JPEGs, and a 500 on the very first page."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.errors import ReportFormatError
from bot.job import FetchJob, FetchOptions, SecurityStatus
from bot.pacing import ErrorKind, RetryPolicy
from bot.report_csv import parse_report
from solver import Solver
from storage import AsyncStore, Store
from storage.records import AttemptOutcome
from tests.fetching import assert_whole


async def test_answers_faster_than_the_sites_minimum_delay_are_rejected_as_wrong(replica, fetch, store) -> None:
    replica.config.min_answer_delay_s = 30.0  # far longer than an answer takes, even on a busy machine
    summary = await fetch(stock_codes=("2317",), max_attempts=2)
    assert summary.statuses[SecurityStatus.FAILED] == 1
    # What the user sees: every answer rejected with 驗證碼錯誤!, whatever the solver's confidence.
    assert summary.failures["2317"] == "the site said wrong_captcha"
    assert summary.attempts == {AttemptOutcome.REJECTED.value: 2}
    assert replica.stats()["answers_too_fast"] == 2
    assert store.stored_codes(summary.trade_date) == set()


async def test_an_answer_delay_waits_out_the_minimum_and_the_report_is_stored(replica, fetch, store) -> None:
    replica.config.min_answer_delay_s = 2.0
    summary = await fetch(stock_codes=("2506", "3004"), answer_delay_s=2.0)
    assert summary.statuses[SecurityStatus.STORED] == 2, summary.failures
    assert replica.stats()["answers_too_fast"] == 0
    assert store.stored_codes(summary.trade_date) == {"2506", "3004"}


async def test_a_firewall_block_pauses_every_worker_and_the_run_goes_on(
    clocked_replica, solver: Solver, store: Store, tmp_path: Path
) -> None:
    # The replica's clock stands still, so every request falls in one minute however slow the machine: the
    # block page comes at every 11th request (a page, a script or the captcha, as the requests of the two
    # workers interleave), and a block of 0 s lets the next one through. How the pauses grow while a block
    # lasts is tested on Pacing itself (tests/bot/test_pacing.py).
    clocked_replica.config.firewall_requests_per_minute = 10  # two fresh forms and two answers take about forty
    clocked_replica.config.firewall_block_s = 0.0
    policy = RetryPolicy(transient_base_s=0.05, transient_cap_s=0.2, blocked_base_s=0.25, blocked_cap_s=8.0, jitter=0.0)
    options = FetchOptions(
        base_url=clocked_replica.base_url,
        evidence_dir=tmp_path,
        stock_codes=("2506", "3004"),
        rate=0,
        concurrency=2,
        max_attempts=8,
        policy=policy,
    )
    summary = await FetchJob(options, solver, AsyncStore(store)).run()
    assert summary.statuses[SecurityStatus.STORED] == 2, summary.failures
    assert clocked_replica.stats()["firewall_blocked"] >= 3, "the block never happened: the test proves nothing"
    assert summary.errors[ErrorKind.BLOCKED] >= summary.pauses, "one block, one pause of every worker"
    assert summary.paused_s >= 0.25 * summary.pauses


async def test_reports_whose_buys_differ_from_their_sells_are_stored_at_the_first_download(
    replica, fetch, store
) -> None:
    # As about a fifth of the live site's reports do (6 of 27 on 2026-07-29): a real property, not a fault.
    day, market = replica.config.trade_date, replica.state.market
    candidates = ("2506", "3004", "8940", "00918", "2430", "2613", "2114", "2646", "6225", "1229", "7799", "00668")
    served = {code: market.report(day, code) for code in candidates}
    codes = tuple(code for code, report in served.items() if report and report.total_buy != report.total_sell)[:3]
    assert codes, "no generated report of these is unbalanced: the test proves nothing"
    summary = await fetch(stock_codes=codes)
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.failures
    assert summary.attempts == {AttemptOutcome.ACCEPTED.value: len(codes)} and not summary.refused
    for code in codes:
        stored = store.load_report(summary.trade_date, code)
        assert_whole(stored)
        assert (stored.total_buy_shares, stored.total_sell_shares) == (served[code].total_buy, served[code].total_sell)
        assert stored.flags == ()


async def test_captcha_bodies_that_only_look_like_jpegs_cost_a_try_not_the_run(
    replica, fetch, store, tmp_path: Path
) -> None:
    replay = tmp_path / "corrupt"
    replay.mkdir()
    (replay / "labels.csv").write_text("file,label\n" + "".join(f"{n}.jpg,ACDEF\n" for n in range(3)))
    for n in range(3):
        (replay / f"{n}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * (n + 1))
    replica.use_replay(replay)
    summary = await fetch(stock_codes=("2330", "2317"), max_attempts=2)
    assert summary.statuses[SecurityStatus.FAILED] == 2
    assert all("captcha bytes are no image" in reason for reason in summary.failures.values())
    assert summary.answers == 0, "an unreadable captcha is never answered"
    assert store.stored_codes(summary.trade_date) == set()


async def test_a_500_on_the_first_page_is_retried_not_taken_for_a_wrong_url(replica, fetch, store) -> None:
    replica.config.error_rate = 1.0
    policy = RetryPolicy(transient_base_s=0.5, transient_cap_s=0.5, jitter=0.0)
    job = asyncio.create_task(fetch(stock_codes=("2506",), policy=policy))
    for _ in range(3000):  # the first 500, within 30 s
        if replica.stats()["faults_error"]:
            break
        await asyncio.sleep(0.01)
    replica.config.error_rate = 0.0  # the site recovers while the bot waits
    summary = await job
    assert summary.statuses[SecurityStatus.STORED] == 1
    assert store.stored_codes(summary.trade_date) == {"2506"}


def test_a_utf8_report_cut_inside_a_character_is_refused_as_a_bad_download() -> None:
    whole = '\ufeff券商買賣股票成交價量資訊\r\n股票代碼,="2330"\r\n序號,券商'.encode()
    with pytest.raises(ReportFormatError, match="not whole UTF-8"):
        parse_report(whole[:-1], "2330", date(2026, 11, 20), 1, datetime.now(UTC))  # inside 商
