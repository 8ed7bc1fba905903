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
from trainer.evaluation import confused_pairs, evaluate

KEYS = {"n", "accuracy", "char_accuracy", "p50_ms", "p95_ms", "batch_images_per_s", "model"}


def test_eval_json_on_a_png_folder(tmp_path: Path, write_folder: Callable[..., list[str]]) -> None:
    write_folder(tmp_path, 30, png=True, seed=21)
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["n"] == 30
    assert figures["model"] == Solver.load().model_version
    assert 0.9 <= figures["accuracy"] <= 1.0  # the shipped model reads the replica's captchas too
    assert figures["p50_ms"] > 0 and figures["batch_images_per_s"] > 0


def test_eval_validation_split_only(labelled_folder: Path) -> None:
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


def test_broken_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bsr", "eval", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        run_app(app)
    assert stop.value.code != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("bsr") and "labels.csv" in error
