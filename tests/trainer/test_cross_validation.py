"""Cross-validation: a fold trained and read once, saved, and loaded again instead of trained on a rerun, read
again by its saved model for another reread threshold; saved parts of another recipe refused; the figures summed over saved parts of hand-made readings."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from solver.solver import metadata_path, resolve_model
from trainer.config import TrainingConfig
from trainer.cross_validation import (
    READ_AGAIN,
    SAVED,
    TRAINED,
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


def test_a_fold_is_read_by_a_model_that_never_saw_it_and_a_rerun_loads_it(
    labelled_folder: Path, tmp_path: Path
) -> None:
    data = load_folder(labelled_folder)
    out = tmp_path / "tiny"
    seen: list[tuple[str, str]] = []

    def run(config: TrainingConfig, reread_below: float = 0.0) -> list[PartRun]:
        return cross_validate(
            data,
            [3],
            config,
            out,
            validation_renders=16,
            latency_samples=5,
            on_part=lambda part, how: seen.append((part.part, how)),
            reread_below=reread_below,
        )

    first = run(TINY)[0]
    assert [reading.file for reading in first.readings] == ["00003.jpg", "00013.jpg", "00023.jpg", "00033.jpg"]
    assert first.training_images == 36 + 32  # the other folds and the renders, never fold 3
    assert all(len(reading.guess) == 5 and len(reading.char_confidences) == 5 for reading in first.readings)
    assert first.model_bytes == (out / "models" / "fold-3.keras").stat().st_size > 0
    assert first.p50_ms > 0 and first.images_per_s > 0 and first.epochs_run == 1
    assert first.reread_below == 0.0 and first.device == "CPU"
    written = (out / "models" / "fold-3.keras").stat().st_mtime_ns

    again = run(TINY)[0]
    assert seen == [("fold-3", TRAINED), ("fold-3", SAVED)]
    assert again == first
    assert (out / "models" / "fold-3.keras").stat().st_mtime_ns == written  # loaded, not trained again

    # A part saved before the config had a width was trained at the default width.
    saved = json.loads((out / "fold-3.json").read_text())
    del saved["recipe"]["width"]
    (out / "fold-3.json").write_text(json.dumps(saved))
    assert run(TINY)[0].readings == first.readings and seen[2:] == [("fold-3", SAVED)]
    with pytest.raises(CrossValidationError, match="width 1.0 there, 0.5 now"):
        run(replace(TINY, width=0.5))

    # Every captcha of a barely trained model is doubtful at threshold 1.01 and read five ways.
    reread = run(TINY, reread_below=1.01)[0]
    assert seen[-1] == ("fold-3", READ_AGAIN)
    assert (out / "models" / "fold-3.keras").stat().st_mtime_ns == written
    assert (reread.reread_below, reread.training_images, reread.train_s) == (1.01, first.training_images, first.train_s)
    assert [r.file for r in reread.readings] == [r.file for r in first.readings]
    assert [r.confidence for r in reread.readings] != [r.confidence for r in first.readings]
    assert load_parts(out) == [reread]

    with pytest.raises(CrossValidationError, match="epochs 1 there, 2 now"):
        run(replace(TINY, epochs=2))
    assert seen[-1] == ("fold-3", READ_AGAIN)

    (out / "models" / "fold-3.keras").unlink()
    with pytest.raises(CrossValidationError, match="read with reread threshold 1.01 and its model .* is gone"):
        run(TINY)
    assert load_parts(out) == [reread]


def test_a_recipe_goes_on_from_another_runs_model_of_the_same_part(labelled_folder: Path, tmp_path: Path) -> None:
    data = load_folder(labelled_folder)
    first = cross_validate(data, [3], TINY, tmp_path / "first", validation_renders=16, latency_samples=5)[0]
    longer = replace(TINY, init_model=tmp_path / "first", learning_rate=5e-4)
    then = cross_validate(data, [3], longer, tmp_path / "then", validation_renders=16, latency_samples=5)[0]
    recorded = json.loads((tmp_path / "then" / "models" / "fold-3.json").read_text())["training"]["config"]
    assert recorded["init_model"] == str(tmp_path / "first" / "models" / "fold-3.keras")
    assert then.recipe["init_model"] == str(tmp_path / "first")
    assert [r.file for r in then.readings] == [r.file for r in first.readings]
    with pytest.raises(CrossValidationError, match="no model of fold-4 in .*first to go on from"):
        cross_validate(data, [4], longer, tmp_path / "then", validation_renders=16, latency_samples=5)


def test_a_part_saved_without_a_reread_threshold_was_read_once(tmp_path: Path) -> None:
    saved = asdict(part("fold-0", [reading("00010.jpg", "CCEEF", "CCEEF", 0.9)]))
    del saved["reread_below"]
    (tmp_path / "fold-0.json").write_text(json.dumps(saved))
    assert load_parts(tmp_path)[0].reread_below == 0.0


def reading(file: str, label: str, guess: str, confidence: float) -> Reading:
    return Reading(file, label, guess, confidence, (confidence,) * 5)


def part(name: str, readings: list[Reading]) -> PartRun:
    return PartRun(name, recipe_of(TINY, None, 16), readings, 10, 1, 1, 1.0, 0.1, 100.0, 1.0, 2.0, 1000, "CPU")


def test_the_summary_counts_every_saved_part(tmp_path: Path) -> None:
    save_part(
        tmp_path,
        part("fold-0", [reading("00010.jpg", "CCEEF", "GCEEF", 0.45), reading("00020.jpg", "ACDEF", "ACDEF", 0.999)]),
    )
    save_part(
        tmp_path,
        part(
            "fold-1",
            [
                reading("00011.jpg", "HHHHH", "HHHRH", 0.98),
                reading("00021.jpg", "ACDEF", "ACDEF", 0.6),
                reading("00031.jpg", "23467", "23467", 0.995),
            ],
        ),
    )
    parts = load_parts(tmp_path)
    assert [run.part for run in parts] == ["fold-0", "fold-1"]
    assert parts[0].readings[0].char_confidences == (0.45,) * 5
    figures = summarise(parts, refresh_s=1.0, wrong_s=3.0)
    assert (figures.n, figures.wrong, figures.char_errors) == (5, 2, 2)
    assert figures.error_rate == pytest.approx(0.4)
    assert figures.confusions == [("C", "G", 1), ("H", "R", 1)]
    assert [(bucket.judged, bucket.accepted) for bucket in figures.buckets] == [
        (1, 0),
        (1, 1),
        (0, 0),
        (0, 0),
        (1, 0),
        (2, 2),
    ]
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
