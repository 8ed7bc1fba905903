"""A tiny training run end to end: data in, a model file with metadata and a log out, loadable by the solver."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from solver import Solver
from trainer.training import TrainingConfig, train


def tiny_config(output: Path, folder: Path) -> TrainingConfig:
    return TrainingConfig(output=output, real=[folder], synthetic=160, epochs=2, batch_size=32, seed=1, workers=1)


def test_tiny_training_writes_a_loadable_model(tmp_path: Path, labelled_folder: Path) -> None:
    steps: list[tuple[int, int]] = []
    result = train(tiny_config(tmp_path / "tiny.keras", labelled_folder),
                   progress=lambda epoch, step, logs: steps.append((epoch, step)))
    assert result.model_path.is_file()
    assert result.training_images == 36 + 160  # the four files numbered *0 are held out
    assert result.epochs_run == 2 and (1, -1) in steps
    assert 0.0 <= result.validation_accuracy <= 1.0
    metadata = json.loads((tmp_path / "tiny.json").read_text())
    assert metadata["alphabet"] == "ACDEFGHJKLNPQRTUVXYZ2346789"
    assert metadata["input_size"] == {"width": 96, "height": 32, "channels": 1}
    assert metadata["validation"]["source"].startswith("real")
    log = (tmp_path / "tiny.log.csv").read_text().splitlines()
    assert log[0].startswith("epoch") and len(log) == 3

    solver = Solver.load(tmp_path / "tiny.keras")
    assert solver.model_version == "tiny"
    image = (labelled_folder / "00010.jpg").read_bytes()
    solution = solver.solve(image)
    assert len(solution.text) == 5 and 0.0 <= solution.confidence <= 1.0
    # Saved and loaded weights give the very probabilities of the model that was trained.
    direct = solver.model(solver_input(image), training=False).numpy()
    assert np.allclose(np.prod(direct.max(-1)), solution.confidence, atol=1e-5)


def solver_input(image: bytes) -> np.ndarray:
    from solver.preprocess import preprocess

    return preprocess(image)[None, ..., None]


def test_training_is_reproducible(tmp_path: Path, labelled_folder: Path) -> None:
    first = train(tiny_config(tmp_path / "a.keras", labelled_folder))
    second = train(tiny_config(tmp_path / "b.keras", labelled_folder))
    weights_a = Solver.load(first.model_path).model.get_weights()
    weights_b = Solver.load(second.model_path).model.get_weights()
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(weights_a, weights_b, strict=True))


def test_bsr_train_command(tmp_path: Path, labelled_folder: Path) -> None:
    from typer.testing import CliRunner

    from bsr.cli import app

    output = tmp_path / "cli.keras"
    result = CliRunner().invoke(app, ["train", "--real", str(labelled_folder), "--epochs", "1", "--batch-size", "32",
                                      "-o", str(output), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert output.is_file() and output.with_suffix(".json").is_file()
    assert "validation accuracy" in result.output
