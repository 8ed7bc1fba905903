"""Evaluating a solver on a labelled set: accuracy, latency (bytes in, text out, one image at a time, as the bot
pays it), throughput, the most confused characters, how far its confidence can be trusted, and below which
confidence a fresh captcha is cheaper than an answer."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from solver import Solution, Solver
from solver.solver import BATCH_SIZE, resolve_model
from storage import ConfidenceBucket
from trainer.dataset import CaptchaSet, load_folder
from trainer.litert import ensure_litert

WARM_UP_CALLS = 20
LATENCY_SAMPLES = 300
THROUGHPUT_PASSES = 5
# The calibration's buckets of confidence: [0, 0.5), [0.5, 0.7), ..., [0.99, 1].
CONFIDENCE_EDGES = (0.5, 0.7, 0.9, 0.97, 0.99)


@dataclass
class Evaluation:
    n: int
    accuracy: float
    char_accuracy: float
    p50_ms: float
    p95_ms: float
    batch_images_per_s: float
    model: str
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    mistakes: list[tuple[str, str, str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The figures as one JSON-ready object (the keys `bsr eval --json` prints)."""
        figures = asdict(self)
        figures["confusions"] = [
            {"truth": truth, "read": read, "count": count} for truth, read, count in self.confusions
        ]
        figures["mistakes"] = [
            {"file": name, "truth": truth, "read": read, "confidence": confidence}
            for name, truth, read, confidence in self.mistakes
        ]
        return figures


def confused_pairs(truths: list[str], readings: list[str], top: int | None = 10) -> list[tuple[str, str, int]]:
    """(true character, character read, count) for the most frequent character mistakes (all: `top` None)."""
    pairs: Counter[tuple[str, str]] = Counter()
    for truth, reading in zip(truths, readings, strict=True):
        pairs.update((t, r) for t, r in zip(truth, reading, strict=True) if t != r)
    return [(truth, read, count) for (truth, read), count in pairs.most_common(top)]


def character_errors(truths: list[str], readings: list[str]) -> int:
    """How many characters were read wrong, over all texts."""
    return sum(
        t != r for truth, reading in zip(truths, readings, strict=True) for t, r in zip(truth, reading, strict=True)
    )


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], edges: Sequence[float] = CONFIDENCE_EDGES
) -> list[ConfidenceBucket]:
    """The share of right answers in each bucket of confidence: how far the confidence can be trusted."""
    bounds = [0.0, *edges, 1.0]
    buckets = np.searchsorted(np.asarray(edges), np.asarray(confidences, dtype=float), side="right")
    right = np.asarray(correct, dtype=bool)
    return [
        ConfidenceBucket.counted(
            bounds[index], bounds[index + 1], int((buckets == index).sum()), int(right[buckets == index].sum())
        )
        for index in range(len(bounds) - 1)
    ]


@dataclass(frozen=True)
class RefreshThreshold:
    """The cheapest confidence threshold: answer at or above it, take a fresh captcha below it."""

    threshold: float
    cost_s: float  # expected seconds lost per captcha at the threshold
    never_refresh_cost_s: float  # the same, answering every captcha
    n: int
    refreshed: int
    wrong_avoided: int  # wrong readings refreshed instead of answered
    wrong_answered: int

    @property
    def refresh_share(self) -> float:
        return self.refreshed / self.n


