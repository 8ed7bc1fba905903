"""The live solver: loads one model version and reads captcha bytes into a Solution.

On a CPU the network is converted to LiteRT when the model loads and read by its XNNPACK kernels (no Keras predict
overhead: single images read about five times as fast as through a compiled TensorFlow function here, batches about
1.5 times, the same probabilities to 1e-5); on a GPU it reads through a compiled TensorFlow function. Batches are
read in chunks. A reading less confident than REREAD_BELOW is read again from the image moved one pixel each way,
and the five readings averaged: cross-validated, that halves the wrong readings for a reread of under 1% of the
captchas (README). TensorFlow is the product's backend; under Keras's JAX backend (KERAS_BACKEND=jax, for a GPU
machine whose CUDA holds JAX and no TensorFlow) the same model file reads through a jitted function instead."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import keras
import numpy as np

from solver.alphabet import ALPHABET
from solver.errors import ModelNotFoundError, SolverError
from solver.model import decode, for_inference
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH, preprocess, preprocess_many, shifted

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODEL_SUFFIX = ".keras"
# Images read at once: through LiteRT the network reads batches of 8 to 256 within 10% of each other here (2,961
# images/s at 8, 3,163 at 128, 3,273 at 256; through TensorFlow 128 read best, 1,788 against 1,640 at 256).
BATCH_SIZE = 128
# Chosen by the cross-validation (benchmarks.solver_cv): below 0.97 the reread reads as well as reading every
# captcha five ways does, for the shipped recipe's folds and for the synthetic-only model alike.
REREAD_BELOW = 0.97
# Whole-pixel moves of the model's input, right, left, down and up: within the training shift's reach.
REREAD_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


@dataclass(frozen=True)
class Solution:
    """What the solver read: the text, its confidence (product of the character probabilities)."""

    text: str
    confidence: float
    char_probabilities: tuple[float, ...]
    model_version: str


def metadata_path(model_path: Path) -> Path:
    """The metadata file that travels with a model file: same name, `.json`."""
    return model_path.with_suffix(".json")


def shipped_versions() -> list[str]:
    """The model versions shipped in solver/models, oldest first."""
    return sorted(path.stem for path in MODELS_DIR.glob(f"*{MODEL_SUFFIX}"))


def resolve_model(model: str | Path | None) -> Path:
    """The model file for a path, a shipped version name, or None (the newest shipped version)."""
    if model is None or str(model) == "":
        versions = shipped_versions()
        if not versions:
            raise ModelNotFoundError(f"no model shipped in {MODELS_DIR}; train one with `bsr train`")
        return MODELS_DIR / f"{versions[-1]}{MODEL_SUFFIX}"
    path = Path(model).expanduser()
    if path.is_dir():
        candidates = sorted(path.glob(f"*{MODEL_SUFFIX}"))
        if candidates:
            return candidates[-1]
    if path.is_file():
        return path
    shipped = MODELS_DIR / f"{model}{MODEL_SUFFIX}"
    if shipped.is_file():
        return shipped
    raise ModelNotFoundError(f"no model at {model!r}: give a {MODEL_SUFFIX} file, a folder holding one, "
                             f"or a shipped version ({', '.join(shipped_versions()) or 'none shipped'})")


class RegisteredVersion(Protocol):
    """A model version as the store registers it (storage's ModelVersion); the solver reads no store itself."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class ModelInService:
    """The model the bot runs: its version name and its model file."""

    name: str
    path: Path


def model_in_service(named: str, versions: Iterable[RegisteredVersion]) -> ModelInService | None:
    """The model the bot runs, which the promotion gate and retraining also judge against: the one `named`
    (BSR_MODEL: a registered version's name, else a file, a folder or a shipped version), else the active
    registered version, else the newest shipped model; None where nothing is named, active or shipped.

    Raises ModelNotFoundError where a named model is nowhere to be found: a typo never falls back silently."""
    versions = list(versions)
    if named:
        registered = next((version for version in versions if version.name == named), None)
        if registered is not None:
            return ModelInService(registered.name, Path(registered.path))
        path = resolve_model(named)
        return ModelInService(path.stem, path)
    active = next((version for version in versions if version.active), None)
    if active is not None:
        return ModelInService(active.name, Path(active.path))
    if not shipped_versions():
        return None
    shipped = resolve_model(None)
    return ModelInService(shipped.stem, shipped)


class Solver:
    """A loaded model version that turns captcha image bytes into Solutions."""

    def __init__(self, model: keras.Model, model_version: str, metadata: dict[str, Any], path: Path | None,
                 reread_below: float = REREAD_BELOW):
        self.model = model
        self.model_version = model_version
        self.metadata = metadata
        self.path = path
        self.alphabet: str = metadata.get("alphabet", ALPHABET)
        self.reread_below = reread_below
        self.device = compute_device()
        self.runtime, self._infer = compiled_reader(for_inference(model), self.device)

    @classmethod
    def load(cls, model: str | Path | None = None, reread_below: float = REREAD_BELOW) -> Solver:
        """Load a model file, a folder holding one, a shipped version name, or (None) the newest shipped one;
        `reread_below` 0 reads each captcha once."""
        path = resolve_model(model)
        metadata_file = metadata_path(path)
        metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
        loaded = keras.saving.load_model(path, compile=False)
        # The file name is the version, so a copied or promoted model never claims another's name.
        return cls(loaded, path.stem, metadata, path, reread_below)

    @property
    def info(self) -> dict[str, Any]:
        """What a user needs to know about the loaded model, including where it runs ('GPU' or 'CPU')."""
        return {
            "model_version": self.model_version,
            "path": str(self.path) if self.path else None,
            "device": self.device,
            "backend": keras.backend.backend(),
            "runtime": self.runtime,
            "alphabet": self.alphabet,
            "input_size": [INPUT_WIDTH, INPUT_HEIGHT],
            "parameters": int(self.model.count_params()),
            "reread_below": self.reread_below,
            "evaluation": self.metadata.get("evaluation", {}),
        }

    def solve(self, image_bytes: bytes) -> Solution:
        """Read one captcha (the site's JPEG or a PNG screenshot of it); SolverInputError if no image."""
        pixels = preprocess(image_bytes)[None]
        return self._solutions(self._read(pixels))[0]

    def solve_many(self, images: list[bytes]) -> list[Solution]:
        """Read many captchas in batches; the answers keep the order of `images`. A worker thread decodes the
        batches ahead while the network reads (OpenCV and the network both let go of the GIL): a core the network
        leaves idle between its layers decodes meanwhile."""
        batches = [images[start: start + BATCH_SIZE] for start in range(0, len(images), BATCH_SIZE)]
        solutions: list[Solution] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="captcha-decoder") as decoder:
            for pixels in decoder.map(preprocess_many, batches):
                solutions.extend(self._solutions(self._read(pixels)))
        return solutions

    async def solve_async(self, image_bytes: bytes) -> Solution:
        """`solve` in a worker thread, so the event loop keeps running while the model reads."""
        return await asyncio.to_thread(self.solve, image_bytes)

    def _read(self, pixels: np.ndarray) -> np.ndarray:
        """(n, length, classes) probabilities of preprocessed captchas, the doubtful ones averaged over five views."""
        probabilities = np.array(self._infer(pixels))
        doubtful = np.flatnonzero(probabilities.max(axis=-1).prod(axis=-1) < self.reread_below)
        if doubtful.size:
            views = np.concatenate([shifted(pixels[doubtful], dx, dy) for dx, dy in REREAD_SHIFTS])
            reread = self._infer(views).reshape(len(REREAD_SHIFTS), doubtful.size, *probabilities.shape[1:])
            probabilities[doubtful] = (probabilities[doubtful] + reread.sum(axis=0)) / (len(REREAD_SHIFTS) + 1)
        return probabilities

    def _solutions(self, probabilities: np.ndarray) -> list[Solution]:
        texts, chosen = decode(probabilities, self.alphabet)
        return [Solution(text, confidence, tuple(row), self.model_version)
                for text, confidence, row in zip(texts, chosen.prod(axis=-1).tolist(), chosen.tolist(), strict=True)]


