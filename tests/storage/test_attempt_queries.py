"""Solve attempts and the queries over them: labels, the failure queue, acceptance, latency, confusions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from storage import (
    Attempt,
    AttemptOutcome,
    CharConfusion,
    DailyAcceptance,
    JobCounts,
    LabelSource,
    ReportAttempts,
    Security,
    StorageError,
    Store,
    UnknownRecordError,
    normal_label,
)
from testbed.reports import synthetic_report

MakeAttempt = Callable[..., Attempt]
TRADE_DATE = date(2026, 11, 20)


def test_accepted_attempt_is_labelled_by_the_site(store: Store, make_attempt: MakeAttempt) -> None:
    image = b"\xff\xd8 a captcha"
    attempt_id = store.record_attempt(make_attempt(AttemptOutcome.ACCEPTED, guess="QX4T7", image=image))
    stored = store.get_attempt(attempt_id)
    assert (stored.label, stored.label_source, stored.unreadable) == ("QX4T7", LabelSource.SITE, False)
    assert stored.image == image
    assert stored.image_sha256 == hashlib.sha256(image).hexdigest()
    assert stored.attempted_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_rejected_attempt_waits_unlabelled(store: Store, make_attempt: MakeAttempt) -> None:
    stored = store.get_attempt(store.record_attempt(make_attempt(AttemptOutcome.REJECTED)))
    assert (stored.label, stored.label_source, stored.outcome) == (
        None,
        LabelSource.NONE,
        AttemptOutcome.REJECTED,
    )


def test_failure_queue_holds_rejected_unlabelled_readable_attempts_newest_first(
    store: Store, make_attempt: MakeAttempt
) -> None:
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    ids = {
        name: store.record_attempt(make_attempt(outcome, attempted_at=start + timedelta(minutes=minute)))
        for minute, (name, outcome) in enumerate(
            [
                ("old", AttemptOutcome.REJECTED),
                ("accepted", AttemptOutcome.ACCEPTED),
                ("expired", AttemptOutcome.EXPIRED),
                ("labelled", AttemptOutcome.REJECTED),
                ("unreadable", AttemptOutcome.REJECTED),
                ("new", AttemptOutcome.REJECTED),
            ]
        )
    }
    store.label_attempt(ids["labelled"], "acdef")
    store.mark_unreadable(ids["unreadable"])
    assert [stored.id for stored in store.failure_queue(limit=10)] == [ids["new"], ids["old"]]
    assert [stored.id for stored in store.failure_queue(limit=1)] == [ids["new"]]
    assert store.failure_queue_size() == 2
    assert store.get_attempt(ids["labelled"]).label == "ACDEF"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ACDEF", "ACDEF"), ("acdef", "ACDEF"), ("  aCdEf\n", "ACDEF"), ("ac def", "AC DEF"), ("\t ", "")],
)
def test_a_label_is_kept_trimmed_and_in_upper_case_as_the_site_compares(typed: str, stored: str) -> None:
    # Only the form: whether a captcha can read the text at all is the trainer's check, on the solver's alphabet.
    assert normal_label(typed) == stored


def test_clearing_a_label_puts_the_attempt_back_in_the_queue(store: Store, make_attempt: MakeAttempt) -> None:
    attempt_id = store.record_attempt(make_attempt())
    store.label_attempt(attempt_id, "ACDEF")
    store.label_attempt(attempt_id, "", LabelSource.NONE)
    assert [stored.id for stored in store.failure_queue()] == [attempt_id]


def test_labelled_attempts_are_the_training_data(store: Store, make_attempt: MakeAttempt) -> None:
    site = store.record_attempt(make_attempt(AttemptOutcome.ACCEPTED, guess="AAAAA"))
    human = store.record_attempt(make_attempt())
    store.label_attempt(human, "CCCCC")
    unreadable = store.record_attempt(make_attempt())
    store.label_attempt(unreadable, "DDDDD")
    store.mark_unreadable(unreadable)
    store.record_attempt(make_attempt())
    assert [a.id for a in store.labelled_attempts()] == [site, human]
    assert [a.id for a in store.labelled_attempts(sources=[LabelSource.HUMAN])] == [human]
    assert [a.id for a in store.labelled_attempts(after_id=site)] == [human]


def test_labelling_refuses_unknown_attempts_and_empty_labels(store: Store, make_attempt: MakeAttempt) -> None:
    with pytest.raises(UnknownRecordError, match="no solve attempt 404"):
        store.label_attempt(404, "ACDEF")
    with pytest.raises(UnknownRecordError):
        store.mark_unreadable(404)
    attempt_id = store.record_attempt(make_attempt())
    with pytest.raises(StorageError, match="unreadable"):
        store.label_attempt(attempt_id, "  ")
    with pytest.raises(StorageError, match="use one of: site, human, none"):
        store.label_attempt(attempt_id, "ACDEF", "robot")


def test_attempt_of_an_unknown_job_run_or_outcome_is_refused(store: Store, make_attempt: MakeAttempt) -> None:
    with pytest.raises(UnknownRecordError, match="job run 99"):
        store.record_attempt(make_attempt(job_run_id=99))
    with pytest.raises(StorageError, match="unknown attempt outcome 'maybe'"):
        store.record_attempt(make_attempt(outcome="maybe"))
    assert store.failure_queue() == []


def test_daily_acceptance_by_model_version_in_taipei_days(store: Store, make_attempt: MakeAttempt) -> None:
    # 15:59 UTC is 23:59 in Taipei on the 20th; 16:01 UTC is already the 21st there.
    late_20th = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)
    early_21st = datetime(2026, 11, 20, 16, 1, tzinfo=UTC)
    for outcome, version, when in [
        (AttemptOutcome.ACCEPTED, "v1", late_20th),
        (AttemptOutcome.ACCEPTED, "v1", late_20th),
        (AttemptOutcome.REJECTED, "v1", late_20th),
        (AttemptOutcome.EXPIRED, "v1", late_20th),
        (AttemptOutcome.ACCEPTED, "v2", late_20th),
        (AttemptOutcome.REJECTED, "v1", early_21st),
        (AttemptOutcome.ERROR, "v1", early_21st),
    ]:
        store.record_attempt(make_attempt(outcome, model_version=version, attempted_at=when))
    rows = store.acceptance_by_model_version()
    assert rows == [
        DailyAcceptance(date(2026, 11, 20), "v1", accepted=2, rejected=1, expired=1, error=0),
        DailyAcceptance(date(2026, 11, 20), "v2", accepted=1, rejected=0, expired=0, error=0),
        DailyAcceptance(date(2026, 11, 21), "v1", accepted=0, rejected=1, expired=0, error=1),
    ]
    assert rows[0].rate == pytest.approx(2 / 3)
    assert rows[2].rate == 0.0
    assert [row.day for row in store.acceptance_by_model_version(since=date(2026, 11, 21))] == [date(2026, 11, 21)]


def test_attempts_per_stored_report_count_attempts_of_job_runs_of_its_date(
    store: Store, make_attempt: MakeAttempt
) -> None:
    run = store.start_job_run(TRADE_DATE)
    earlier_run = store.start_job_run(date(2026, 11, 19))
    for code, attempts in [("2330", 3), ("2317", 1)]:
        for _ in range(attempts):
            store.record_attempt(make_attempt(stock_code=code, job_run_id=run))
        store.save_report(synthetic_report(stock_code=code, trade_date=TRADE_DATE, records=10))
    store.record_attempt(make_attempt(stock_code="2330", job_run_id=earlier_run))
    store.record_attempt(make_attempt(stock_code="2330", job_run_id=None))
    store.save_report(synthetic_report(stock_code="1101", trade_date=TRADE_DATE, records=10))
    store.save_report(synthetic_report(stock_code="2330", trade_date=date(2026, 11, 19), records=10))
    assert store.attempts_per_report(TRADE_DATE) == [
        ReportAttempts(TRADE_DATE, "1101", 0),
        ReportAttempts(TRADE_DATE, "2317", 1),
        ReportAttempts(TRADE_DATE, "2330", 3),
    ]
    assert store.attempts_per_report()[0] == ReportAttempts(date(2026, 11, 19), "2330", 1)
    assert len(store.attempts_per_report()) == 4


def test_latency_percentiles_by_nearest_rank(store: Store, make_attempt: MakeAttempt) -> None:
    assert store.latency_percentiles().count == 0
    assert store.latency_percentiles().p50 is None
    for latency in range(100, 0, -1):
        store.record_attempt(make_attempt(latency_ms=float(latency)))
    store.record_attempt(make_attempt(latency_ms=500.0, model_version="slow"))
    overall = store.latency_percentiles()
    assert (overall.count, overall.p50, overall.p90, overall.p99) == (101, 51.0, 91.0, 100.0)
    v1 = store.latency_percentiles(model_version="v1")
    assert (v1.count, v1.p50, v1.p90, v1.p99) == (100, 50.0, 90.0, 99.0)
    assert store.latency_percentiles(model_version="slow").p50 == 500.0


def test_char_confusions_come_from_human_labels_only(store: Store, make_attempt: MakeAttempt) -> None:
    for guess, label in [("A7CDE", "ATCDE"), ("Q7XYZ", "QTXY2"), ("ACDEF", "ACDEF"), ("ACD", "ACDEF")]:
        store.label_attempt(store.record_attempt(make_attempt(guess=guess)), label)
    store.record_attempt(make_attempt(AttemptOutcome.ACCEPTED, guess="ZZZZZ"))
    assert store.char_confusions() == [CharConfusion("T", "7", 2), CharConfusion("2", "Z", 1)]


def test_job_runs_record_status_and_counts(store: Store) -> None:
    first = store.start_job_run(TRADE_DATE)
    second = store.start_job_run(TRADE_DATE)
    store.finish_job_run(first, "succeeded", JobCounts(stored=1300, no_trades=40))
    runs = store.list_job_runs()
    assert [run.id for run in runs] == [second, first]
    assert runs[0].status == "running" and runs[0].finished_at is None
    assert runs[1].status == "succeeded" and runs[1].counts == JobCounts(stored=1300, no_trades=40)
    assert runs[1].finished_at is not None and runs[1].finished_at >= runs[1].started_at
    with pytest.raises(StorageError, match="unknown job run status 'done'"):
        store.finish_job_run(second, "done", JobCounts())
    with pytest.raises(UnknownRecordError, match="no job run 77"):
        store.finish_job_run(77, "failed", JobCounts())


def test_securities_are_upserted(store: Store) -> None:
    assert store.upsert_securities([Security("2330", "台積電", "股票"), Security("0050", "元大台灣50", "ETF")]) == 2
    store.upsert_securities([Security("2330", "台積電 (TSMC)", "股票"), Security("030001", "某權證", "認購權證")])
    assert store.list_securities() == [
        Security("0050", "元大台灣50", "ETF"),
        Security("030001", "某權證", "認購權證"),
        Security("2330", "台積電 (TSMC)", "股票"),
    ]
    assert store.list_securities(kind="ETF") == [Security("0050", "元大台灣50", "ETF")]
    assert store.upsert_securities([]) == 0


def test_model_version_registry(store: Store) -> None:
    assert store.active_model_version() is None
    first = store.register_model_version("2026-11-01", "/models/a", {"accuracy": 0.9})
    assert store.register_model_version("2026-11-01", "/models/a", {"accuracy": 0.9}) == first
    with pytest.raises(StorageError, match="already registered"):
        store.register_model_version("2026-11-01", "/models/other")
    store.register_model_version("2026-11-15", "/models/b", {"accuracy": 0.95, "loss": 0.1})
    assert store.activate_model_version("2026-11-01").active
    active = store.activate_model_version("2026-11-15")
    assert active == store.active_model_version()
    assert (active.name, active.path, active.metrics) == (
        "2026-11-15",
        "/models/b",
        {"accuracy": 0.95, "loss": 0.1},
    )
    assert [(v.name, v.active) for v in store.list_model_versions()] == [
        ("2026-11-01", False),
        ("2026-11-15", True),
    ]
    with pytest.raises(UnknownRecordError, match=r"no model version 'nope' is registered \(registered: 2026-11-01"):
        store.activate_model_version("nope")


def test_activating_the_same_version_twice_keeps_one_active(store: Store) -> None:
    store.register_model_version("a", "/a")
    store.activate_model_version("a")
    store.activate_model_version("a")
    assert [v.active for v in store.list_model_versions()] == [True]


def test_the_image_is_loaded_only_when_asked_for(store: Store, make_attempt: MakeAttempt) -> None:
    attempt_id = store.record_attempt(make_attempt(image=b"\xff\xd8jpeg bytes"))
    assert store.get_attempt(attempt_id).image == b"\xff\xd8jpeg bytes"
    assert store.get_attempt(attempt_id, image=False).image is None
    assert [item.image for item in store.failure_queue(images=False)] == [None]
    assert [item.image for item in store.failure_queue()] == [b"\xff\xd8jpeg bytes"]
    store.label_attempt(attempt_id, "ACDEF")
    assert [item.image for item in store.labelled_attempts(images=False)] == [None]
    assert store.labelled_attempts()[0].image == b"\xff\xd8jpeg bytes"
