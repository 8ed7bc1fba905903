"""Retraining from the database: the stored labels (plus any folders and synthetic captchas) in, a new
registered model version out, judged on the newest stored labels against the model in service."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from solver import Solver, model_in_service
from solver.solver import metadata_path
from storage import LabelSource, ModelVersion, Store
from trainer.attempt_dataset import (
    EVALUATION_FRACTION,
    as_captcha_set,
    deduplicate,
    split_by_time,
    stored_labels,
    timestamp,
)
from trainer.dataset import CaptchaSet, DatasetError, synthetic
from trainer.evaluation import Evaluation, evaluate
from trainer.litert import ensure_litert
from trainer.training import ProgressHook, TrainingConfig, TrainingResult, prepare_data, train
from trainer.versions import ACCURACY, TRAINED_UNTIL, PromotionError

LATENCY_SAMPLES = 100


@dataclass(frozen=True)
class Retraining:
    """A retraining run: the version it registered, its figures and those of the model it would replace."""

    version: ModelVersion
    training: TrainingResult
    stored_labels: int  # stored labels trained on (after dedupe), the newest held out not counted
    human_labels: int  # of those, labels people gave
    dropped_labels: int  # stored labels no captcha can read (e.g. a stray answer), left out
    started_from: str | None  # the model fine-tuned, or None for fresh weights
    evaluation: Evaluation
    baseline: str | None
    baseline_evaluation: Evaluation | None


def retrain(
    store: Store,
    config: TrainingConfig,
    fresh: bool = False,
    evaluation_fraction: float = EVALUATION_FRACTION,
    progress: ProgressHook | None = None,
    model: str = "",
) -> Retraining:
    """Fine-tunes the model in service (or, `fresh`, new weights) on the stored labels and what `config`
    adds, and registers the result (inactive) under its file's stem with its evaluation figures. The model
    in service is the one the bot runs: `model` (BSR_MODEL) if named, else the active version, else the
    newest shipped model.

    The newest `evaluation_fraction` of the stored labels, and the fixed validation split of `config.real`,
    are never trained on: they pick the best epoch and judge the result."""
    name = Path(config.output).stem
    if any(version.name == name for version in store.list_model_versions()):
        raise PromotionError(f"model version '{name}' is already registered; write the new model under another name")
    images, dropped = deduplicate(stored_labels(store))
    split = split_by_time(images, evaluation_fraction)
    stored_training, stored_evaluation = as_captcha_set(split.training), as_captcha_set(split.evaluation)
    folder_training, folder_validation = CaptchaSet.concat([]), CaptchaSet.concat([])
    if config.real:
        folder_training, folder_validation, _ = prepare_data(replace(config, synthetic=0))
    parts = [stored_training] * config.real_repeats + [folder_training]
    if config.synthetic:
        parts.append(synthetic(config.synthetic, config.seed, config.workers, config.cache_dir))
    training_set = CaptchaSet.concat(parts)
    validation_set = CaptchaSet.concat([stored_evaluation, folder_validation])
    if not len(training_set) or not len(validation_set):
        raise DatasetError(
            f"{len(images)} usable stored labels: too few to train on and judge; fetch and relabel more "
            "(at least two), or add --real folders"
        )
    in_service = model_in_service(model, store.list_model_versions())
    baseline, baseline_path = (in_service.name, in_service.path) if in_service else (None, None)
    started_from = None
    if not fresh:
        started_from = str(config.init_model or baseline_path or "") or None
        config = replace(config, init_model=Path(started_from) if started_from else None)
    source = f"the newest {len(stored_evaluation)} stored labels" + (
        f" and {len(folder_validation)} captchas numbered *0 of {', '.join(map(str, config.real))}"
        if config.real
        else ""
    )
    result = train(config, progress, (training_set, validation_set, source))
    evaluation = evaluate(Solver.load(result.model_path), validation_set, LATENCY_SAMPLES)
    baseline_evaluation = None
    if baseline_path:
        ensure_litert(baseline_path, validation_set.images)  # a version trained before LiteRT copies
        baseline_evaluation = evaluate(Solver.load(baseline_path), validation_set, LATENCY_SAMPLES)
    human = sum(image.source is LabelSource.HUMAN for image in split.training)
    figures = {
        ACCURACY: evaluation.accuracy,
        "char_accuracy": evaluation.char_accuracy,
        "evaluated": float(evaluation.n),
        "p50_ms": evaluation.p50_ms,
        "training_images": float(result.training_images),
        "stored_labels": float(len(split.training)),
        "human_labels": float(human),
    }
    if baseline_evaluation is not None:
        figures["baseline_accuracy"] = baseline_evaluation.accuracy
    if split.trained_until is not None:
        figures[TRAINED_UNTIL] = timestamp(split.trained_until) or 0.0
    _add_metadata(
        result.model_path,
        {
            "evaluation": {
                "on": source,
                **evaluation.summary(),
                "baseline": baseline,
                "baseline_accuracy": baseline_evaluation.accuracy if baseline_evaluation else None,
            },
            "database": {
                "url": store.url,
                "stored_labels": len(split.training),
                "human_labels": human,
                "trained_until": split.trained_until.isoformat() if split.trained_until else None,
                "started_from": started_from,
            },
        },
    )
    version = store.register_model_version(name, Path(result.model_path).resolve(), figures)
    return Retraining(
        version, result, len(split.training), human, dropped, started_from, evaluation, baseline, baseline_evaluation
    )


def _add_metadata(model_file: Path, sections: dict[str, object]) -> None:
    path = metadata_path(Path(model_file))
    metadata = json.loads(path.read_text()) if path.is_file() else {}
    metadata.update(sections)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
