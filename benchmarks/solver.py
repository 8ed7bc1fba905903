"""Print the solver's figures on the real validation split: accuracy, latency and throughput (docs/benchmarks.md).
Also the confidence threshold for at most 1 wrong answer in 2,000, and the public baseline ddddocr. Usage, from the
repository root: python -m benchmarks.solver [DATA_DIR] [--model M] [--compare NAME=PATH ...] [--no-ddddocr] [--json]"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bsr.settings import get_settings
from solver import Solution, Solver
from solver.alphabet import ALPHABET
from solver.solver import metadata_path, resolve_model
from trainer.dataset import CaptchaSet, load_folder
from trainer.evaluation import Evaluation, evaluate
from trainer.litert import ensure_litert

# At most one wrong answer per this many answered captchas.
WRONG_ANSWER_BUDGET = 2000


@dataclass
class Calibration:
    threshold: float
    refresh_share: float
    answered: int
    wrong_answered: int


def calibrate(confidences: list[float], correct: list[bool], budget: int = WRONG_ANSWER_BUDGET) -> Calibration:
    """The lowest confidence threshold whose answers hold at most 1 wrong answer per `budget` captchas."""
    order = np.argsort(confidences)[::-1]
    wrong = np.cumsum(~np.asarray(correct, dtype=bool)[order])
    answered = np.arange(1, len(order) + 1)
    allowed = np.flatnonzero(wrong * budget <= answered)
    if not len(allowed):
        return Calibration(1.0, 1.0, 0, 0)
    # Answer when confidence >= threshold: the least confident answer that keeps within the budget.
    threshold = float(np.asarray(confidences)[order[int(allowed[-1])]])
    answered_mask = np.asarray(confidences) >= threshold
    return Calibration(
        threshold,
        float(1 - answered_mask.mean()),
        int(answered_mask.sum()),
        int((~np.asarray(correct, dtype=bool)[answered_mask]).sum()),
    )


def ddddocr_row(data: CaptchaSet) -> dict[str, float | str | int | None]:
    """ddddocr's reading restricted to the alphabet: its per-step probabilities, the alphabet's columns
    (upper and lower case merged, as the site compares case-insensitively), greedy CTC decoding."""
    import ddddocr

    ocr = ddddocr.DdddOcr(show_ad=False)
    readings, timings = [], []
    columns: list[list[int]] | None = None
    for image in data.raw:
        started = time.perf_counter()
        result = ocr.classification(image, probability=True)
        probabilities = np.asarray(result["probabilities"], dtype=np.float32).reshape(-1, len(result["charset"]))
        if columns is None:
            charset = result["charset"]
            columns = [[0]] + [[i for i, c in enumerate(charset) if c.upper() == char] for char in ALPHABET]
        kept = np.stack([probabilities[:, group].sum(axis=1) for group in columns], axis=1)
        best = kept.argmax(axis=1)
        text, previous = [], 0
        for index in best:
            if index != previous and index != 0:
                text.append(ALPHABET[index - 1])
            previous = index
        readings.append("".join(text))
        timings.append((time.perf_counter() - started) * 1000)
    correct = [reading == truth for reading, truth in zip(readings, data.texts, strict=True)]
    chars = sum(
        a == b
        for reading, truth in zip(readings, data.texts, strict=True)
        for a, b in zip(reading.ljust(5), truth, strict=False)
    )
    return {
        "name": "ddddocr (alphabet-restricted)",
        "n": len(data),
        "accuracy": float(np.mean(correct)),
        "char_accuracy": chars / (5 * len(data)),
        "p50_ms": float(np.percentile(timings, 50)),
        "p95_ms": float(np.percentile(timings, 95)),
        "batch_images_per_s": None,
        "model": "ddddocr",
    }


def model_row(name: str, solver: Solver, data: CaptchaSet) -> tuple[dict[str, float | str | int | None], Evaluation]:
    figures = evaluate(solver, data)
    return {
        "name": name,
        **{key: value for key, value in figures.summary().items() if key not in ("confusions", "mistakes")},
    }, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=get_settings().captcha_data)
    parser.add_argument("--model", default=None, help="the model to measure (default: the shipped one)")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another model to put in the table, e.g. synthetic-only=runs/models/x.keras",
    )
    parser.add_argument("--no-ddddocr", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the figures into the measured model's metadata file (its `evaluation`)",
    )
    args = parser.parse_args()

    _, validation = load_folder(args.data_dir).split_validation()
    # Models trained before the trainer wrote LiteRT copies get theirs, checked on the split.
    for model in [args.model, *(item.partition("=")[2] for item in args.compare)]:
        ensure_litert(resolve_model(model), validation.images)
    solver = Solver.load(args.model)
    rows = []
    main_row, figures = model_row(f"shipped ({solver.model_version})", solver, validation)
    rows.append(main_row)
    for item in args.compare:
        name, _, path = item.partition("=")
        rows.append(model_row(name, Solver.load(path), validation)[0])
    if not args.no_ddddocr:
        rows.append(ddddocr_row(validation))

    solutions: list[Solution] = solver.solve_many(validation.raw)
    calibration = calibrate(
        [s.confidence for s in solutions],
        [s.text == truth for s, truth in zip(solutions, validation.texts, strict=True)],
    )
    report = {
        "data": str(args.data_dir),
        "split": "validation (files numbered *0)",
        "device": solver.info["device"],
        "runtime": solver.info["runtime"],
        "rows": rows,
        "calibration": calibration.__dict__,
        "confusions": figures.confusions,
        "mistakes": figures.summary()["mistakes"],
    }
    if args.record and solver.path is not None:
        metadata_file = metadata_path(solver.path)
        metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
        metadata["evaluation"] = {
            "command": "python -m benchmarks.solver " + " ".join(sys.argv[1:]),
            "load_average": os.getloadavg()[0],
            **report,
        }
        metadata_file.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(
        f"real validation split of {args.data_dir}: {len(validation)} captchas, device {solver.info['device']} "
        f"({solver.info['runtime']}), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n"
    )
    print("| model | whole-string accuracy | character accuracy | p50 ms | p95 ms | batch images/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        batch = "-" if row["batch_images_per_s"] is None else f"{row['batch_images_per_s']:,.0f}"
        print(
            f"| {row['name']} | {row['accuracy']:.2%} | {row['char_accuracy']:.2%} | {row['p50_ms']:.2f} | "
            f"{row['p95_ms']:.2f} | {batch} |"
        )
    print(
        f"\nrefresh below confidence {calibration.threshold:.4f}: refreshes {calibration.refresh_share:.2%} "
        f"of captchas, {calibration.wrong_answered} wrong of {calibration.answered} answered "
        f"(target at most 1 in {WRONG_ANSWER_BUDGET})"
    )
    if figures.confusions:
        print("most confused (truth->read): " + ", ".join(f"{t}->{r} x{c}" for t, r, c in figures.confusions))
    for mistake in figures.mistakes:
        print(f"  wrong: {mistake[0]} truth {mistake[1]} read {mistake[2]} confidence {mistake[3]:.3f}")


if __name__ == "__main__":
    main()
