"""Model versions: naming a new one, the promotion gate a candidate must pass, and rollback.

A candidate replaces the active model only if it reads the same held-out captchas at least as well."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from solver import Solver, model_in_service
from storage import ModelVersion, Store
from storage.errors import StorageError
from trainer.attempt_dataset import (
    as_captcha_set,
    deduplicate,
    from_timestamp,
    newer_than,
    stored_labels,
)
from trainer.dataset import CaptchaSet, load_folder
from trainer.evaluation import evaluate
from trainer.litert import ensure_litert

# Figure names a model version's metrics use.
ACCURACY = "accuracy"
TRAINED_UNTIL = "trained_until"  # POSIX time of the newest stored label it was trained on
# The gate weighs accuracy only: few timings, one pass for the throughput.
GATE_LATENCY_SAMPLES = 20
GATE_THROUGHPUT_PASSES = 1


class PromotionError(StorageError):
    """A version that cannot or should not become active; the message says why and what to do."""


@dataclass(frozen=True)
class Promotion:
    """What the promotion gate measured: both models on the same captchas, and whether the candidate won."""

    candidate: str
    baseline: str | None  # the model the bot used until now; None where there was none to beat
    evaluated: int
    candidate_accuracy: float | None
    baseline_accuracy: float | None
    promoted: bool
    forced: bool

    def summary(self) -> str:
        if self.baseline is None or self.candidate_accuracy is None or self.baseline_accuracy is None:
            judged = "without a comparison"
        else:
            judged = (
                f"{self.candidate_accuracy:.1%} against {self.baseline} {self.baseline_accuracy:.1%} "
                f"on {self.evaluated} held-out captchas"
            )
        verdict = "promoted" if self.promoted else "not promoted"
        return f"{self.candidate} {verdict}{' (forced)' if self.forced else ''}: {judged}"


def new_version_name(now: datetime | None = None) -> str:
    """A version name that sorts by training time, e.g. db-20261121-143210 (also its file's stem)."""
    return f"db-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}"


def model_path(models_dir: Path, name: str) -> Path:
    """Where a trained version's model file lives; its metadata sits beside it."""
    return Path(models_dir) / f"{name}.keras"


def gate_data(store: Store, candidate: ModelVersion, folder: Path | None = None) -> CaptchaSet:
    """The captchas the gate judges on: stored labels newer than the candidate's training data, plus the
    fixed validation split of a labelled folder if one is given."""
    images, _ = deduplicate(stored_labels(store))
    trained_until = from_timestamp(candidate.metrics.get(TRAINED_UNTIL))
    parts = [as_captcha_set(newer_than(images, trained_until))]
    if folder is not None:
        parts.append(load_folder(folder).split_validation()[1])
    return CaptchaSet.concat(parts)


def gate_accuracy(model_path: str | Path, data: CaptchaSet) -> float:
    """The whole-string accuracy the gate weighs: the model's reading of `data`, with as few timings as will do
    (a version trained before the trainer wrote LiteRT copies gets one, checked on `data`)."""
    ensure_litert(model_path, data.images)
    return evaluate(Solver.load(model_path), data, GATE_LATENCY_SAMPLES, GATE_THROUGHPUT_PASSES).accuracy


def promote(store: Store, name: str, force: bool = False, folder: Path | None = None, model: str = "") -> Promotion:
    """Activates version `name` if it reads the gate's captchas at least as well as the model in service, the
    one the bot runs: `model` (BSR_MODEL) if named, else the active version, else the newest shipped model.

    Raises PromotionError when it does worse (unless forced) or when there is nothing to judge it on."""
    candidate = _registered(store, name)
    if candidate.active:
        raise PromotionError(f"'{name}' is already the active model version")
    if not Path(candidate.path).is_file():
        raise PromotionError(f"the model file of '{name}' is missing at {candidate.path}; train it again")
    in_service = model_in_service(model, store.list_model_versions())
    baseline = in_service.name if in_service else None
    if force:
        store.activate_model_version(name)
        return Promotion(name, baseline, 0, None, None, promoted=True, forced=True)
    if in_service is None:
        store.activate_model_version(name)
        return Promotion(name, None, 0, None, None, promoted=True, forced=False)
    data = gate_data(store, candidate, folder)
    if not len(data):
        raise PromotionError(
            f"no labelled captchas newer than the training data of '{name}' to judge it on; "
            "fetch and relabel more, give --eval-folder, or pass --force"
        )
    candidate_accuracy = gate_accuracy(candidate.path, data)
    baseline_accuracy = gate_accuracy(in_service.path, data)
    promotion = Promotion(
        name,
        baseline,
        len(data),
        candidate_accuracy,
        baseline_accuracy,
        promoted=candidate_accuracy >= baseline_accuracy,
        forced=False,
    )
    if not promotion.promoted:
        raise PromotionError(f"{promotion.summary()}; keep {baseline}, or pass --force to promote anyway")
    store.activate_model_version(name)
    return promotion


def rollback(store: Store) -> ModelVersion:
    """Reactivates the version that was active before the current one; the bot uses it from its next job."""
    return store.roll_back_model_version()


def _registered(store: Store, name: str) -> ModelVersion:
    versions = store.list_model_versions()
    for version in versions:
        if version.name == name:
            return version
    known = ", ".join(version.name for version in versions) or "none; train one with `bsr train --from-db`"
    raise PromotionError(f"no model version '{name}' is registered (registered: {known})")
