"""Captcha image bytes -> the model's input array, with OpenCV.

The one preprocessing path: training, evaluation and the live solver all call `preprocess`."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from solver.errors import SolverInputError

# The site's 200x60 captcha shrunk to about half: the strokes stay 3 px wide and the model stays fast.
INPUT_HEIGHT = 32
INPUT_WIDTH = 96


def decode_image(image_bytes: bytes) -> np.ndarray:
    """The greyscale pixels of a JPEG or PNG (any size, alpha dropped)."""
    if not isinstance(image_bytes, bytes | bytearray | memoryview):
        raise SolverInputError(
            f"expected captcha image bytes, got {type(image_bytes).__name__}; "
            "pass the body of CaptchaImage.aspx or a PNG screenshot of the element"
        )
    buffer = np.frombuffer(image_bytes, dtype=np.uint8)
    pixels = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE) if buffer.size else None
    if pixels is None:
        head = bytes(image_bytes[:40])
        raise SolverInputError(
            f"captcha bytes are no image ({len(image_bytes)} bytes starting {head!r}); "
            "fetch the captcha again (the site answers HTML when it is busy)"
        )
    return pixels


def preprocess(image_bytes: bytes) -> np.ndarray:
    """Decode and shrink one captcha to a uint8 array of shape (INPUT_HEIGHT, INPUT_WIDTH)."""
    return resize(decode_image(image_bytes))


def resize(pixels: np.ndarray) -> np.ndarray:
    """Shrink decoded greyscale pixels of any size (screenshots at scale 1 or 2) to the model's input."""
    if pixels.shape == (INPUT_HEIGHT, INPUT_WIDTH):
        return pixels
    return cv2.resize(pixels, (INPUT_WIDTH, INPUT_HEIGHT), interpolation=cv2.INTER_AREA)


def shifted(pixels: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """(n, height, width) pixels moved `dx` whole pixels right and `dy` down, the edge rows and columns repeated
    into the gap (the same fill as the training shift's)."""
    height, width = pixels.shape[1:]
    rows = np.clip(np.arange(height) - dy, 0, height - 1)
    columns = np.clip(np.arange(width) - dx, 0, width - 1)
    return pixels[:, rows[:, None], columns]


def preprocess_many(images: Iterable[bytes]) -> np.ndarray:
    """A stack of preprocessed captchas, shape (n, INPUT_HEIGHT, INPUT_WIDTH), each pixel for pixel what
    `preprocess` makes of it. Captchas of one size no smaller than the input (the site's are all 200x60) shrink in
    one call, stacked one above the other, faster than in one call each: the area average takes each
    output row from the same rows either way, as the height ratio (a whole number over INPUT_HEIGHT, a power of
    two) is exact in binary and a stack's boundaries fall between output rows."""
    decoded = [decode_image(image) for image in images]
    if not decoded:
        return np.zeros((0, INPUT_HEIGHT, INPUT_WIDTH), dtype=np.uint8)
    height, width = decoded[0].shape
    if height < INPUT_HEIGHT or width < INPUT_WIDTH or any(pixels.shape != (height, width) for pixels in decoded):
        # Enlarging either way takes OpenCV's linear path, whose rows can blend two stacked images (a narrow image
        # does, tests/solver/test_preprocess.py); sizes that differ cannot stack.
        return np.stack([resize(pixels) for pixels in decoded])
    stacked = cv2.resize(
        np.concatenate(decoded), (INPUT_WIDTH, INPUT_HEIGHT * len(decoded)), interpolation=cv2.INTER_AREA
    )
    return stacked.reshape(len(decoded), INPUT_HEIGHT, INPUT_WIDTH)
