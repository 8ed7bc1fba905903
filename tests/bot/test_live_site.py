"""The bot against the live site as it was in 2026: its throttling, its report view and its daily rollover.

Each case runs the whole job against the replica's live markup with the fault on, and checks what was stored."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.browser import launch_browser, person_context, person_user_agent
from bot.job import FetchJob, FetchOptions, SecurityStatus
from bot.pacing import ErrorKind, RetryPolicy
from solver import Solver
from storage import AsyncStore, Missing, MissingReason, Store
from storage.report_checks import DoubtKind
from tests.fetching import QUICK, assert_whole

# Securities of a few hundred records each: the throttling does not care how long a report is.
TWELVE = ("7799", "00668", "2506", "3004", "8940", "00918", "2430", "2613", "2114", "2646", "6225", "1229")


def assert_checked(store: Store, trade_date: date, codes: tuple[str, ...]) -> None:
    """Every report stored whole, under its own date, unflagged, the view's 成交股數 one of its two totals."""
    for code in codes:
        report = store.load_report(trade_date, code)
        assert_whole(report)
        assert report.figures is not None and report.figures.trade_date == trade_date
        assert report.figures.traded_shares in (report.total_buy_shares, report.total_sell_shares)
        assert report.flags == ()


async def test_the_throttling_of_2026_costs_pauses_not_the_day(replica, fetch, store, tmp_path: Path) -> None:
    replica.config.set_faults({"forbidden_rate": 0.06, "blank_post_rate": 0.08, "silent_post_rate": 0.05})
    summary = await fetch(stock_codes=TWELVE, concurrency=2)
    stats = replica.stats()
    assert stats["faults_forbidden"] + stats["faults_blank_post"] + stats["faults_silent_post"] > 0, stats
    assert summary.statuses[SecurityStatus.STORED] == len(TWELVE), summary.missing
    assert not summary.missing
    assert summary.errors[ErrorKind.THROTTLED] > 0 and summary.pauses > 0
    assert not (tmp_path / "evidence").exists(), "throttling was saved as a change of the site"
    assert_checked(store, summary.trade_date, TWELVE)


async def test_blank_answers_to_the_post_are_throttling_not_a_redesign(replica, fetch, store, tmp_path) -> None:
    replica.config.blank_post_rate = 0.5
    codes = TWELVE[:3]
    summary = await fetch(stock_codes=codes)
    assert replica.stats()["faults_blank_post"] > 0
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
    assert not (tmp_path / "evidence").exists()


async def test_403s_on_the_csv_and_the_captcha_are_throttling_too(replica, fetch, store) -> None:
    replica.config.set_faults({"forbidden_csv_rate": 0.3, "forbidden_captcha_rate": 0.3})
    codes = TWELVE[:4]
    summary = await fetch(stock_codes=codes)
    assert replica.stats()["faults_forbidden_csv"] and replica.stats()["faults_forbidden_captcha"]
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
    assert_checked(store, summary.trade_date, codes)


async def test_a_client_throttled_for_a_while_slows_down_and_gets_through(replica, fetch, store) -> None:
    # A query asks for about four of the site's pages (answer, captcha, view, CSV): 12 a minute lets about
    # three through before the 403s begin.
    replica.config.set_faults({"throttle_requests_per_minute": 12, "throttle_block_s": 0.5})
    codes = TWELVE[:6]
    summary = await fetch(stock_codes=codes)
    assert replica.stats()["throttled"] > 0
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
    assert summary.slowdowns > 0, "throttling must slow the pace, not just pause"


async def test_a_report_whose_view_disagrees_is_doubted_and_fetched_again(replica, fetch, store) -> None:
    replica.config.view_mismatch_rate = 0.25
    codes = TWELVE[:4]
    summary = await fetch(stock_codes=codes, max_attempts=12)
    served = replica.stats()["faults_view_mismatch"]
    assert served > 0, "the fault never happened: the test proves nothing"
    assert summary.statuses[SecurityStatus.STORED] == len(codes), summary.missing
    # Every view in doubt was refused and its report fetched again, unless it was a security's third download in
    # doubt: that one is stored flagged (three in a row come one time in 64 at this rate).
    downloads = RetryPolicy().doubted_downloads[DoubtKind.TRADED_SHARES]
    refused = summary.errors[ErrorKind.DOUBTED_REPORT]
    assert refused == served - len(summary.flagged) and refused >= (downloads - 1) * len(summary.flagged)
    assert sum(len(reasons) for reasons in summary.refused.values()) == refused
    assert all("成交股數" in reason for reasons in summary.refused.values() for reason in reasons)
    (run,) = store.list_job_runs()
    assert (run.counts.refused, run.counts.flagged) == (refused, len(summary.flagged))
    assert_checked(store, summary.trade_date, tuple(code for code in codes if code not in summary.flagged))
    for code in summary.flagged:
        assert_whole(store.load_report(summary.trade_date, code))


async def test_a_view_that_always_disagrees_is_stored_flagged_after_three_downloads(replica, fetch, store) -> None:
    replica.config.view_mismatch_rate = 1.0  # the view's 成交股數 is neither total, every time
    summary = await fetch(stock_codes=("2506",))
    downloads = RetryPolicy().doubted_downloads[DoubtKind.TRADED_SHARES]
    assert summary.statuses[SecurityStatus.STORED] == 1
    assert summary.answers == downloads and list(summary.flagged) == ["2506"]
    assert len(summary.refused["2506"]) == downloads - 1
    (stored,) = store.report_summaries(summary.trade_date)
    assert stored.flags == summary.flagged["2506"] and "is neither the buys" in stored.flags[0]
    (run,) = store.list_job_runs()
    assert run.counts.flagged == 1


async def test_a_rollover_during_the_run_stores_nothing_under_the_wrong_date(
    replica, solver: Solver, store: Store, tmp_path: Path
) -> None:
    today = replica.config.trade_date
    next_day = today + timedelta(days=3)  # the Monday after the replica's Friday
    codes = TWELVE[:6]
    options = FetchOptions(base_url=replica.base_url, evidence_dir=tmp_path, stock_codes=codes, rate=0, policy=QUICK)

    def roll_over_after_the_first(code: str, status: str) -> None:
        replica.config.trade_date = next_day  # the site begins serving the next day, as around 16:00 Taipei

    summary = await FetchJob(options, solver, AsyncStore(store)).run(on_done=roll_over_after_the_first)
    assert summary.rolled_over_to == next_day
    assert summary.statuses[SecurityStatus.STORED] == 1
    assert store.stored_codes(next_day) == set(), "nothing of the next day is stored by a run of this one"
    (first,) = store.stored_codes(today)
    assert_checked(store, today, (first,))
    assert set(summary.missing) == set(codes) - {first}
    assert set(summary.missing.values()) == {Missing(MissingReason.ROLLED_OVER, f"{next_day:%Y-%m-%d}")}
    assert str(summary.missing[codes[-1]]) == f"not asked: the site serves {next_day:%Y-%m-%d} now"
    (run,) = store.list_job_runs()
    assert run.missing == summary.missing


async def test_the_browser_says_what_a_person_in_taipei_says() -> None:
    async with launch_browser() as browser:
        context = await person_context(browser, await person_user_agent(browser))
        page = await context.new_page()
        user_agent, language, zone = await page.evaluate(
            "[navigator.userAgent, navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone]"
        )
        await context.close()
    assert "Headless" not in user_agent and "Chrome/" in user_agent
    assert (language, zone) == ("zh-TW", "Asia/Taipei")
