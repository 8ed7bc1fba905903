"""Cross-validation of a training recipe on real captchas: ten folds by the last digit of the file number, each
read by a model trained on the other nine, so that every captcha is read by a model that never saw it. Each
finished part is saved with its readings and timings in a folder, and a rerun into that folder resumes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from solver import Solver
from solver.solver import REREAD_BELOW, metadata_path, resolve_model
from storage import ConfidenceBucket
from trainer.config import TrainingConfig
from trainer.dataset import CaptchaSet
from trainer.evaluation import (
    LATENCY_SAMPLES,
    RefreshThreshold,
    calibration,
    character_errors,
    confused_pairs,
    measure_latency,
    measure_throughput,
    refresh_threshold,
)
from trainer.litert import ensure_litert
from trainer.training import SYNTHETIC_VALIDATION, ProgressHook, assemble_data, train

# The part of a model trained on no real captcha, which reads all of them.
UNSEEN = "unseen"
MODELS_FOLDER = "models"
# How cross_validate came by a part.
TRAINED, SAVED, READ_AGAIN = "trained", "saved earlier", "read again by its saved model"
# Where files go and how many processes render change no reading, so they are no part of a recipe.
NOT_RECIPE = ("output", "real", "cache_dir", "workers")


class CrossValidationError(ValueError):
    """Saved parts that do not fit the run asked for; the message says what to change."""


@dataclass(frozen=True)
class Reading:
    """One captcha as read by a model that never saw it."""

    file: str
    label: str
    guess: str
    confidence: float
    char_confidences: tuple[float, ...]

    @property
    def correct(self) -> bool:
        return self.guess == self.label


@dataclass
class PartRun:
    """A part of the cross-validation: the model trained without it, and its readings and timings."""

    part: str  # "fold-3", or UNSEEN
    recipe: dict[str, Any]
    readings: list[Reading]
    training_images: int
    epochs_run: int
    best_epoch: int
    train_s: float
    predict_s: float
    images_per_s: float
    p50_ms: float
    p95_ms: float
    model_bytes: int
    device: str
    reread_below: float = 0.0  # the solver's reread threshold it was read with (parts saved before had none)


def part_name(fold: int | None) -> str:
    return UNSEEN if fold is None else f"fold-{fold}"


def shipped_recipe() -> TrainingConfig:
    """The training config the newest shipped model records in its metadata (TrainingConfig's defaults for what
    it does not record), without its time budget: a fold runs all its epochs however busy the machine is."""
    model = resolve_model(None)
    recorded = json.loads(metadata_path(model).read_text()).get("training", {}).get("config", {})
    known = {field.name for field in fields(TrainingConfig)} - {*NOT_RECIPE, "init_model", "max_minutes"}
    return TrainingConfig(output=Path(), **{key: value for key, value in recorded.items() if key in known})


def recipe_of(config: TrainingConfig, limit: int | None, validation_renders: int) -> dict[str, Any]:
    """What decides a part's readings: the training config, the renders that pick its best epoch, and how many
    captchas of each part are read."""
    recipe = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in asdict(config).items()
        if key not in NOT_RECIPE
    }
    return {**recipe, "validation_renders": validation_renders, "held_out_limit": limit}


def held_out_part(data: CaptchaSet, fold: int | None, limit: int | None) -> tuple[CaptchaSet, CaptchaSet]:
    """(training captchas, held-out captchas) of a part: the fold and the rest, or none and all where `fold` is
    None; only the first `limit` held-out captchas where given."""
    training_part, held_out = (CaptchaSet.concat([]), data) if fold is None else data.split_fold(fold)
    if limit is not None:
        held_out = held_out.subset(np.arange(len(held_out)) < limit)
    if not len(held_out) or not held_out.raw:
        raise CrossValidationError(
            f"no captcha with its image bytes to read in {part_name(fold)}: load a labelled folder"
        )
    return training_part, held_out


def run_part(
    data: CaptchaSet,
    fold: int | None,
    config: TrainingConfig,
    out: Path,
    limit: int | None = None,
    validation_renders: int = SYNTHETIC_VALIDATION,
    latency_samples: int = LATENCY_SAMPLES,
    progress: ProgressHook | None = None,
    reread_below: float = REREAD_BELOW,
) -> PartRun:
    """Train on `data` outside `fold` (on no real captcha where `fold` is None) with the recipe's synthetic
    renders, then read the fold (all of `data`), its first `limit` captchas where given, through the Solver.

    The held-out captchas never steer training: best epoch and early stopping go by `validation_renders`
    held-out synthetic renders. A `config.init_model` names the folder of another cross-validation run: the part
    goes on from that run's model of the same part, which never saw the part either."""
    name = part_name(fold)
    training_part, held_out = held_out_part(data, fold, limit)
    init_model = model_file(config.init_model, name) if config.init_model is not None else None
    if init_model is not None and not init_model.is_file():
        raise CrossValidationError(
            f"no model of {name} in {config.init_model} to go on from: run {name} of that "
            "recipe first, or start from scratch"
        )
    part_config = replace(
        config, output=model_file(out, name), real=list(config.real) if fold is not None else [], init_model=init_model
    )
    data_sets = assemble_data(part_config, [training_part], CaptchaSet.concat([]), "", validation_renders)
    result = train(part_config, progress, data_sets)
    run = PartRun(
        name,
        recipe_of(config, limit, validation_renders),
        [],
        result.training_images,
        result.epochs_run,
        result.best_epoch,
        result.seconds,
        0.0,
        0.0,
        0.0,
        0.0,
        result.model_path.stat().st_size,
        "",
    )
    return read_part(run, held_out, out, latency_samples, reread_below)


