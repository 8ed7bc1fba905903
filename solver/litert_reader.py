"""Reading a model's LiteRT copy (`<version>.tflite`, which the trainer writes beside `<version>.keras`) with the
LiteRT interpreter and its XNNPACK kernels on every core: no TensorFlow, Keras or JAX in the process."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from solver.errors import SolverError
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH

# Printed from C++ by the first interpreter of a process to allocate, whatever any log level says.
XNNPACK_NOTICE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
# Two threads holding stderr at once would each put back what the other held: one at a time.
STDERR_HELD = threading.Lock()


def litert_reader(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """A reader of (n, height, width) uint8 pixels -> (n, length, classes) probabilities through the LiteRT
    flatbuffer at `path`. One interpreter, resized to each batch (a tenth of a millisecond) and used by one thread at
    a time. SolverError where the file is no LiteRT model of the captcha's input."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        with xnnpack_notice_withheld():
            interpreter = Interpreter(model_path=str(path), num_threads=cores)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise SolverError(
            f"cannot read the LiteRT model {path} ({error}); write it again with "
            f"`python -m trainer.litert {path.with_suffix('.keras')}`"
        ) from error
    (pixels_input,), (probabilities_output,) = interpreter.get_input_details(), interpreter.get_output_details()
    if list(pixels_input["shape_signature"][1:]) != [INPUT_HEIGHT, INPUT_WIDTH, 1]:
        raise SolverError(
            f"the LiteRT model {path} reads images of {list(pixels_input['shape_signature'][1:])}, "
            f"not the captcha's {[INPUT_HEIGHT, INPUT_WIDTH, 1]}"
        )
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
def xnnpack_notice_withheld() -> Iterator[None]:
    """The process's stderr (file descriptor 2) held in a temporary file while the block runs, then written out less
    LiteRT's XNNPACK notice: chatter in a notebook and a break in the CLI's JSON log lines, which no setting of
    LiteRT's turns off. Whatever else reaches stderr meanwhile (another thread's log line, a LiteRT warning) comes
    out when the block ends, a few milliseconds late."""
    with STDERR_HELD, tempfile.TemporaryFile() as held:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            written = memoryview(held.read().replace(XNNPACK_NOTICE, b"", 1))
            while written:
                written = written[os.write(2, written) :]
