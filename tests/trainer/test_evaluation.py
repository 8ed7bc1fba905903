"""Evaluation through `bsr eval`: any labelled folder (PNG included) gives the figures as one JSON object;
a broken folder gives one clear line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bsr.cli import app
from bsr.cli.errors import run_app
from solver import Solver
from trainer.dataset import load_folder
from trainer.evaluation import calibration, character_errors, confused_pairs, evaluate, refresh_threshold

KEYS = {"n", "accuracy", "char_accuracy", "p50_ms", "p95_ms", "batch_images_per_s", "model"}


def test_eval_json_on_a_png_folder(tmp_path: Path, write_folder: Callable[..., list[str]], configured: str) -> None:
    write_folder(tmp_path, 30, png=True, seed=21)
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["n"] == 30
    assert figures["model"] == Solver.load().model_version
    assert 0.9 <= figures["accuracy"] <= 1.0  # the shipped model reads the replica's captchas too
    assert figures["p50_ms"] > 0 and figures["batch_images_per_s"] > 0


def test_eval_validation_split_only(labelled_folder: Path, configured: str) -> None:
    result = CliRunner().invoke(app, ["eval", str(labelled_folder), "--split", "validation", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["n"] == 4


def test_evaluation_counts_mistakes(labelled_folder: Path) -> None:
    data = load_folder(labelled_folder)
    data.texts[0] = "".join("A" if char != "A" else "C" for char in data.texts[0])  # a label the model cannot read
    figures = evaluate(Solver.load(), data, latency_samples=5)
    assert figures.n == 40
    assert figures.accuracy <= 39 / 40
    assert figures.mistakes and figures.mistakes[0][0] == data.names[0]
    assert figures.char_accuracy < 1.0


def test_confused_pairs_are_counted() -> None:
    assert confused_pairs(["AAQQQ", "QQ234"], ["AACQQ", "QC234"]) == [("Q", "C", 2)]
    truths, readings = ["CCEEF", "CCEEF"], ["GQFEF", "GCEEP"]
    assert confused_pairs(truths, readings, top=None) == [("C", "G", 2), ("C", "Q", 1), ("E", "F", 1), ("F", "P", 1)]
    assert confused_pairs(truths, readings, top=1) == [("C", "G", 2)]
    assert character_errors(truths, readings) == 5


def test_calibration_counts_the_right_answers_in_each_bucket_of_confidence() -> None:
    confidences = [0.1, 0.5, 0.69, 0.7, 0.95, 0.97, 0.99, 1.0, 0.999]
    correct = [False, True, False, True, True, False, True, True, True]
    buckets = calibration(confidences, correct)
    assert [(b.low, b.high) for b in buckets] == [
        (0.0, 0.5),
        (0.5, 0.7),
        (0.7, 0.9),
        (0.9, 0.97),
        (0.97, 0.99),
        (0.99, 1.0),
    ]
    assert [(b.judged, b.accepted) for b in buckets] == [(1, 0), (2, 1), (1, 1), (1, 1), (1, 0), (3, 3)]
    assert buckets[1].accuracy == 0.5


def test_the_refresh_threshold_is_the_cheapest_per_captcha() -> None:
    confidences = [0.95, 0.2, 0.6, 0.99, 0.4]
    correct = [True, False, False, True, True]
    # Refreshing the three below 0.95 costs 3 x 1 s and leaves no wrong answer: 0.6 s per captcha,
    # against 2 x 3 s answering everything, 0.8 s refreshing only 0.2, 0.8 s refreshing all but 0.99.
    cheapest = refresh_threshold(confidences, correct, refresh_s=1.0, wrong_s=3.0)
    assert cheapest.threshold == 0.95
    assert cheapest.cost_s == pytest.approx(0.6) and cheapest.never_refresh_cost_s == pytest.approx(1.2)
    assert (cheapest.refreshed, cheapest.wrong_avoided, cheapest.wrong_answered) == (3, 2, 0)
    assert cheapest.refresh_share == pytest.approx(0.6)
    # When a wrong answer costs little more than a refresh, only the refresh of a reading that is never right pays.
    cheap_wrong = refresh_threshold(confidences, correct, refresh_s=1.0, wrong_s=1.2)
    assert (cheap_wrong.threshold, cheap_wrong.refreshed, cheap_wrong.wrong_answered) == (0.4, 1, 1)
    # Between equally cheap thresholds the lowest wins: refreshing 0.2 alone saves exactly what it costs.
    tie = refresh_threshold([0.2, 0.9], [False, True], refresh_s=1.0, wrong_s=1.0)
    assert (tie.threshold, tie.refreshed) == (0.0, 0)


def test_broken_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    monkeypatch.setattr(sys, "argv", ["bsr", "eval", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        run_app(app)
    assert stop.value.code != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("bsr") and "labels.csv" in error
