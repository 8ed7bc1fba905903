"""Tiny training runs end to end: data in, a model file with metadata and a log out, loadable by the solver,
the same again from the same seed, and under Keras's JAX backend without TensorFlow; and a model survives saving
and loading unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bsr.cli import app
from solver import Solver
from solver.model import build_model
from solver.preprocess import preprocess
from trainer.training import TrainingConfig, TrainingResult, save_for_inference, train

Steps = list[tuple[int, int]]


def tiny_config(output: Path, folder: Path) -> TrainingConfig:
    return TrainingConfig(output=output, real=[folder], synthetic=96, epochs=2, batch_size=32, seed=1, workers=1)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, labelled_folder: Path) -> tuple[TrainingResult, Steps]:
    steps: Steps = []
    output = tmp_path_factory.mktemp("tiny") / "tiny.keras"
    result = train(tiny_config(output, labelled_folder), progress=lambda epoch, step, logs: steps.append((epoch, step)))
    return result, steps


def test_tiny_training_writes_a_loadable_model(tiny_run: tuple[TrainingResult, Steps], labelled_folder: Path) -> None:
    result, steps = tiny_run
    assert result.model_path.is_file()
    assert result.model_path.stat().st_size < 2 * 1024 * 1024  # the weights alone, no optimizer state
    assert result.training_images == 36 + 96  # the four files numbered *0 are held out
    assert result.epochs_run == 2 and (1, -1) in steps and (0, 1) in steps
    assert 0.0 <= result.validation_accuracy <= 1.0
    metadata = json.loads(result.model_path.with_suffix(".json").read_text())
    assert metadata["alphabet"] == "ACDEFGHJKLNPQRTUVXYZ2346789"
    assert metadata["input_size"] == {"width": 96, "height": 32, "channels": 1}
    assert metadata["validation"]["source"].startswith("real")
    assert metadata["training"]["config"]["synthetic"] == 96
    assert metadata["training"]["config"]["width"] == 1.0
    log = result.model_path.with_suffix(".log.csv").read_text().splitlines()
    assert log[0].startswith("epoch") and len(log) == 3

    solver = Solver.load(result.model_path)
    assert solver.model_version == "tiny"
    solution = solver.solve((labelled_folder / "00010.jpg").read_bytes())
    assert len(solution.text) == 5 and 0.0 <= solution.confidence <= 1.0


def test_training_is_reproducible(tmp_path: Path, tiny_run: tuple[TrainingResult, Steps],
                                  labelled_folder: Path) -> None:
    again = train(tiny_config(tmp_path / "again.keras", labelled_folder))
    first_weights = Solver.load(tiny_run[0].model_path).model.get_weights()
    again_weights = Solver.load(again.model_path).model.get_weights()
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(first_weights, again_weights, strict=True))


def test_save_load_round_trip(tmp_path: Path, labelled_folder: Path) -> None:
    model = build_model(seed=7)
    save_for_inference(model, tmp_path / "round-trip.keras")
    solver = Solver.load(tmp_path / "round-trip.keras", reread_below=0.0)  # the model as saved, read once
    image = (labelled_folder / "00001.jpg").read_bytes()
    expected = model(preprocess(image)[None, ..., None], training=False).numpy()[0]
    solution = solver.solve(image)
    assert solution.confidence == pytest.approx(float(np.prod(expected.max(-1))), rel=1e-5)
    assert np.allclose(solution.char_probabilities, expected.max(-1), atol=1e-6)
    assert (tmp_path / "round-trip.keras").stat().st_size < 2 * 1024 * 1024  # no optimizer state


def test_bsr_train_command(tmp_path: Path, labelled_folder: Path) -> None:
    output = tmp_path / "cli.keras"
    result = CliRunner().invoke(app, ["train", "--real", str(labelled_folder), "--epochs", "1", "--batch-size", "32",
                                      "--width", "0.5", "-o", str(output), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert output.is_file() and output.with_suffix(".json").is_file()
    assert "validation accuracy" in result.output
    assert json.loads(output.with_suffix(".json").read_text())["training"]["config"]["width"] == 0.5
    model = Solver.load(output).model
    assert [layer.filters for layer in model.layers if hasattr(layer, "filters")] == [8, 16, 32, 32, 64, 16]


TRAIN_WITHOUT_TENSORFLOW = """
import importlib.abc, json, sys
from pathlib import Path


class NoTensorFlow(importlib.abc.MetaPathFinder):
    # As on a machine without TensorFlow (a None in sys.modules would make Keras think it in use).
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoTensorFlow())
from solver import Solver
from trainer.training import TrainingConfig, train

folder, output = Path(sys.argv[1]), Path(sys.argv[2])
result = train(TrainingConfig(output=output, real=[folder], epochs=2, batch_size=16, seed=1, workers=1, width=0.5))
solver = Solver.load(output)
print(json.dumps({"epochs": result.epochs_run, "backend": solver.info["backend"],
                  "text": solver.solve((folder / "00010.jpg").read_bytes()).text,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def test_training_runs_under_jax_without_tensorflow(tmp_path: Path, labelled_folder: Path) -> None:
    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    answer = subprocess.run([sys.executable, "-c", TRAIN_WITHOUT_TENSORFLOW, str(labelled_folder),
                             str(tmp_path / "jax.keras")], env=environment, capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr[-3000:]
    read = json.loads(answer.stdout.strip().splitlines()[-1])
    assert read["epochs"] == 2 and read["backend"] == "jax" and not read["tensorflow"]
    assert len(read["text"]) == 5
    assert json.loads((tmp_path / "jax.json").read_text())["training"]["config"]["width"] == 0.5
