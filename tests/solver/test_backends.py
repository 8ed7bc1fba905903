"""The same model file read through Keras's JAX backend, as on a GPU machine whose CUDA stack holds JAX but no
TensorFlow: the same answers as the TensorFlow solver, and the backend and device it chose in its info."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from solver import Solver

READ_UNDER_JAX = """
import json, sys
from pathlib import Path
from solver import Solver
solver = Solver.load()
images = [path.read_bytes() for path in sorted(Path(sys.argv[1]).glob("*.jpg"))]
one = solver.solve(images[0])
many = solver.solve_many(images)
print(json.dumps({"info": {key: solver.info[key] for key in ("backend", "device", "model_version")},
                  "one": [one.text, one.confidence],
                  "many": [[solution.text, solution.confidence] for solution in many]}))
"""


def test_the_jax_backend_reads_what_tensorflow_reads(validation_captchas: list[tuple[bytes, str]],
                                                     tmp_path: Path) -> None:
    # 50 images: batches of 50 and of 1, both padded to a power of two under JAX.
    for index, (image, _) in enumerate(validation_captchas):
        (tmp_path / f"{index:03d}.jpg").write_bytes(image)
    solver = Solver.load()
    expected = solver.solve_many([image for image, _ in validation_captchas])
    assert solver.info["backend"] == "tensorflow"

    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    answer = subprocess.run([sys.executable, "-c", READ_UNDER_JAX, str(tmp_path)], env=environment,
                            capture_output=True, text=True, timeout=240, check=True)
    read = json.loads(answer.stdout.strip().splitlines()[-1])

    assert read["info"] == {"backend": "jax", "device": "CPU", "model_version": solver.model_version}
    assert [text for text, _ in read["many"]] == [solution.text for solution in expected]
    assert read["one"][0] == expected[0].text
    for (_, confidence), solution in zip(read["many"], expected, strict=True):
        assert abs(confidence - solution.confidence) < 1e-4
