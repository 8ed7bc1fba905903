"""Cross-validation: a fold trained and read once, saved, and loaded again instead of trained on a rerun; saved
parts of another recipe refused; the figures summed over saved parts of hand-made readings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from solver.solver import metadata_path, resolve_model
from trainer.config import TrainingConfig
from trainer.cross_validation import (
    UNSEEN,
    CrossValidationError,
    PartRun,
    Reading,
    cross_validate,
    load_parts,
    recipe_of,
    save_part,
    shipped_recipe,
    summarise,
)
from trainer.dataset import load_folder

TINY = TrainingConfig(output=Path(), synthetic=32, epochs=1, batch_size=32, seed=1, workers=1)


def test_a_fold_is_read_by_a_model_that_never_saw_it_and_a_rerun_loads_it(labelled_folder: Path,
                                                                          tmp_path: Path) -> None:
    data = load_folder(labelled_folder)
    out = tmp_path / "tiny"
    seen: list[tuple[str, bool]] = []

    def run(config: TrainingConfig) -> list[PartRun]:
        return cross_validate(data, [3], config, out, validation_renders=16, latency_samples=5,
                              on_part=lambda part, resumed: seen.append((part.part, resumed)))

    first = run(TINY)[0]
    assert [reading.file for reading in first.readings] == ["00003.jpg", "00013.jpg", "00023.jpg", "00033.jpg"]
    assert first.training_images == 36 + 32  # the other folds and the renders, never fold 3
    assert all(len(reading.guess) == 5 and len(reading.char_confidences) == 5 for reading in first.readings)
    assert first.model_bytes == (out / "models" / "fold-3.keras").stat().st_size > 0
    assert first.p50_ms > 0 and first.images_per_s > 0 and first.epochs_run == 1
    written = (out / "models" / "fold-3.keras").stat().st_mtime_ns

    again = run(TINY)[0]
    assert seen == [("fold-3", False), ("fold-3", True)]
    assert again == first
    assert (out / "models" / "fold-3.keras").stat().st_mtime_ns == written  # loaded, not trained again

    with pytest.raises(CrossValidationError, match="epochs 1 there, 2 now"):
        run(replace(TINY, epochs=2))
    assert seen[-1] == ("fold-3", True)


def reading(file: str, label: str, guess: str, confidence: float) -> Reading:
    return Reading(file, label, guess, confidence, (confidence,) * 5)


def part(name: str, readings: list[Reading]) -> PartRun:
    return PartRun(name, recipe_of(TINY, None, 16), readings, 10, 1, 1, 1.0, 0.1, 100.0, 1.0, 2.0, 1000, "CPU")


def test_the_summary_counts_every_saved_part(tmp_path: Path) -> None:
    save_part(tmp_path, part("fold-0", [reading("00010.jpg", "CCEEF", "GCEEF", 0.45),
                                        reading("00020.jpg", "ACDEF", "ACDEF", 0.999)]))
    save_part(tmp_path, part("fold-1", [reading("00011.jpg", "HHHHH", "HHHRH", 0.98),
                                        reading("00021.jpg", "ACDEF", "ACDEF", 0.6),
                                        reading("00031.jpg", "23467", "23467", 0.995)]))
    parts = load_parts(tmp_path)
    assert [run.part for run in parts] == ["fold-0", "fold-1"]
    assert parts[0].readings[0].char_confidences == (0.45,) * 5
    figures = summarise(parts, refresh_s=1.0, wrong_s=3.0)
    assert (figures.n, figures.wrong, figures.char_errors) == (5, 2, 2)
    assert figures.error_rate == pytest.approx(0.4)
    assert figures.confusions == [("C", "G", 1), ("H", "R", 1)]
    assert [(bucket.n, bucket.accepted) for bucket in figures.buckets] == [(1, 0), (1, 1), (0, 0), (0, 0), (1, 0),
                                                                           (2, 2)]
    assert [mistake.file for mistake in figures.mistakes] == ["00011.jpg", "00010.jpg"]
    # Refreshing the three below 0.995 costs 3 s and saves both wrong answers, 6 s.
    assert figures.threshold.threshold == 0.995 and figures.threshold.wrong_avoided == 2

    save_part(tmp_path, part(UNSEEN, [reading("00010.jpg", "CCEEF", "CCEEF", 0.9)]))
    with pytest.raises(CrossValidationError, match="more than one saved part"):
        summarise(load_parts(tmp_path), refresh_s=1.0, wrong_s=3.0)


def test_the_default_recipe_is_the_one_the_shipped_model_records() -> None:
    recorded = json.loads(metadata_path(resolve_model(None)).read_text())["training"]["config"]
    recipe = shipped_recipe()
    for key in ("synthetic", "real_repeats", "epochs", "batch_size", "learning_rate", "seed"):
        assert getattr(recipe, key) == recorded[key]
    assert recipe.max_minutes is None and recipe.real == []  # every epoch runs, whatever the machine's load
