"""Stored attempts as training data (what counts as a label, dedupe, time split) and retraining from them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from replica.captcha import render
from solver import Solver
from storage import AttemptOutcome, LabelSource, Store
from tests.trainer.loop_fixtures import record, save_model_reading
from trainer.attempt_dataset import deduplicate, newer_than, split_by_time, stored_labels
from trainer.relabel import mark_unreadable, save_label
from trainer.retrain import retrain
from trainer.training import TrainingConfig
from trainer.versions import TRAINED_UNTIL, PromotionError


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}") as opened:
        yield opened


def test_accepted_answers_and_human_labels_count_unread_and_unreadable_ones_do_not(store: Store) -> None:
    accepted = record(store, "ACDEF", AttemptOutcome.ACCEPTED, 1)
    relabelled = record(store, "GHJKL", AttemptOutcome.REJECTED, 2)
    save_label(store, relabelled, "ghjkl")
    record(store, "NPQRT", AttemptOutcome.REJECTED, 3)  # still waiting in the failure queue
    unreadable = record(store, "UVXYZ", AttemptOutcome.REJECTED, 4)
    mark_unreadable(store, unreadable)
    record(store, "23467", AttemptOutcome.EXPIRED, 5)
    record(store, "ACDEF", AttemptOutcome.ACCEPTED, 6, guess="AC")  # a guess no captcha can read

    images, dropped = deduplicate(stored_labels(store))
    assert [(image.attempt_id, image.label, image.source) for image in images] == [
        (accepted, "ACDEF", LabelSource.SITE),
        (relabelled, "GHJKL", LabelSource.HUMAN),
    ]
    assert dropped == 1


def test_one_example_per_image_dated_by_its_first_showing_with_the_sites_label_first(store: Store) -> None:
    image = render("ACDEF", random.Random(7))
    first = record(store, "ACDEF", AttemptOutcome.REJECTED, 1, image=image)
    save_label(store, first, "ACDEE")  # a person misread it...
    record(store, "ACDEF", AttemptOutcome.ACCEPTED, 9, image=image)  # ...the site later accepted ACDEF
    other = record(store, "GHJKL", AttemptOutcome.ACCEPTED, 5)

    images, _ = deduplicate(stored_labels(store))
    assert [(item.attempt_id, item.label, item.source) for item in images] == [
        (first, "ACDEF", LabelSource.SITE),
        (other, "GHJKL", LabelSource.SITE),
    ]


def test_the_newest_labels_are_held_out_and_nothing_older_leaks_into_them(store: Store) -> None:
    ids = [record(store, "ACDEF", AttemptOutcome.ACCEPTED, minute) for minute in range(10, 0, -1)]
    images, _ = deduplicate(stored_labels(store))
    split = split_by_time(images, evaluation_fraction=0.2)
    assert [image.attempt_id for image in split.evaluation] == [ids[1], ids[0]]  # minutes 9 and 10
    assert [image.attempt_id for image in split.training] == ids[:1:-1]
    assert split.trained_until == split.training[-1].attempted_at
    assert newer_than(images, split.trained_until) == split.evaluation
    assert split_by_time(images[:1]).evaluation == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_by_time(images, 1.5)


def test_retraining_fine_tunes_the_active_model_and_registers_an_inactive_version(store: Store, tmp_path: Path) -> None:
    base = save_model_reading("ACDEF", tmp_path / "models" / "base.keras")
    store.register_model_version("base", base)
    store.activate_model_version("base")
    texts = ["ACDEF", "GHJKL", "NPQRT", "UVXYZ", "23467"]
    for minute in range(20):
        attempt = record(store, texts[minute % 5], AttemptOutcome.REJECTED, minute)
        save_label(store, attempt, texts[minute % 5])
    for minute in range(20, 30):
        record(store, texts[minute % 5], AttemptOutcome.ACCEPTED, minute)

    config = TrainingConfig(output=tmp_path / "models" / "db-test.keras", epochs=1, batch_size=16, seed=1)
    run = retrain(store, config, evaluation_fraction=0.2)

    assert run.version.name == "db-test" and not run.version.active
    assert store.active_model_version().name == "base"
    assert run.started_from == str(base)
    assert (run.stored_labels, run.human_labels, run.evaluation.n) == (24, 20, 6)
    assert run.baseline == "base" and run.baseline_evaluation is not None
    assert run.version.metrics["baseline_accuracy"] == pytest.approx(1 / 6)  # base reads ACDEF only: minute 25
    assert run.version.metrics["evaluated"] == 6
    newest_trained = sorted(stored_labels(store), key=lambda attempt: attempt.attempted_at)[23]
    assert run.version.metrics[TRAINED_UNTIL] == newest_trained.attempted_at.timestamp()
    assert Solver.load(run.version.path).model_version == "db-test"
    metadata = json.loads((tmp_path / "models" / "db-test.json").read_text())
    assert metadata["database"]["human_labels"] == 20 and metadata["evaluation"]["baseline"] == "base"

    with pytest.raises(PromotionError, match="'db-test' is already registered"):
        retrain(store, config)
