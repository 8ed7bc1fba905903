"""The live solver: loads one model version and reads captcha bytes into a Solution.
On a CPU it reads the model's LiteRT copy and loads no TensorFlow, Keras or JAX; where the CUDA driver shows a GPU
and Keras's backend finds it, it reads the `.keras` file through Keras (solver.keras_reader)."""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from solver.alphabet import ALPHABET
from solver.characters import decode
from solver.errors import ModelNotFoundError, SolverError
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH, preprocess, preprocess_many, shifted

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODEL_SUFFIX = ".keras"
LITERT_SUFFIX = ".tflite"
# How Solver.load reads: "auto" chooses by the GPU in sight (choose_runtime).
RUNTIMES = ("auto", "litert", "keras")
# Images read at once: the size that read fastest through TensorFlow; through LiteRT the batch size hardly matters
# (docs/benchmarks.md, "Speed").
BATCH_SIZE = 128
# A reading less confident than this is read again from the image moved one pixel each way, and the five readings
# averaged. Chosen by the cross-validation (benchmarks.solver_cv): below 0.97 the reread reads as well as reading
# every captcha five ways does, for the shipped recipe's folds and for the synthetic-only model alike.
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


def litert_path(model_path: Path) -> Path:
    """The LiteRT copy that travels with a model file and that the solver reads on a CPU: same name, `.tflite`."""
    return model_path.with_suffix(LITERT_SUFFIX)


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
    raise ModelNotFoundError(
        f"no model at {model!r}: give a {MODEL_SUFFIX} file, a folder holding one, "
        f"or a shipped version ({', '.join(shipped_versions()) or 'none shipped'})"
    )


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


@dataclass(frozen=True)
class Reader:
    """How a loaded model reads (n, height, width) uint8 pixels into (n, length, classes) probabilities, and where."""

    runtime: str  # "LiteRT XNNPACK", "TensorFlow" or "JAX"
    device: str  # "CPU" or "GPU"
    backend: str | None  # Keras's backend where Keras reads; None where LiteRT does
    read: Callable[[np.ndarray], np.ndarray]
    parameters: int | None  # the trained network's, where known


class Solver:
    """A loaded model version that turns captcha image bytes into Solutions."""

    def __init__(
        self,
        reader: Reader,
        model_version: str,
        metadata: dict[str, Any],
        path: Path | None,
        reread_below: float = REREAD_BELOW,
    ):
        self.reader = reader
        self.model_version = model_version
        self.metadata = metadata
        self.path = path
        self.alphabet: str = metadata.get("alphabet", ALPHABET)
        self.reread_below = reread_below
        self.device = reader.device
        self.runtime = reader.runtime
        self._infer = reader.read

    @classmethod
    def load(cls, model: str | Path | None = None, reread_below: float = REREAD_BELOW, runtime: str = "auto") -> Solver:
        """Load a model file, a folder holding one, a shipped version name, or (None) the newest shipped one;
        `reread_below` 0 reads each captcha once. `runtime` "auto" reads through Keras where a GPU is in sight
        (choose_runtime), else through the model's LiteRT copy; "litert" and "keras" choose one.

        ModelNotFoundError, saying what to run, where the LiteRT copy is missing (a version trained before the
        trainer wrote one): the solver never converts a model itself, which would load TensorFlow."""
        path = resolve_model(model)
        metadata_file = metadata_path(path)
        metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
        # The file name is the version, so a copied or promoted model never claims another's name.
        return cls(load_reader(path, metadata, runtime), path.stem, metadata, path, reread_below)

    @property
    def info(self) -> dict[str, Any]:
        """What a user needs to know about the loaded model, including where it runs ('GPU' or 'CPU') and how."""
        return {
            "model_version": self.model_version,
            "path": str(self.path) if self.path else None,
            "device": self.device,
            "backend": self.reader.backend,
            "runtime": self.runtime,
            "alphabet": self.alphabet,
            "input_size": [INPUT_WIDTH, INPUT_HEIGHT],
            "parameters": self.reader.parameters,
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
        batches = [images[start : start + BATCH_SIZE] for start in range(0, len(images), BATCH_SIZE)]
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
        return [
            Solution(text, confidence, tuple(row), self.model_version)
            for text, confidence, row in zip(texts, chosen.prod(axis=-1).tolist(), chosen.tolist(), strict=True)
        ]


def load_reader(path: Path, metadata: dict[str, Any], runtime: str = "auto") -> Reader:
    """The reader of the model file at `path` for `runtime` (RUNTIMES); Keras is imported only where it reads."""
    if runtime not in RUNTIMES:
        raise SolverError(f"no solver runtime {runtime!r}: choose one of {', '.join(RUNTIMES)}")
    if runtime == "keras":
        from solver.keras_reader import keras_reader

        return keras_reader(path)
    if choose_runtime(runtime) == "keras":
        reader = gpu_keras_reader(path)
        if reader is not None:
            return reader
    from solver.litert_reader import litert_reader

    copy = litert_path(path)
    if not copy.is_file():
        raise ModelNotFoundError(
            f"no LiteRT copy of {path.name} at {copy}, which the solver reads on a CPU: write "
            f"it with `python -m trainer.litert {path}` (where TensorFlow is installed)"
        )
    parameters = metadata.get("parameters")
    return Reader("LiteRT XNNPACK", "CPU", None, litert_reader(copy), int(parameters) if parameters else None)


def gpu_keras_reader(path: Path) -> Reader | None:
    """The Keras reader of the model file where Keras's backend computes on a GPU; None where that backend cannot
    load (KERAS_BACKEND unset where only JAX is installed) or finds no GPU (a CPU-only build): LiteRT reads faster."""
    try:
        from solver.keras_reader import compute_device, keras_reader
    except ImportError:
        return None
    return keras_reader(path) if compute_device() == "GPU" else None


def choose_runtime(runtime: str = "auto") -> str:
    """How `runtime` reads, "litert" or "keras": "auto" is "keras" where the CUDA driver shows a GPU and Keras with
    TensorFlow or JAX is installed, else "litert"; decided without importing any of them."""
    if runtime != "auto":
        return runtime
    installed = importlib.util.find_spec("keras") is not None and any(
        importlib.util.find_spec(backend) is not None for backend in ("tensorflow", "jax")
    )
    return "keras" if installed and cuda_gpus() else "litert"


def cuda_gpus() -> int:
    """How many GPUs the CUDA driver shows this process (CUDA_VISIBLE_DEVICES applied by the driver itself), asked in
    a millisecond; 0 where there is no driver, as on a machine without an NVIDIA GPU."""
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value
