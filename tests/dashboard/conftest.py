"""Fixtures of the dashboard's tests: a SQLite store filled through the Store's own methods, and the app on it.

Job runs, reports (one with a hostile broker name) and solve attempts whose captcha images are rendered from
known texts, so that tests can type the right answers in the failure queue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from replica.captcha import random_text, render
from solver.alphabet import ALPHABET
from storage import (
    Attempt,
    AttemptOutcome,
    JobCounts,
    JobStatus,
    LabelSource,
    Missing,
    MissingReason,
    Report,
    Security,
    Store,
)
from testbed.reports import synthetic_report

FINISHED_DATES = (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20))
RUNNING_DATE = date(2026, 11, 21)
CODES = ("2330", "2317", "2454")
FAILED_CODE = "2603"  # failed for good on the last finished day
UNASKED_CODE = "1101"  # listed that day, never asked for
NO_TRADES_CODE = "9999"
# "Now" for the app: the evening of the last finished trade date, Taipei time.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE_NAME = '<script>alert("x")</script>'
HOSTILE_BROKER = "6666"
TRADES_PER_REPORT = 40


@dataclass
class FilledStore:
    """What the fixture stored, so that tests know the answers."""

    url: str
    truths: dict[int, str] = field(default_factory=dict)  # failure-queue attempt id -> what its image says
    queue: list[int] = field(default_factory=list)  # the failure queue, newest first
    human_labelled: int = 0
    running_job_id: int = 0
    finished_job_ids: list[int] = field(default_factory=list)


def wrong_guess(text: str, rng: random.Random) -> str:
    """The text with one character misread, as a rejected answer has it."""
    position = rng.randrange(len(text))
    other = rng.choice([char for char in ALPHABET if char != text[position]])
    return text[:position] + other + text[position + 1 :]


def _attempt(
    rng: random.Random,
    at: datetime,
    job_run_id: int | None,
    stock_code: str,
    outcome: AttemptOutcome,
    model_version: str,
) -> tuple[Attempt, str]:
    text = random_text(rng)
    guess = text if outcome is AttemptOutcome.ACCEPTED else wrong_guess(text, rng)
    confidence = rng.uniform(0.85, 0.99) if outcome is AttemptOutcome.ACCEPTED else rng.uniform(0.3, 0.7)
    attempt = Attempt(
        attempted_at=at,
        job_run_id=job_run_id,
        stock_code=stock_code,
        image=render(text, rng),
        model_version=model_version,
        guess=guess,
        confidence=confidence,
        latency_ms=rng.uniform(8.0, 30.0),
        outcome=outcome,
    )
    return attempt, text


def _report(stock_code: str, trade_date: date, seed: int) -> Report:
    report = synthetic_report(stock_code, trade_date, records=TRADES_PER_REPORT, seed=seed)
    if stock_code == CODES[0]:
        # A broker name from the site goes through every page and the API: it must come out escaped.
        first = replace(report.trades[0], broker_id=HOSTILE_BROKER, broker_name=HOSTILE_NAME)
        report = replace(report, trades=(first, *report.trades[1:]))
    return report


def fill_store(store: Store, url: str) -> FilledStore:
    rng = random.Random(7)
    filled = FilledStore(url)
    store.upsert_securities(
        [
            Security("2330", "台積電", "股票"),
            Security("2317", "鴻海", "股票"),
            Security("2454", "聯發科", "股票"),
        ]
    )
    rejected: list[tuple[datetime, int, str]] = []
    for day_index, trade_date in enumerate(FINISHED_DATES):
        started = datetime.combine(trade_date, datetime.min.time(), UTC) + timedelta(hours=8, minutes=35)
        job_run_id = store.start_job_run(trade_date, started_at=started)
        filled.finished_job_ids.append(job_run_id)
        model_version = "v1" if day_index == 0 else "v2"
        answers = {"accepted": 0, "rejected": 0}
        for code_index, code in enumerate(CODES):
            at = datetime.combine(trade_date, datetime.min.time(), UTC) + timedelta(hours=9, minutes=code_index)
            # The first report of each day takes two rejected answers before one is accepted.
            for _ in range(2 if code_index == 0 else 0):
                attempt, text = _attempt(rng, at, job_run_id, code, AttemptOutcome.REJECTED, model_version)
                rejected.append((at, store.record_attempt(attempt), text))
                answers["rejected"] += 1
                at += timedelta(seconds=20)
            attempt, _ = _attempt(rng, at, job_run_id, code, AttemptOutcome.ACCEPTED, model_version)
            store.record_attempt(attempt)
            answers["accepted"] += 1
            store.save_report(_report(code, trade_date, seed=day_index * 10 + code_index))
        counts = JobCounts(
            stored=len(CODES), attempts_accepted=answers["accepted"], attempts_rejected=answers["rejected"]
        )
        if trade_date == FINISHED_DATES[-1]:
            no_trades = synthetic_report(NO_TRADES_CODE, trade_date, records=2)
            store.save_report(replace(no_trades, trades=(), rec_count=0, no_trades=True, raw_csv=b""))
            counts = replace(counts, no_trades=1, failed=1)
        status = JobStatus.FAILED if counts.failed else JobStatus.SUCCEEDED
        missing = {FAILED_CODE: Missing(MissingReason.FAILED, "the site said wrong_captcha")} if counts.failed else {}
        store.finish_job_run(job_run_id, status, counts, finished_at=started + timedelta(minutes=50), missing=missing)
    # The exchange's list of the last day: the codes fetched, the one that failed, and one never asked for.
    others = [Security(code, f"證券{code}", "股票") for code in (NO_TRADES_CODE, FAILED_CODE, UNASKED_CODE)]
    store.record_listing([*store.list_securities(), *others], FINISHED_DATES[-1])

    # The oldest failure was labelled by a person already: the solver's confusion shows on the solver page.
    oldest_at, oldest_id, oldest_text = rejected.pop(0)
    store.label_attempt(oldest_id, oldest_text, LabelSource.HUMAN)
    filled.human_labelled = oldest_id
    for _, attempt_id, text in sorted(rejected, reverse=True):
        filled.truths[attempt_id] = text
        filled.queue.append(attempt_id)

    filled.running_job_id = store.start_job_run(RUNNING_DATE, started_at=NOW - timedelta(minutes=20))
    store.update_job_run_counts(filled.running_job_id, JobCounts(planned=4))
    store.save_report(replace(_report("2317", RUNNING_DATE, seed=99), fetched_at=NOW - timedelta(minutes=5)))
    for outcome in (AttemptOutcome.EXPIRED, AttemptOutcome.ACCEPTED):
        attempt, _ = _attempt(rng, NOW, filled.running_job_id, "2317", outcome, "v2")
        store.record_attempt(attempt)
    return filled


@pytest.fixture
def filled_store(tmp_path: Path) -> FilledStore:
    url = f"sqlite:///{tmp_path / 'bsr.sqlite3'}"
    with Store.open(url) as store:
        return fill_store(store, url)


@pytest.fixture
def store(filled_store: FilledStore) -> Iterator[Store]:
    """A second connection to the filled database, to check what the dashboard stored."""
    with Store.open(filled_store.url) as opened:
        yield opened


@pytest.fixture
def client(filled_store: FilledStore) -> Iterator[TestClient]:
    app = create_app(filled_store.url, clock=lambda: NOW)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
