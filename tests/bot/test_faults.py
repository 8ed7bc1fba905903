"""The bot against a misbehaving replica: each fault knob on, the download still completes whole.

Each case names the behaviour expected of the bot: retry, back off, refuse and fetch again."""

from __future__ import annotations

import pytest

from bot.errors import SiteChangedError
from bot.job import FetchJob, FetchOptions, SecurityStatus
from bot.pacing import RetryPolicy
from storage import AsyncStore
from tests.fetching import QUICK, assert_whole

# Securities of a few hundred records each: the faults do not care how long a report is.
CODES = ("2506", "3004", "8940", "00918")


@pytest.mark.parametrize(
    ("knobs", "counter"),
    [
        pytest.param({"error_rate": 0.3}, "faults_error", id="http-500-retried-with-backoff"),
        pytest.param({"drop_rate": 0.2}, "faults_dropped", id="dropped-connections-retried"),
        pytest.param({"nonimage_captcha_rate": 0.5}, "faults_nonimage_captcha", id="non-image-captcha-refreshed"),
        pytest.param({"stale_csv_rate": 0.5}, "faults_stale_csv", id="stale-csv-refused-and-fetched-again"),
        pytest.param({"truncated_csv_rate": 0.5}, "faults_truncated_csv", id="truncated-csv-refused-and-fetched-again"),
    ],
)
async def test_each_fault_is_survived_and_every_report_stored_whole(replica, fetch, store, knobs, counter) -> None:
    replica.config.set_faults(knobs)
    # A fault hits any of the several requests a try makes: with 30% of them answering 500 most tries fail, and a
    # security may meet a dozen failures in a row. The budget is wide enough that none runs out of it.
    summary = await fetch(stock_codes=CODES, max_attempts=40)
    assert replica.stats()[counter] > 0, "the fault never happened: the test proves nothing"
    assert summary.statuses[SecurityStatus.STORED] == len(CODES), summary.failures
    for code in CODES:
        assert_whole(store.load_report(summary.trade_date, code))


async def test_slow_answers_beyond_the_timeout_are_retried_then_given_up(
    clocked_replica, solver, store, tmp_path
) -> None:
    # A replica of its own: the answers still on their way when the run gives up must not reach the next test's.
    def slow_from_the_first_query(planned: int) -> None:  # the served date was read in time
        clocked_replica.config.latency_s = 1.5

    options = FetchOptions(
        base_url=clocked_replica.base_url,
        evidence_dir=tmp_path,
        stock_codes=("2330",),
        rate=0,
        max_attempts=2,
        timeout_s=0.5,
        policy=QUICK,
    )
    summary = await FetchJob(options, solver, AsyncStore(store)).run(on_start=slow_from_the_first_query)
    assert summary.statuses[SecurityStatus.FAILED] == 1
    assert "did not answer" in summary.failures["2330"]


async def test_a_changed_layout_stops_the_run_with_the_page_saved(replica, fetch, tmp_path) -> None:
    replica.config.redesign_rate = 1.0
    with pytest.raises(SiteChangedError, match="no #TextBox_Stkno on the form") as raised:
        await fetch(stock_codes=("2330", "2317"), max_attempts=5)
    html, screenshot = raised.value.saved
    assert 'id="TextBox_StockNo"' in html.read_text(encoding="utf-8")
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    # Three fresh loads in a row without the form end the run (the first, the page read for the served date),
    # where retrying would have spent all five tries on each of the two securities.
    assert replica.stats()["faults_redesign"] == RetryPolicy().site_changed_after
