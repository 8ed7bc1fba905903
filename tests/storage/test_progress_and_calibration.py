"""Job runs with given times, a running job's progress and counts, accuracy by confidence bucket, and paging the failure queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from storage import (
    Attempt,
    AttemptOutcome,
    ConfidenceBucket,
    JobCounts,
    JobStatus,
    StorageError,
    Store,
    UnknownRecordError,
)
from storage.job_runs import JOB_RUN_LOST_AFTER
from testbed.reports import synthetic_report

MakeAttempt = Callable[..., Attempt]
TRADE_DATE = date(2026, 11, 20)


def test_a_backfilled_job_run_keeps_the_times_it_is_given(store: Store) -> None:
    started = datetime(2026, 11, 20, 8, 35, tzinfo=UTC)
    job_run_id = store.start_job_run(TRADE_DATE, started_at=started)
    store.finish_job_run(job_run_id, JobStatus.SUCCEEDED, JobCounts(stored=3), finished_at=started + timedelta(hours=1))
    (run,) = store.list_job_runs()
    assert (run.started_at, run.finished_at) == (started, started + timedelta(hours=1))


def test_running_job_counts_can_be_updated_until_it_finishes(store: Store) -> None:
    job_run_id = store.start_job_run(TRADE_DATE)
    store.update_job_run_counts(job_run_id, JobCounts(planned=1300, stored=12))
    store.update_job_run_counts(job_run_id, JobCounts(planned=1300, stored=40, failed=1, attempts_accepted=41))
    (run,) = store.list_job_runs()
    assert (run.status, run.counts) == (
        JobStatus.RUNNING,
        JobCounts(planned=1300, stored=40, failed=1, attempts_accepted=41),
    )
    assert (run.counts.reports, run.counts.attempts) == (40, 41)

    store.finish_job_run(job_run_id, JobStatus.SUCCEEDED, JobCounts(planned=1300, stored=1299, failed=1))
    with pytest.raises(StorageError, match="has finished"):
        store.update_job_run_counts(job_run_id, JobCounts())
    assert store.list_job_runs()[0].counts == JobCounts(planned=1300, stored=1299, failed=1)
    with pytest.raises(UnknownRecordError):
        store.update_job_run_counts(job_run_id + 1, JobCounts())


def test_a_run_that_stops_beating_reads_as_interrupted_at_its_last_heartbeat(store: Store) -> None:
    silent_since = datetime.now(UTC) - JOB_RUN_LOST_AFTER - timedelta(seconds=5)
    killed = store.start_job_run(TRADE_DATE, started_at=silent_since)
    alive = store.start_job_run(TRADE_DATE, started_at=silent_since)
    store.beat_job_run(alive)
    runs = {run.id: run for run in store.list_job_runs()}
    assert (runs[killed].status, runs[killed].finished_at) == (JobStatus.INTERRUPTED, silent_since)
    assert (runs[alive].status, runs[alive].finished_at) == (JobStatus.RUNNING, None)
    assert runs[alive].heartbeat_at > silent_since + JOB_RUN_LOST_AFTER


def test_the_next_run_records_a_killed_run_as_interrupted(store: Store) -> None:
    silent_since = datetime.now(UTC) - JOB_RUN_LOST_AFTER - timedelta(seconds=5)
    killed = store.start_job_run(TRADE_DATE, started_at=silent_since)
    store.start_job_run(TRADE_DATE)
    # Recorded, not only read so: a late sign of life from the killed run changes nothing.
    store.beat_job_run(killed)
    with pytest.raises(StorageError, match=r"has finished \(interrupted\)"):
        store.update_job_run_counts(killed, JobCounts(stored=1))
    assert [(run.status, run.finished_at) for run in store.list_job_runs()] == [
        (JobStatus.RUNNING, None),
        (JobStatus.INTERRUPTED, silent_since),
    ]


def test_job_progress_counts_this_runs_reports_and_attempts(store: Store, make_attempt: MakeAttempt) -> None:
    earlier = replace(
        synthetic_report("2317", TRADE_DATE, records=4, seed=1), fetched_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    store.save_report(earlier)  # stored before the run started: not this run's work
    job_run_id = store.start_job_run(TRADE_DATE)
    now = datetime.now(UTC)
    store.save_report(replace(synthetic_report("2330", TRADE_DATE, records=6, seed=2), fetched_at=now))
    store.save_report(replace(synthetic_report("2454", TRADE_DATE, records=6, seed=3), fetched_at=now))
    store.save_report(
        replace(
            synthetic_report("9999", TRADE_DATE, records=2),
            trades=(),
            rec_count=0,
            no_trades=True,
            fetched_at=now,
        )
    )
    for outcome in [AttemptOutcome.ACCEPTED] * 3 + [AttemptOutcome.REJECTED] * 2 + [AttemptOutcome.EXPIRED]:
        store.record_attempt(make_attempt(outcome, job_run_id=job_run_id))
    store.record_attempt(make_attempt(AttemptOutcome.REJECTED))  # outside any job run

    progress = store.job_run_progress(job_run_id)
    assert (progress.job_run_id, progress.trade_date, progress.stored, progress.no_trades) == (
        job_run_id,
        TRADE_DATE,
        2,
        1,
    )
    assert (progress.accepted, progress.rejected, progress.expired, progress.error, progress.attempts) == (
        3,
        2,
        1,
        0,
        6,
    )
    with pytest.raises(UnknownRecordError):
        store.job_run_progress(job_run_id + 1)


def test_accuracy_by_confidence_counts_judged_attempts_per_bucket(store: Store, make_attempt: MakeAttempt) -> None:
    def record(outcome: AttemptOutcome, confidence: float, model_version: str = "v1") -> None:
        store.record_attempt(replace(make_attempt(outcome, model_version=model_version), confidence=confidence))

    record(AttemptOutcome.ACCEPTED, 0.95)
    record(AttemptOutcome.ACCEPTED, 1.0)  # the top edge belongs to the last bucket
    record(AttemptOutcome.REJECTED, 0.91)
    record(AttemptOutcome.REJECTED, 0.12)
    record(AttemptOutcome.ACCEPTED, 0.5)  # exactly on an edge: the upper bucket
    record(AttemptOutcome.EXPIRED, 0.95)  # the site never judged it
    record(AttemptOutcome.ACCEPTED, 0.3, model_version="v2")

    buckets = store.accuracy_by_confidence(buckets=4)
    assert buckets == [
        ConfidenceBucket.counted(0.0, 0.25, 1, 0),
        ConfidenceBucket.counted(0.25, 0.5, 1, 1),
        ConfidenceBucket.counted(0.5, 0.75, 1, 1),
        ConfidenceBucket.counted(0.75, 1.0, 3, 2),
    ]
    assert buckets[3].accuracy == pytest.approx(2 / 3)
    assert store.accuracy_by_confidence(buckets=4, model_version="v2")[1] == ConfidenceBucket.counted(0.25, 0.5, 1, 1)
    assert [bucket.accuracy for bucket in store.accuracy_by_confidence(buckets=2, model_version="v9")] == [
        None,
        None,
    ]
    with pytest.raises(StorageError, match="buckets"):
        store.accuracy_by_confidence(buckets=0)


def test_failure_queue_pages_on_after_a_skipped_attempt(store: Store, make_attempt: MakeAttempt) -> None:
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    same_time = start + timedelta(minutes=5)
    ids = [
        store.record_attempt(make_attempt(attempted_at=at))
        for at in (start, start + timedelta(minutes=1), same_time, same_time)
    ]
    newest_first = [ids[3], ids[2], ids[1], ids[0]]
    assert [attempt.id for attempt in store.failure_queue()] == newest_first
    assert [attempt.id for attempt in store.failure_queue(after=ids[3])] == newest_first[1:]
    assert [attempt.id for attempt in store.failure_queue(limit=1, after=ids[2])] == [ids[1]]
    assert store.failure_queue(after=ids[0]) == []
    store.label_attempt(ids[2], "QX4T7")  # the anchor may have left the queue meanwhile
    assert [attempt.id for attempt in store.failure_queue(after=ids[2])] == [ids[1], ids[0]]
    with pytest.raises(UnknownRecordError):
        store.failure_queue(after=max(ids) + 100)
