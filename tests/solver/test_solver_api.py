"""The solver's public face with the shipped model: loading, reading real and rendered captchas,
batches, the awaitable form, decoding, and clear errors."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replica.captcha import render
from solver import ModelNotFoundError, Solution, Solver, SolverError, SolverInputError
from solver.alphabet import ALPHABET
from solver.characters import decode
from solver.model import load_model
from solver.preprocess import preprocess, shifted
from solver.solver import REREAD_SHIFTS, litert_path


@pytest.fixture(scope="module")
def solver() -> Solver:
    return Solver.load()


def test_shipped_model_loads_with_info(solver: Solver) -> None:
    assert solver.model_version
    assert solver.info["device"] in ("CPU", "GPU")
    if solver.info["device"] == "CPU":
        assert (solver.info["runtime"], solver.info["backend"]) == ("LiteRT XNNPACK", None)
    assert solver.info["parameters"] == solver.metadata["parameters"]
    assert solver.info["alphabet"] == ALPHABET
    assert solver.info["parameters"] < 500_000
    assert Path(solver.info["path"]).stat().st_size <= 2 * 1024 * 1024
    assert Solver.load(solver.model_version).model_version == solver.model_version


def test_reads_real_captchas(solver: Solver, validation_captchas: list[tuple[bytes, str]]) -> None:
    solutions = [solver.solve(image) for image, _ in validation_captchas]
    correct = sum(solution.text == label for solution, (_, label) in zip(solutions, validation_captchas, strict=True))
    assert correct >= 49
    first = solutions[0]
    assert isinstance(first, Solution)
    assert len(first.char_probabilities) == 5
    assert first.confidence == pytest.approx(float(np.prod(first.char_probabilities)), rel=1e-5)
    assert 0.0 <= first.confidence <= 1.0
    assert first.model_version == solver.model_version


def test_reads_png_screenshots_at_scale_two(solver: Solver) -> None:
    rng = random.Random(12)
    jpeg = render("HK7Q3", rng)
    image = Image.open(io.BytesIO(jpeg)).convert("RGBA").resize((400, 120), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert solver.solve(buffer.getvalue()).text == solver.solve(jpeg).text


def test_a_doubtful_reading_is_read_again_five_ways(validation_captchas: list[tuple[bytes, str]]) -> None:
    once = Solver.load(reread_below=0.0)
    always = Solver.load(reread_below=1.01)  # every reading is doubtful: all are read five ways
    image = validation_captchas[0][0]
    pixels = preprocess(image)[None]
    views = [pixels] + [shifted(pixels, dx, dy) for dx, dy in REREAD_SHIFTS]
    model = load_model(once.path)
    averaged = np.mean([model(view[..., None], training=False)[0] for view in views], axis=0)
    reading = always.solve(image)
    assert reading.text == decode(averaged[None])[0][0]
    assert reading.char_probabilities == pytest.approx(tuple(averaged.max(axis=-1)), rel=1e-4)
    assert reading.char_probabilities != once.solve(image).char_probabilities
    for batched in always.solve_many([image] * 3):
        assert batched.char_probabilities == pytest.approx(reading.char_probabilities, rel=1e-4)
    assert always.info["reread_below"] == 1.01


def test_a_confident_reading_is_read_once(solver: Solver, validation_captchas: list[tuple[bytes, str]]) -> None:
    once = Solver.load(reread_below=0.0)
    for image, _ in validation_captchas[:8]:
        reading = solver.solve(image)
        if reading.confidence >= solver.reread_below:
            assert reading == once.solve(image)


def test_batches_match_single_reads(solver: Solver, validation_captchas: list[tuple[bytes, str]]) -> None:
    images = [image for image, _ in validation_captchas[:12]]
    batched = solver.solve_many(images)
    single = [solver.solve(image) for image in images]
    assert [s.text for s in batched] == [s.text for s in single]
    assert np.allclose([s.confidence for s in batched], [s.confidence for s in single], atol=1e-4)
    assert solver.solve_many([]) == []


async def test_async_form_keeps_the_loop_running(solver: Solver, validation_captchas: list[tuple[bytes, str]]) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    solutions = await asyncio.gather(*(solver.solve_async(image) for image, _ in validation_captchas[:8]))
    task.cancel()
    assert [s.text for s in solutions] == [solver.solve(image).text for image, _ in validation_captchas[:8]]
    assert ticks > 8


def test_threads_reading_at_once_get_what_one_thread_gets(
    solver: Solver, validation_captchas: list[tuple[bytes, str]]
) -> None:
    # Batches of different sizes and single images at once: the reader is resized and read by one at a time.
    images = [image for image, _ in validation_captchas]
    requests = [images[:size] for size in (50, 1, 7, 33, 1, 12, 50, 3)]
    alone = [solver.solve_many(request) for request in requests]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(solver.solve_many, requests))
    assert together == alone


# The C++ libraries' loudest settings, whatever the CPU: TensorFlow's info lines and verbose logging, oneDNN's
# notice. No GPU in sight: on a CPU machine the solver reads through LiteRT alone.
LOUDEST_NATIVE_LOGS = {
    "TF_CPP_MIN_LOG_LEVEL": "0",
    "TF_CPP_MAX_VLOG_LEVEL": "1",
    "TF_ENABLE_ONEDNN_OPTS": "1",
    "CUDA_VISIBLE_DEVICES": "",
}
LOAD_AND_READ = """
import json, sys
from solver import Solver
solver = Solver.load()
image = open(sys.argv[1], "rb").read()
texts = [solver.solve(image).text] + [solution.text for solution in solver.solve_many([image] * 3)]
print(json.dumps({"texts": texts, "runtime": solver.info["runtime"],
                  "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def test_loading_and_reading_load_no_tensorflow_and_write_nothing_on_stderr(
    validation_captchas: list[tuple[bytes, str]], tmp_path: Path
) -> None:
    # The CLI's JSON log lines and a notebook's cells share stderr with the C++ libraries, whose log levels are not
    # the user's to guess: TensorFlow, Keras and JAX stay out of the process, and LiteRT's one notice is withheld.
    (tmp_path / "captcha.jpg").write_bytes(validation_captchas[0][0])
    answer = subprocess.run(
        [sys.executable, "-c", LOAD_AND_READ, str(tmp_path / "captcha.jpg")],
        env=os.environ | LOUDEST_NATIVE_LOGS,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    read = json.loads(answer.stdout)
    assert read["texts"] == [validation_captchas[0][1]] * 4 and read["runtime"] == "LiteRT XNNPACK"
    assert not {"tensorflow", "keras", "jax"} & set(read["modules"])
    assert answer.stderr == ""


def test_stderr_written_while_the_reader_loads_comes_through(
    validation_captchas: list[tuple[bytes, str]], tmp_path: Path
) -> None:
    # Only LiteRT's notice is withheld while the first interpreter allocates: what else is written then comes out.
    script = (
        "import os, sys; from solver.litert_reader import xnnpack_notice_withheld\n"
        "with xnnpack_notice_withheld():\n"
        "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\nfrom C\\n')\n"
        "    sys.stderr.write('from Python\\n')\n"
        "sys.stderr.write('after\\n')"
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert answer.stderr == "from C\nfrom Python\nafter\n"


def test_a_model_without_its_litert_copy_says_what_to_run(tmp_path: Path) -> None:
    # A version registered before the trainer wrote LiteRT copies: the solver never converts it itself.
    shipped = Path(Solver.load().path)
    old = Path(shutil.copy(shipped, tmp_path / "db-20261101-000000.keras"))
    with pytest.raises(
        ModelNotFoundError,
        match=r"no LiteRT copy of db-20261101-000000.keras .*"
        r"`python -m trainer\.litert .*db-20261101-000000.keras`",
    ):
        Solver.load(old, runtime="litert")
    shutil.copy(litert_path(shipped), litert_path(old))
    assert Solver.load(old).model_version == "db-20261101-000000"


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(SolverError, match="choose one of auto, litert, keras"):
        Solver.load(runtime="onnx")


def test_bad_bytes_raise_solver_input_error(solver: Solver) -> None:
    with pytest.raises(SolverInputError, match="fetch the captcha again"):
        solver.solve(b"<html>THE PAGE CANNOT BE ACCESSED</html>")
    with pytest.raises(SolverInputError):
        solver.solve_many([render("AAAAA", random.Random(0)), b"not an image"])


def test_unknown_model_says_what_exists(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="shipped version"):
        Solver.load(tmp_path / "missing.keras")


def test_decode_picks_the_most_likely_character_per_head() -> None:
    probabilities = np.full((2, 5, len(ALPHABET)), 0.01, dtype=np.float32)
    for row, text in enumerate(("AC234", "ZZ9X7")):
        for position, char in enumerate(text):
            probabilities[row, position, ALPHABET.index(char)] = 0.9 - 0.1 * position
    texts, chosen = decode(probabilities)
    assert texts == ["AC234", "ZZ9X7"]
    assert np.allclose(chosen[0], [0.9, 0.8, 0.7, 0.6, 0.5])