def model_file(out: Path, part: str) -> Path:
    return out / MODELS_FOLDER / f"{part}.keras"


def read_part(run: PartRun, held_out: CaptchaSet, out: Path, latency_samples: int, reread_below: float) -> PartRun:
    """`run` with the readings, timings and device of its saved model reading `held_out` through the Solver,
    saved in `out`."""
    path = model_file(out, run.part)
    if not path.is_file():
        raise CrossValidationError(
            f"{run.part} was read with reread threshold {run.reread_below:g} and its model "
            f"{path} is gone: give --reread-below {run.reread_below:g}, or delete the part"
        )
    ensure_litert(path, held_out.images)  # a part saved before the trainer wrote LiteRT copies
    solver = Solver.load(path, reread_below)
    solutions, images_per_s = measure_throughput(solver, held_out.raw)
    p50_ms, p95_ms = measure_latency(solver, held_out.raw, latency_samples)
    readings = [
        Reading(file, label, solution.text, solution.confidence, solution.char_probabilities)
        for file, label, solution in zip(held_out.names, held_out.texts, solutions, strict=True)
    ]
    run = replace(
        run,
        readings=readings,
        predict_s=len(readings) / images_per_s,
        images_per_s=images_per_s,
        p50_ms=p50_ms,
        p95_ms=p95_ms,
        device=solver.device,
        reread_below=reread_below,
    )
    save_part(out, run)
    return run


def save_part(out: Path, run: PartRun) -> Path:
    """Write a finished part as JSON in `out`, whole or not at all."""
    path = out / f"{run.part}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(asdict(run), ensure_ascii=False) + "\n")
    partial.replace(path)
    return path


def load_parts(out: Path) -> list[PartRun]:
    """The parts saved in `out`, in order of their names."""
    runs = []
    for path in sorted(Path(out).glob("*.json")):
        saved = json.loads(path.read_text())
        readings = [
            Reading(**{**reading, "char_confidences": tuple(reading["char_confidences"])})
            for reading in saved.pop("readings")
        ]
        runs.append(PartRun(**saved, readings=readings))
    return runs


def cross_validate(
    data: CaptchaSet,
    folds: Sequence[int | None],
    config: TrainingConfig,
    out: Path,
    limit: int | None = None,
    validation_renders: int = SYNTHETIC_VALIDATION,
    latency_samples: int = LATENCY_SAMPLES,
    progress: ProgressHook | None = None,
    on_part: Callable[[PartRun, str], None] | None = None,
    reread_below: float = REREAD_BELOW,
) -> list[PartRun]:
    """Each part of `folds` (a fold's digit, or None: a model trained on no real captcha reads all of `data`),
    loaded where `out` holds it already (read again by its saved model where it was read with another reread
    threshold) and trained and read otherwise; `on_part(run, how)` after each, `how` TRAINED, SAVED or READ_AGAIN.

    CrossValidationError, before anything runs, where `out` holds parts of another recipe."""
    out.mkdir(parents=True, exist_ok=True)
    recipe = recipe_of(config, limit, validation_renders)
    # A part saved before a field of the config existed was trained at that field's default.
    defaults = recipe_of(TrainingConfig(output=Path()), limit, validation_renders)
    saved = {run.part: run for run in load_parts(out)}
    for run in saved.values():
        saved_recipe = {**defaults, **run.recipe}
        if saved_recipe != recipe:
            differences = ", ".join(
                f"{key} {saved_recipe.get(key)!r} there, {value!r} now"
                for key, value in recipe.items()
                if saved_recipe.get(key) != value
            )
            raise CrossValidationError(
                f"{out} holds {run.part} of another recipe ({differences}): "
                "give another --name or --out, or delete that folder"
            )
    runs = []
    for fold in folds:
        run = saved.get(part_name(fold))
        how = SAVED
        if run is None:
            how = TRAINED
            run = run_part(data, fold, config, out, limit, validation_renders, latency_samples, progress, reread_below)
        elif run.reread_below != reread_below:
            how = READ_AGAIN
            run = read_part(run, held_out_part(data, fold, limit)[1], out, latency_samples, reread_below)
        if on_part is not None:
            on_part(run, how)
        runs.append(run)
    return runs


@dataclass
class CrossValidation:
    """The figures of all readings of saved parts."""

    parts: list[PartRun]
    n: int
    wrong: int
    char_errors: int
    confusions: list[tuple[str, str, int]]
    buckets: list[ConfidenceBucket]
    threshold: RefreshThreshold
    mistakes: list[Reading]  # the most confident first: those no threshold catches

    @property
    def error_rate(self) -> float:
        return self.wrong / self.n


def summarise(parts: list[PartRun], refresh_s: float, wrong_s: float) -> CrossValidation:
    """Errors, confusions, calibration and refresh threshold over every reading of `parts`, each file once."""
    readings = [reading for run in parts for reading in run.readings]
    if not readings:
        raise CrossValidationError("no saved part to summarise: run the cross-validation first")
    files = [reading.file for reading in readings]
    if len(set(files)) != len(files):
        raise CrossValidationError(
            "some captchas were read in more than one saved part: keep one recipe's parts in one folder"
        )
    labels, guesses = [r.label for r in readings], [r.guess for r in readings]
    confidences, correct = [r.confidence for r in readings], [r.correct for r in readings]
    return CrossValidation(
        parts=parts,
        n=len(readings),
        wrong=correct.count(False),
        char_errors=character_errors(labels, guesses),
        confusions=confused_pairs(labels, guesses, top=None),
        buckets=calibration(confidences, correct),
        threshold=refresh_threshold(confidences, correct, refresh_s, wrong_s),
        mistakes=sorted((r for r in readings if not r.correct), key=lambda r: -r.confidence),
    )