def compute_device() -> str:
    """Where the Keras backend computes: 'GPU' when it sees one, else 'CPU'."""
    return "GPU" if any(device.startswith(("gpu", "cuda")) for device in keras.distribution.list_devices()) else "CPU"


def compiled_reader(model: keras.Model, device: str) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """The runtime that reads for the Keras backend in use and the `device`, and its reader: (n, height, width)
    uint8 pixels -> (n, length, classes) probabilities. SolverError for a backend other than TensorFlow or JAX."""
    backend = keras.backend.backend()
    if backend == "tensorflow" and device == "CPU":
        return "LiteRT XNNPACK", litert_reader(model)
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, INPUT_HEIGHT, INPUT_WIDTH], tf.uint8)],
                     reduce_retracing=True)
        def probabilities(pixels: tf.Tensor) -> tf.Tensor:
            return model(pixels[..., None], training=False)

        return "TensorFlow", lambda pixels: probabilities(tf.constant(pixels)).numpy()
    if backend == "jax":
        import jax

        weights = [variable.value for variable in model.trainable_variables]
        statistics = [variable.value for variable in model.non_trainable_variables]
        read = jax.jit(lambda pixels: model.stateless_call(weights, statistics, pixels[..., None], training=False)[0])

        def read_padded(pixels: np.ndarray) -> np.ndarray:
            # JAX compiles once per shape: padding to a power of two bounds that to 1, 2, 4 ... 512 (a whole batch
            # read again four ways).
            padded = np.zeros((1 << (len(pixels) - 1).bit_length(), *pixels.shape[1:]), dtype=pixels.dtype)
            padded[: len(pixels)] = pixels
            return np.asarray(read(padded))[: len(pixels)]

        return "JAX", read_padded
    raise SolverError(f"the solver runs on Keras's tensorflow or jax backend, not {backend!r}: "
                      "unset KERAS_BACKEND or set it to one of those")


