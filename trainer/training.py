"""Training a captcha model: real folders and/or synthetic captchas in; a model file, its LiteRT copy (which the
solver reads on a CPU) and its metadata out. Seeded, with a fixed validation split, best-checkpointing on
whole-string accuracy, early stopping, a CSV log and a progress bar."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np

from solver.alphabet import ALPHABET, TEXT_LENGTH
from solver.model import build_model
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH
from solver.solver import litert_path, metadata_path
from trainer.config import TrainingConfig
from trainer.dataset import CaptchaSet, load_folder, synthetic
from trainer.litert import write_litert

# Held-out synthetic captchas that validate a model trained without real ones.
SYNTHETIC_VALIDATION = 2000


@dataclass
class TrainingResult:
    model_path: Path
    epochs_run: int
    best_epoch: int
    validation_accuracy: float
    validation_char_accuracy: float
    validation_source: str
    training_images: int
    seconds: float
    litert_path: Path | None = None  # None where TensorFlow, which writes it, is not installed


ProgressHook = Callable[[int, int, dict[str, float]], None]


def sequence_accuracy(model: keras.Model, data: CaptchaSet) -> tuple[float, float, float]:
    """(whole-string accuracy, character accuracy, mean loss) of a model on a set."""
    probabilities = (
        model.predict_on_batch(data.images[..., None])
        if len(data) <= 512
        else np.concatenate(
            [model.predict_on_batch(data.images[start : start + 512, ..., None]) for start in range(0, len(data), 512)]
        )
    )
    labels = data.labels
    correct = probabilities.argmax(-1) == labels
    picked = np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0]
    loss = float(-np.log(np.clip(picked, 1e-7, 1.0)).sum(axis=1).mean() / TEXT_LENGTH)
    return float(correct.all(axis=1).mean()), float(correct.mean()), loss


class BestModel(keras.callbacks.Callback):
    """Keeps the epoch with the best whole-string validation accuracy (lower loss breaks ties), saves it,
    stops after `patience` epochs without improvement or when the time budget is spent."""

    def __init__(self, validation: CaptchaSet, output: Path, patience: int, deadline: float | None):
        super().__init__()
        self.validation = validation
        self.output = output
        self.patience = patience
        self.deadline = deadline
        self.best: tuple[float, float] = (-1.0, 0.0)
        self.best_epoch = 0
        self.best_char_accuracy = 0.0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        accuracy, char_accuracy, loss = sequence_accuracy(self.model, self.validation)
        if logs is not None:
            logs.update(val_sequence_accuracy=accuracy, val_char_accuracy=char_accuracy, val_loss=loss)
        if (accuracy, -loss) > self.best:
            self.best, self.best_epoch, self.best_char_accuracy = (accuracy, -loss), epoch + 1, char_accuracy
            save_keras(self.model, self.output)
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.model.stop_training = True


def save_keras(model: keras.Model, path: Path) -> None:
    """Save weights and architecture without the optimizer's state, which would triple the file; a LiteRT copy of
    the weights before goes, so that the solver never reads it for these."""
    # Rebuilt from its config, not cloned: Keras 3 compiles a clone of a compiled model, optimizer and all.
    clean = keras.Model.from_config(model.get_config())
    clean.set_weights(model.get_weights())
    litert_path(Path(path)).unlink(missing_ok=True)
    clean.save(path)


def save_for_inference(model: keras.Model, path: Path, check_on: np.ndarray) -> Path | None:
    """Save the model as the solver reads it: the model file (save_keras) and its LiteRT copy beside it, checked to
    read `check_on` ((n, height, width) uint8 pixels) as the model does (trainer.litert.write_litert)."""
    save_keras(model, path)
    return write_litert(Path(path), check_on)


class ProgressCallback(keras.callbacks.Callback):
    """Forwards (epoch, step, logs) to a progress hook, e.g. a rich progress bar."""

    def __init__(self, hook: ProgressHook):
        super().__init__()
        self.hook = hook
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.hook(self.epoch, batch + 1, dict(logs or {}))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.hook(epoch, -1, dict(logs or {}))


def prepare_data(config: TrainingConfig) -> tuple[CaptchaSet, CaptchaSet, str]:
    """(training set, validation set, where validation comes from), validation never trained on."""
    real_train, real_validation = [], []
    for folder in config.real:
        training_part, validation_part = load_folder(folder).split_validation()
        real_train.append(training_part)
        real_validation.append(validation_part)
    source = "real: files numbered *0 of " + ", ".join(str(folder) for folder in config.real)
    return assemble_data(config, real_train, CaptchaSet.concat(real_validation), source)


def assemble_data(
    config: TrainingConfig,
    real_training: list[CaptchaSet],
    validation_set: CaptchaSet,
    source: str,
    validation_renders: int = SYNTHETIC_VALIDATION,
) -> tuple[CaptchaSet, CaptchaSet, str]:
    """The real captchas `config.real_repeats` times and `config.synthetic` renders as the training set;
    `validation_renders` held-out synthetic renders validate where `validation_set` is empty."""
    parts = [part for part in real_training for _ in range(config.real_repeats)]
    if config.synthetic:
        parts.append(synthetic(config.synthetic, config.seed, config.workers, config.cache_dir))
    training_set = CaptchaSet.concat(parts)
    if not len(validation_set):
        # Seeds of training renders are config.seed; this one can never collide with them.
        validation_set = synthetic(validation_renders, -1 - config.seed, config.workers, config.cache_dir)
        source = f"synthetic: {validation_renders} held-out renders"
    if not len(training_set):
        raise ValueError("nothing to train on: give --real FOLDER and/or --synthetic COUNT")
    return training_set, validation_set, source


def train(
    config: TrainingConfig,
    progress: ProgressHook | None = None,
    data: tuple[CaptchaSet, CaptchaSet, str] | None = None,
) -> TrainingResult:
    """Train a model as `config` says and write it with its metadata; returns the validation figures.

    `data` (training set, validation set, where validation comes from) replaces what `config` names,
    e.g. stored attempts combined with folders (see trainer.retrain)."""
    started = time.monotonic()
    keras.utils.set_random_seed(config.seed)
    training_set, validation_set, validation_source = data or prepare_data(config)
    if config.init_model is not None:
        model = keras.saving.load_model(config.init_model, compile=False)
    else:
        model = build_model(seed=config.seed, width=config.width)
    steps = -(-len(training_set) // config.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=steps * config.epochs, alpha=0.02
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy")
    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    deadline = started + config.max_minutes * 60 if config.max_minutes else None
    best = BestModel(validation_set, output, config.patience, deadline)
    log = output.with_suffix(".log.csv")
    log.unlink(missing_ok=True)
    callbacks: list[keras.callbacks.Callback] = [best, keras.callbacks.CSVLogger(str(log), append=True)]
    if progress is not None:
        callbacks.append(ProgressCallback(progress))
    epochs_run = fit_epochs(model, training_set, config, callbacks)
    result = TrainingResult(
        output,
        epochs_run,
        best.best_epoch,
        best.best[0],
        best.best_char_accuracy,
        validation_source,
        len(training_set),
        time.monotonic() - started,
    )
    write_metadata(config, result, model.count_params())
    # The best epoch's model, as saved, checked on the captchas that chose it.
    result.litert_path = write_litert(output, validation_set.images)
    return result


def fit_epochs(
    model: keras.Model, data: CaptchaSet, config: TrainingConfig, callbacks: list[keras.callbacks.Callback]
) -> int:
    """Fit up to `config.epochs` epochs, each on its own seeded order of the set, until a callback stops training;
    returns the epochs run. The images stay uint8 until the model's first layer.

    One fit per epoch, on plain arrays, which Keras feeds natively on every backend: fed by a Python generator,
    TensorFlow's steps run slower (its from_generator), and Keras's own shuffling repeats one order every
    epoch under TensorFlow once the seed is set."""
    images, labels = data.images[..., None], data.labels
    orders = np.random.default_rng(config.seed)
    for epoch in range(config.epochs):
        order = orders.permutation(len(data))
        model.fit(
            images[order],
            labels[order],
            batch_size=config.batch_size,
            initial_epoch=epoch,
            epochs=epoch + 1,
            shuffle=False,
            callbacks=callbacks,
            verbose=0,
        )
        if model.stop_training:
            return epoch + 1
    return config.epochs


def write_metadata(config: TrainingConfig, result: TrainingResult, parameters: int) -> dict[str, Any]:
    """The model's metadata file: alphabet, input size, training data and command, validation figures."""
    settings = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(config).items()}
    settings["real"] = [str(folder) for folder in config.real]
    metadata = {
        "version": Path(config.output).stem,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "architecture": "multi-head CNN, 5 softmax heads of 27 classes",
        "parameters": int(parameters),
        "alphabet": ALPHABET,
        "length": TEXT_LENGTH,
        "input_size": {"width": INPUT_WIDTH, "height": INPUT_HEIGHT, "channels": 1},
        "training": {
            "command": shlex.join(["bsr", *sys.argv[1:]]) if Path(sys.argv[0]).name == "bsr" else None,
            "config": settings,
            "images": result.training_images,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "seconds": round(result.seconds, 1),
            "data": "twse-captcha-2019 (from maxmilian/twse_bshtm_captcha, Apache-2.0)" if config.real else None,
        },
        "validation": {
            "source": result.validation_source,
            "accuracy": result.validation_accuracy,
            "char_accuracy": result.validation_char_accuracy,
        },
    }
    metadata_path(Path(config.output)).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    return metadata