def refresh_threshold(
    confidences: Sequence[float], correct: Sequence[bool], refresh_s: float, wrong_s: float
) -> RefreshThreshold:
    """The threshold t that costs least per captcha over these readings, where every captcha read below t is
    refreshed (refresh_s seconds) and every wrong answer at or above it costs wrong_s seconds; right answers
    cost the same whatever t is. Among equally cheap thresholds, the lowest (the fewest refreshes)."""
    confidence = np.asarray(confidences, dtype=float)
    if not len(confidence):
        raise ValueError("a refresh threshold needs at least one reading")
    order = np.argsort(confidence, kind="stable")
    ordered, wrong = confidence[order], ~np.asarray(correct, dtype=bool)[order]
    # t = 0 answers everything; each confidence seen is the other place where the cost can change.
    candidates = np.unique(np.concatenate([[0.0], ordered]))
    refreshed = np.searchsorted(ordered, candidates, side="left")
    wrong_below = np.concatenate([[0], np.cumsum(wrong)])[refreshed]
    costs = (refresh_s * refreshed + wrong_s * (wrong.sum() - wrong_below)) / len(confidence)
    best = int(np.argmin(costs))
    return RefreshThreshold(
        float(candidates[best]),
        float(costs[best]),
        float(costs[0]),
        len(confidence),
        int(refreshed[best]),
        int(wrong_below[best]),
        int(wrong.sum() - wrong_below[best]),
    )


def measure_latency(solver: Solver, images: list[bytes], samples: int = LATENCY_SAMPLES) -> tuple[float, float]:
    """(p50, p95) milliseconds of `solve` on single images, decoding included, after a warm-up."""
    if not images:
        return float("nan"), float("nan")
    for image in images[:WARM_UP_CALLS]:
        solver.solve(image)
    timings = []
    for index in range(samples):
        image = images[index % len(images)]
        started = time.perf_counter()
        solver.solve(image)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95))


def measure_throughput(
    solver: Solver, images: list[bytes], passes: int = THROUGHPUT_PASSES
) -> tuple[list[Solution], float]:
    """The batched solutions of all images and the images per second of reading them all, decoding included:
    the median of `passes` passes, as one pass is short and a shared machine's seconds differ from one pass to
    the next."""
    # A whole batch first: a backend that compiles per batch shape (JAX) must not compile inside the timing.
    solver.solve_many(images[:BATCH_SIZE])
    rates = []
    for _ in range(passes):
        started = time.perf_counter()
        solutions = solver.solve_many(images)
        rates.append(len(images) / max(time.perf_counter() - started, 1e-9))
    return solutions, float(np.median(rates))


def evaluate(
    solver: Solver, data: CaptchaSet, latency_samples: int = LATENCY_SAMPLES, throughput_passes: int = THROUGHPUT_PASSES
) -> Evaluation:
    """Read every captcha of `data` (which must keep its raw bytes) and report the figures."""
    if not data.raw:
        raise ValueError("evaluation needs the captchas' original bytes (load them with load_folder)")
    solutions, images_per_s = measure_throughput(solver, data.raw, throughput_passes)
    readings = [solution.text for solution in solutions]
    p50, p95 = measure_latency(solver, data.raw, latency_samples)
    mistakes = [
        (name, truth, solution.text, round(solution.confidence, 4))
        for name, truth, solution in zip(data.names, data.texts, solutions, strict=True)
        if solution.text != truth
    ]
    n = len(data)
    return Evaluation(
        n=n,
        accuracy=(n - len(mistakes)) / n if n else float("nan"),
        char_accuracy=1 - character_errors(data.texts, readings) / (n * len(data.texts[0])) if n else float("nan"),
        p50_ms=round(p50, 3),
        p95_ms=round(p95, 3),
        batch_images_per_s=round(images_per_s, 1),
        model=solver.model_version,
        confusions=confused_pairs(data.texts, readings),
        mistakes=mistakes,
    )


SPLITS = ("all", "validation", "training")


def evaluate_folder(folder: Path, model: str | Path | None = None, split: str = "all") -> Evaluation:
    """Evaluate a model (default: the shipped one) on a labelled folder, or on one side of its fixed split; a model
    without its LiteRT copy gets one, checked on the folder's captchas."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")
    data = load_folder(folder)
    if split != "all":
        training_part, validation_part = data.split_validation()
        data = validation_part if split == "validation" else training_part
    if not len(data):
        raise ValueError(f"no captchas in {folder} for split {split!r}")
    path = resolve_model(model)
    ensure_litert(path, data.images)
    return evaluate(Solver.load(path), data)