def litert_reader(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A reader that runs the TensorFlow-backed `model` converted to a LiteRT flatbuffer, on every core through
    XNNPACK. One interpreter, resized to each batch (a tenth of a millisecond) and used by one thread at a time."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with native_stderr_silenced(), tempfile.TemporaryDirectory() as folder:
        model.export(folder, format="tf_saved_model", verbose=False,
                     input_signature=[tf.TensorSpec([None, INPUT_HEIGHT, INPUT_WIDTH, 1], tf.float32)])
        interpreter = Interpreter(model_content=tf.lite.TFLiteConverter.from_saved_model(folder).convert(),
                                  num_threads=cores)
        interpreter.allocate_tensors()
    (pixels_input,), (probabilities_output,) = interpreter.get_input_details(), interpreter.get_output_details()
    lock = threading.Lock()

    def read(pixels: np.ndarray) -> np.ndarray:
        with lock:
            if interpreter.get_input_details()[0]["shape"][0] != len(pixels):
                interpreter.resize_tensor_input(pixels_input["index"], [len(pixels), INPUT_HEIGHT, INPUT_WIDTH, 1])
                interpreter.allocate_tensors()
            interpreter.set_tensor(pixels_input["index"], pixels[..., None].astype(np.float32))
            interpreter.invoke()
            return interpreter.get_tensor(probabilities_output["index"]).copy()

    return read


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """The process's stderr (file descriptor 2) sent to /dev/null while the block runs. The converter logs a dozen
    lines from C++ whatever TF_CPP_MIN_LOG_LEVEL says, and the first interpreter to allocate prints "INFO: Created
    TensorFlow Lite XNNPACK delegate for CPU.", which no setting turns off: chatter in a notebook and a break in the
    CLI's JSON log lines. Other threads' stderr in those two seconds is lost with it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
