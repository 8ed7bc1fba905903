"""Reading a model file through Keras, for a GPU: a compiled TensorFlow function, or a jitted JAX function under
Keras's JAX backend (KERAS_BACKEND=jax, for a machine whose CUDA holds JAX and no TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from solver.errors import SolverError
from solver.model import for_inference, load_model
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH
from solver.solver import Reader


def compute_device() -> str:
    """Where the Keras backend computes: 'GPU' when it sees one, else 'CPU'."""
    return "GPU" if any(device.startswith(("gpu", "cuda")) for device in keras.distribution.list_devices()) else "CPU"


def keras_reader(path: Path) -> Reader:
    """The model file at `path` read by the Keras backend in use, through its leaner copy (solver.model.for_inference)."""
    model = load_model(path)
    runtime, read = compiled_reader(for_inference(model))
    return Reader(runtime, compute_device(), keras.backend.backend(), read, int(model.count_params()))


def compiled_reader(model: keras.Model) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """The runtime that reads for the Keras backend in use, and its reader: (n, height, width) uint8 pixels ->
    (n, length, classes) probabilities. SolverError for a backend other than TensorFlow or JAX."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(
            input_signature=[tf.TensorSpec([None, INPUT_HEIGHT, INPUT_WIDTH], tf.uint8)], reduce_retracing=True
        )
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
    raise SolverError(
        f"the solver reads through Keras's tensorflow or jax backend, not {backend!r}: "
        "unset KERAS_BACKEND or set it to one of those"
    )
