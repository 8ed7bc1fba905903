"""The solver's public face with the shipped model: loading, reading real and rendered captchas,
batches, the awaitable form, decoding, and clear errors."""

from __future__ import annotations

import asyncio
import io
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from replica.captcha import render
from solver import ModelNotFoundError, Solution, Solver, SolverInputError
from solver.alphabet import ALPHABET
from solver.model import decode
from solver.preprocess import preprocess, shifted
from solver.solver import REREAD_SHIFTS


@pytest.fixture(scope="module")
def solver() -> Solver:
    return Solver.load()


def test_shipped_model_loads_with_info(solver: Solver) -> None:
    assert solver.model_version
    assert solver.info["device"] in ("CPU", "GPU")
    assert solver.info["runtime"] == {"CPU": "LiteRT XNNPACK", "GPU": "TensorFlow"}[solver.info["device"]]
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
    averaged = np.mean([once.model(view[..., None], training=False)[0] for view in views], axis=0)
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


async def test_async_form_keeps_the_loop_running(solver: Solver,
                                                 validation_captchas: list[tuple[bytes, str]]) -> None:
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


def test_threads_reading_at_once_get_what_one_thread_gets(solver: Solver,
                                                         validation_captchas: list[tuple[bytes, str]]) -> None:
    # Batches of different sizes and single images at once: the reader is resized and read by one at a time.
    images = [image for image, _ in validation_captchas]
    requests = [images[:size] for size in (50, 1, 7, 33, 1, 12, 50, 3)]
    alone = [solver.solve_many(request) for request in requests]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(solver.solve_many, requests))
    assert together == alone


def test_loading_and_reading_write_nothing_on_stderr(validation_captchas: list[tuple[bytes, str]],
                                                     tmp_path: Path) -> None:
    # LiteRT's converter and its XNNPACK delegate log from C++ whatever the log level; the CLI's JSON log lines and
    # a notebook's cells share that stream. As from a fresh shell: no log level set (TensorFlow's import talks).
    (tmp_path / "captcha.jpg").write_bytes(validation_captchas[0][0])
    script = ("import sys, tensorflow; sys.stderr.write('loading\\n'); from solver import Solver; "
              "solver = Solver.load(); print(solver.solve(open(sys.argv[1], 'rb').read()).text); "
              "sys.stderr.write('still here')")
    shell = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    answer = subprocess.run([sys.executable, "-c", script, str(tmp_path / "captcha.jpg")], env=shell,
                            capture_output=True, text=True, timeout=240, check=True)
    assert answer.stdout.strip() == validation_captchas[0][1]
    assert answer.stderr.split("loading\n", 1)[1] == "still here"


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
