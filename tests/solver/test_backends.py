"""The same model file read through Keras, as on a GPU machine: through TensorFlow, and through Keras's JAX backend
as where CUDA holds JAX but no TensorFlow. Both give the LiteRT solver's answers, and say how they read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver import Solver

READ_UNDER_JAX = """
import json, sys
from pathlib import Path
from solver import Solver
solver = Solver.load(runtime="keras")
images = [path.read_bytes() for path in sorted(Path(sys.argv[1]).glob("*.jpg"))]
one = solver.solve(images[0])
many = solver.solve_many(images)
print(json.dumps({"info": {key: solver.info[key] for key in ("backend", "runtime", "device", "model_version")},
                  "one": [one.text, one.confidence],
                  "many": [[solution.text, solution.confidence] for solution in many]}))
"""


@pytest.fixture(scope="module")
def through_litert(validation_captchas: list[tuple[bytes, str]]) -> tuple[Solver, list]:
    solver = Solver.load(runtime="litert")
    assert (solver.info["runtime"], solver.info["backend"], solver.info["device"]) == ("LiteRT XNNPACK", None, "CPU")
    return solver, solver.solve_many([image for image, _ in validation_captchas])


def test_tensorflow_reads_what_litert_reads(
    validation_captchas: list[tuple[bytes, str]], through_litert: tuple[Solver, list]
) -> None:
    solver = Solver.load(runtime="keras")
    assert (solver.info["backend"], solver.info["runtime"]) == ("tensorflow", "TensorFlow")
    assert solver.info["parameters"] == through_litert[0].info["parameters"]
    read = solver.solve_many([image for image, _ in validation_captchas])
    assert [solution.text for solution in read] == [solution.text for solution in through_litert[1]]
    for solution, expected in zip(read, through_litert[1], strict=True):
        assert abs(solution.confidence - expected.confidence) < 1e-4


def test_the_jax_backend_reads_what_litert_reads(
    validation_captchas: list[tuple[bytes, str]], through_litert: tuple[Solver, list], tmp_path: Path
) -> None:
    # 50 images: batches of 50 and of 1, both padded to a power of two under JAX.
    for index, (image, _) in enumerate(validation_captchas):
        (tmp_path / f"{index:03d}.jpg").write_bytes(image)
    solver, expected = through_litert

    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    answer = subprocess.run(
        [sys.executable, "-c", READ_UNDER_JAX, str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    read = json.loads(answer.stdout.strip().splitlines()[-1])

    assert read["info"] == {"backend": "jax", "runtime": "JAX", "device": "CPU", "model_version": solver.model_version}
    assert [text for text, _ in read["many"]] == [solution.text for solution in expected]
    assert read["one"][0] == expected[0].text
    for (_, confidence), solution in zip(read["many"], expected, strict=True):
        assert abs(confidence - solution.confidence) < 1e-4
