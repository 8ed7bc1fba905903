"""Evaluating a solver on a labelled set: accuracy, latency, throughput and the most confused characters.

Latency is measured the way the bot pays it: JPEG/PNG bytes in, text out, one image at a time."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from solver import Solution, Solver
from trainer.dataset import CaptchaSet, load_folder

WARM_UP_CALLS = 20
LATENCY_SAMPLES = 300


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
        figures["confusions"] = [{"truth": truth, "read": read, "count": count}
                                 for truth, read, count in self.confusions]
        figures["mistakes"] = [{"file": name, "truth": truth, "read": read, "confidence": confidence}
                               for name, truth, read, confidence in self.mistakes]
        return figures


def confused_pairs(truths: list[str], readings: list[str], top: int = 10) -> list[tuple[str, str, int]]:
    """(true character, character read, count) for the most frequent character mistakes."""
    pairs: Counter[tuple[str, str]] = Counter()
    for truth, reading in zip(truths, readings, strict=True):
        pairs.update((t, r) for t, r in zip(truth, reading, strict=True) if t != r)
    return [(truth, read, count) for (truth, read), count in pairs.most_common(top)]


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


def measure_throughput(solver: Solver, images: list[bytes]) -> tuple[list[Solution], float]:
    """The batched solutions of all images and the images per second it took, decoding included."""
    solver.solve_many(images[:WARM_UP_CALLS])
    started = time.perf_counter()
    solutions = solver.solve_many(images)
    return solutions, len(images) / max(time.perf_counter() - started, 1e-9)


def evaluate(solver: Solver, data: CaptchaSet, latency_samples: int = LATENCY_SAMPLES) -> Evaluation:
    """Read every captcha of `data` (which must keep its raw bytes) and report the figures."""
    if not data.raw:
        raise ValueError("evaluation needs the captchas' original bytes (load them with load_folder)")
    solutions, images_per_s = measure_throughput(solver, data.raw)
    readings = [solution.text for solution in solutions]
    p50, p95 = measure_latency(solver, data.raw, latency_samples)
    correct_chars = sum(t == r for truth, reading in zip(data.texts, readings, strict=True)
                        for t, r in zip(truth, reading, strict=True))
    mistakes = [(name, truth, solution.text, round(solution.confidence, 4))
                for name, truth, solution in zip(data.names, data.texts, solutions, strict=True)
                if solution.text != truth]
    n = len(data)
    return Evaluation(
        n=n,
        accuracy=(n - len(mistakes)) / n if n else float("nan"),
        char_accuracy=correct_chars / (n * len(data.texts[0])) if n else float("nan"),
        p50_ms=round(p50, 3),
        p95_ms=round(p95, 3),
        batch_images_per_s=round(images_per_s, 1),
        model=solver.model_version,
        confusions=confused_pairs(data.texts, readings),
        mistakes=mistakes,
    )


SPLITS = ("all", "validation", "training")


def evaluate_folder(folder: Path, model: str | Path | None = None, split: str = "all") -> Evaluation:
    """Evaluate a model (default: the shipped one) on a labelled folder, or on one side of its fixed split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")
    data = load_folder(folder)
    if split != "all":
        training_part, validation_part = data.split_validation()
        data = validation_part if split == "validation" else training_part
    if not len(data):
        raise ValueError(f"no captchas in {folder} for split {split!r}")
    return evaluate(Solver.load(model), data)
