"""Preprocessing: the site's JPEG and PNG screenshots become the same small array; non-images are refused."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pytest
from PIL import Image

from replica.captcha import render
from solver import SolverInputError
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH, preprocess, preprocess_many, shifted


@pytest.fixture(scope="module")
def captcha_jpeg() -> bytes:
    return render("AC234", random.Random(3))


def screenshot(jpeg: bytes, scale: int, mode: str = "RGBA") -> bytes:
    """The element screenshot a browser takes at a device scale factor of `scale`."""
    image = Image.open(io.BytesIO(jpeg)).convert(mode)
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_jpeg_becomes_model_input(captcha_jpeg: bytes) -> None:
    pixels = preprocess(captcha_jpeg)
    assert pixels.shape == (INPUT_HEIGHT, INPUT_WIDTH)
    assert pixels.dtype == np.uint8
    # Grey background with white glyphs: the median is background, the brightest pixels are white.
    assert 60 <= np.median(pixels) <= 110
    assert pixels.max() >= 240


@pytest.mark.parametrize("scale", [1, 2])
def test_png_screenshot_matches_jpeg(captcha_jpeg: bytes, scale: int) -> None:
    from_jpeg = preprocess(captcha_jpeg).astype(float)
    from_png = preprocess(screenshot(captcha_jpeg, scale)).astype(float)
    assert from_png.shape == from_jpeg.shape
    assert np.abs(from_png - from_jpeg).mean() < 4


def test_many_stacks_in_order(captcha_jpeg: bytes) -> None:
    other = render("ZZZZZ", random.Random(4))
    stacked = preprocess_many([captcha_jpeg, other])
    assert stacked.shape == (2, INPUT_HEIGHT, INPUT_WIDTH)
    assert np.array_equal(stacked[1], preprocess(other))
    assert preprocess_many([]).shape == (0, INPUT_HEIGHT, INPUT_WIDTH)


def test_many_shrinks_pixel_for_pixel_as_one_at_a_time(
    validation_captchas: list[tuple[bytes, str]], captcha_jpeg: bytes
) -> None:
    site = [image for image, _ in validation_captchas]
    screenshots = [screenshot(image, 2) for image in site[:4]]
    # Narrower than the input: widened one at a time, or rows next to a boundary would blend two images.
    narrow = [cv2.imencode(".png", cv2.resize(preprocess(image), (60, 93)))[1].tobytes() for image in site[:3]]
    for images in (site, screenshots, screenshots + site[:3], [captcha_jpeg, *narrow], narrow):
        assert np.array_equal(preprocess_many(images), np.stack([preprocess(image) for image in images]))


@pytest.mark.parametrize("bad", [b"", b"<html><body>Server busy</body></html>", b"\xff\xd8\xff\xe0" + b"\x00" * 8])
def test_non_image_bytes_raise_clear_error(bad: bytes) -> None:
    with pytest.raises(SolverInputError, match="no image"):
        preprocess(bad)


def test_non_bytes_raise_clear_error() -> None:
    with pytest.raises(SolverInputError, match="bytes"):
        preprocess("images/00001.jpg")  # type: ignore[arg-type]


def test_a_shift_moves_whole_pixels_and_repeats_the_edge() -> None:
    pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    right = shifted(pixels, 1, 0)
    assert (right[:, :, 1:] == pixels[:, :, :-1]).all() and (right[:, :, 0] == pixels[:, :, 0]).all()
    up = shifted(pixels, 0, -1)
    assert (up[:, :-1] == pixels[:, 1:]).all() and (up[:, -1] == pixels[:, -1]).all()
    assert (shifted(pixels, -1, 1)[0] == [[1, 2, 3, 3], [1, 2, 3, 3], [5, 6, 7, 7]]).all()
    assert (shifted(pixels, 0, 0) == pixels).all() and right.dtype == np.uint8
