"""Tiny training runs end to end: data in, a model file with its LiteRT copy, metadata and a log out, loadable by
the solver, the same again from the same seed, and under Keras's JAX backend without TensorFlow; a model survives
saving and loading unchanged; a LiteRT copy that reads otherwise than its model is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bsr.cli import app
from solver import Solver
from solver.model import build_model, load_model
from solver.preprocess import preprocess, preprocess_many
from solver.solver import litert_path
from trainer.dataset import load_folder
from trainer.litert import LiteRTCopyError, check_litert, ensure_litert
from trainer.training import TrainingConfig, TrainingResult, save_for_inference, save_keras, train

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
    # The best epoch's LiteRT copy, checked on the four validation captchas.
    assert result.litert_path == litert_path(result.model_path) and result.litert_path.is_file()
    assert metadata["litert"]["file"] == "tiny.tflite" and metadata["litert"]["checked_on"] == 4
    assert metadata["litert"]["largest_difference"] <= 1e-4

    solver = Solver.load(result.model_path)
    assert solver.model_version == "tiny"
    solution = solver.solve((labelled_folder / "00010.jpg").read_bytes())
    assert len(solution.text) == 5 and 0.0 <= solution.confidence <= 1.0


def test_training_is_reproducible(
    tmp_path: Path, tiny_run: tuple[TrainingResult, Steps], labelled_folder: Path
) -> None:
    again = train(tiny_config(tmp_path / "again.keras", labelled_folder))
    first_weights = load_model(tiny_run[0].model_path).get_weights()
    again_weights = load_model(again.model_path).get_weights()
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(first_weights, again_weights, strict=True))


def test_save_load_round_trip(tmp_path: Path, labelled_folder: Path) -> None:
    model = build_model(seed=7)
    images = load_folder(labelled_folder).images
    copy = save_for_inference(model, tmp_path / "round-trip.keras", images)
    assert copy == tmp_path / "round-trip.tflite"
    image = (labelled_folder / "00001.jpg").read_bytes()
    expected = model(preprocess(image)[None, ..., None], training=False).numpy()[0]
    for runtime in ("litert", "keras"):  # the model as saved, read once, by either reader
        solution = Solver.load(tmp_path / "round-trip.keras", reread_below=0.0, runtime=runtime).solve(image)
        assert solution.confidence == pytest.approx(float(np.prod(expected.max(-1))), rel=1e-5)
        assert np.allclose(solution.char_probabilities, expected.max(-1), atol=1e-6)
    assert (tmp_path / "round-trip.keras").stat().st_size < 2 * 1024 * 1024  # no optimizer state


def test_bsr_train_command(tmp_path: Path, labelled_folder: Path) -> None:
    output = tmp_path / "cli.keras"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--real",
            str(labelled_folder),
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--width",
            "0.5",
            "-o",
            str(output),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert output.is_file() and output.with_suffix(".json").is_file()
    assert "validation accuracy" in result.output
    assert json.loads(output.with_suffix(".json").read_text())["training"]["config"]["width"] == 0.5
    assert litert_path(output).is_file()
    model = load_model(output)
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
solver = Solver.load(output, runtime="keras")
image = (folder / "00010.jpg").read_bytes()
print(json.dumps({"epochs": result.epochs_run, "backend": solver.info["backend"], "text": solver.solve(image).text,
                  "litert": [str(result.litert_path), Solver.load(output, runtime="litert").solve(image).text],
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def test_training_runs_under_jax_without_tensorflow(tmp_path: Path, labelled_folder: Path) -> None:
    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    answer = subprocess.run(
        [sys.executable, "-c", TRAIN_WITHOUT_TENSORFLOW, str(labelled_folder), str(tmp_path / "jax.keras")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    read = json.loads(answer.stdout.strip().splitlines()[-1])
    assert read["epochs"] == 2 and read["backend"] == "jax" and not read["tensorflow"]
    assert len(read["text"]) == 5
    # TensorFlow converted the LiteRT copy in a process of its own, which reads the same answer.
    assert read["litert"] == [str(tmp_path / "jax.tflite"), read["text"]]
    assert json.loads((tmp_path / "jax.json").read_text())["training"]["config"]["width"] == 0.5


def test_a_litert_copy_that_reads_otherwise_is_refused_and_removed(tmp_path: Path, labelled_folder: Path) -> None:
    images = load_folder(labelled_folder).images
    save_for_inference(build_model(seed=7), tmp_path / "seven.keras", images)
    save_keras(build_model(seed=8), tmp_path / "eight.keras")
    impostor = Path(shutil.copy(tmp_path / "seven.tflite", tmp_path / "eight.tflite"))
    with pytest.raises(LiteRTCopyError, match=r"reads \d+ of 40 captchas otherwise than Keras"):
        check_litert(tmp_path / "eight.keras", impostor, images)
    assert not impostor.exists()


def test_saving_new_weights_drops_the_old_copy_and_a_missing_copy_is_written(
    tmp_path: Path, labelled_folder: Path
) -> None:
    images = load_folder(labelled_folder).images
    path = tmp_path / "db-20261101-000000.keras"
    save_for_inference(build_model(seed=7), path, images)
    save_keras(build_model(seed=8), path)  # as a training run's next best epoch does, before its copy is written
    assert not litert_path(path).exists()
    assert ensure_litert(path, images) == litert_path(path)  # as for a version registered before copies
    written = litert_path(path).stat().st_mtime_ns
    assert ensure_litert(path, images) == litert_path(path) and litert_path(path).stat().st_mtime_ns == written
    expected = load_model(path).predict_on_batch(
        preprocess_many([(labelled_folder / "00001.jpg").read_bytes()])[..., None]
    )
    solution = Solver.load(path, reread_below=0.0).solve((labelled_folder / "00001.jpg").read_bytes())
    assert np.allclose(solution.char_probabilities, np.asarray(expected)[0].max(-1), atol=1e-5)
