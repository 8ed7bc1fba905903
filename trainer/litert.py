"""The LiteRT copy of a model file (`<version>.tflite` beside `<version>.keras`), which the solver reads on a CPU.
Converted by TensorFlow in a process of its own, then checked to read as the Keras model does. For a model trained
before the trainer wrote copies: python -m trainer.litert MODEL.keras [--check-on FOLDER]"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from solver.litert_reader import litert_reader
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH
from solver.solver import BATCH_SIZE, litert_path, metadata_path, resolve_model
from trainer.dataset import load_folder, synthetic

# The copy may read no probability further than this from the Keras model's, and no other answer.
TOLERANCE = 1e-4
# Captchas a copy is checked on at most: the first of the set given.
CHECK_LIMIT = 2000
# Renders a copy is checked on where no labelled folder is given.
CHECK_RENDERS = 500
# The converter runs on TensorFlow whatever backend trained the model, in a child process: its C++ log lines stay
# out of the trainer's terminal, and a trainer under Keras's JAX backend needs no TensorFlow of its own.
CONVERT = """
import sys
try:
    import tensorflow
except ImportError:
    sys.exit(3)
import keras
from solver.model import for_inference, load_model
model_file, copy = sys.argv[1], sys.argv[2]
signature = [keras.InputSpec(shape=(None, int(sys.argv[3]), int(sys.argv[4]), 1), dtype="float32")]
for_inference(load_model(model_file)).export(copy, format="litert", verbose=False, input_signature=signature)
"""
TENSORFLOW_MISSING = 3


class LiteRTCopyError(RuntimeError):
    """A LiteRT copy that could not be written, or reads otherwise than its Keras model; the message says what to do."""


class LiteRTCopySkipped(UserWarning):
    """No LiteRT copy written where TensorFlow is not installed (a GPU machine whose CUDA holds JAX alone)."""


def write_litert(model_path: Path, check_on: np.ndarray) -> Path | None:
    """Write the LiteRT copy of the model file at `model_path` beside it, checked on `check_on` ((n, height, width)
    uint8 pixels, the first CHECK_LIMIT): the same answer for every character Keras does not read as a tie, each
    probability within TOLERANCE. Records the check in the model's metadata file where there is one.

    LiteRTCopyError, and no copy, where the conversion fails or the check does; None, a LiteRTCopySkipped warning
    and no copy where TensorFlow is not installed."""
    model_path = Path(model_path)
    copy = litert_path(model_path)
    copy.unlink(missing_ok=True)  # a copy of the weights before, which would read otherwise
    partial = copy.with_name(f"{copy.stem}.partial{copy.suffix}")
    answer = subprocess.run(
        [sys.executable, "-c", CONVERT, str(model_path), str(partial), str(INPUT_HEIGHT), str(INPUT_WIDTH)],
        env=os.environ | {"KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
    )
    if answer.returncode == TENSORFLOW_MISSING:
        warnings.warn(
            f"no LiteRT copy of {model_path} written: TensorFlow is not installed here; the solver reads "
            f"one on a CPU, write it with `python -m trainer.litert {model_path}` where TensorFlow is",
            LiteRTCopySkipped,
            stacklevel=2,
        )
        return None
    if answer.returncode != 0:
        partial.unlink(missing_ok=True)
        last = answer.stderr.strip().splitlines()[-1:] or [f"exit status {answer.returncode}"]
        raise LiteRTCopyError(f"converting {model_path} to LiteRT failed: {last[0]}")
    largest = check_litert(model_path, partial, check_on)
    partial.replace(copy)
    record_check(model_path, copy, len(check_on[:CHECK_LIMIT]), largest)
    return copy


def check_litert(model_path: Path, copy: Path, images: np.ndarray) -> float:
    """The largest difference between the probabilities of the Keras model at `model_path` and of its LiteRT `copy`
    on `images`; LiteRTCopyError, the copy removed, where they differ by more than TOLERANCE or in an answer."""
    from solver.model import load_model

    images = images[:CHECK_LIMIT]
    if not len(images):
        raise LiteRTCopyError(f"no captchas to check the LiteRT copy of {model_path} on")
    model = load_model(model_path)
    chunks = range(0, len(images), BATCH_SIZE)
    expected = np.concatenate(
        [np.asarray(model.predict_on_batch(images[start : start + BATCH_SIZE, ..., None])) for start in chunks]
    )
    read = litert_reader(copy)
    got = np.concatenate([read(images[start : start + BATCH_SIZE]) for start in chunks])
    largest = float(np.abs(got - expected).max())
    # Where Keras's two likeliest characters are nearly tied, rounding alone may pick the other: no disagreement.
    top_two = np.sort(expected, axis=-1)[..., -2:]
    decided = top_two[..., 1] - top_two[..., 0] > 2 * TOLERANCE
    disagreeing = int(((got.argmax(-1) != expected.argmax(-1)) & decided).any(axis=-1).sum())
    if largest > TOLERANCE or disagreeing:
        copy.unlink(missing_ok=True)
        raise LiteRTCopyError(
            f"the LiteRT copy of {model_path} reads {disagreeing} of {len(images)} captchas "
            f"otherwise than Keras, probabilities up to {largest:.2g} apart (at most {TOLERANCE:g} "
            "allowed): keep reading it through Keras (Solver.load(runtime='keras')) and report it"
        )
    return largest


def ensure_litert(model_path: str | Path, check_on: np.ndarray) -> Path | None:
    """The LiteRT copy of a model file, written (write_litert) where it is missing, as for a version trained
    before the trainer wrote copies; nothing is loaded where it is there."""
    copy = litert_path(Path(model_path))
    return copy if copy.is_file() else write_litert(Path(model_path), check_on)


def record_check(model_path: Path, copy: Path, checked_on: int, largest: float) -> None:
    """The check of the LiteRT copy in the model's metadata file, where there is one."""
    metadata_file = metadata_path(model_path)
    if not metadata_file.is_file():
        return
    metadata = json.loads(metadata_file.read_text())
    metadata["litert"] = {"file": copy.name, "checked_on": checked_on, "largest_difference": float(f"{largest:.3g}")}
    metadata_file.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model file, a folder holding one, or a shipped version")
    parser.add_argument(
        "--check-on",
        type=Path,
        default=None,
        help=f"a labelled folder whose validation split (files *0) checks the copy (default: "
        f"{CHECK_RENDERS} rendered captchas)",
    )
    args = parser.parse_args()
    model_path = resolve_model(args.model)
    if args.check_on is not None:
        check_on = load_folder(args.check_on).split_validation()[1].images
    else:
        check_on = synthetic(CHECK_RENDERS, seed=-1, workers=1).images
    copy = write_litert(model_path, check_on)
    if copy is None:
        sys.exit(1)
    print(
        f"wrote {copy} ({copy.stat().st_size:,} bytes): it reads {min(len(check_on), CHECK_LIMIT)} captchas as "
        f"{model_path.name} does, probabilities within {TOLERANCE:g}"
    )


if __name__ == "__main__":
    main()
