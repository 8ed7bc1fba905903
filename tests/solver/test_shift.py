"""The model's shift augmentation: each image of a training batch moved by its own random distance within the
layer's reach, bilinear between pixels with the edge pixels filling in, as a plain translation does; at inference
the image itself."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from solver.model import RandomShift, shifted

HEIGHT, WIDTH = 32, 96


def translated(image: np.ndarray, down: float, right: float) -> np.ndarray:
    """The reference: pixel (i, j) reads the image at (i - down, j - right), clamped to the image, bilinear."""
    out = np.empty_like(image)
    height, width = image.shape
    for i in range(height):
        for j in range(width):
            y, x = np.clip(i - down, 0, height - 1), np.clip(j - right, 0, width - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
            fy, fx = y - y0, x - x0
            out[i, j] = (1 - fy) * ((1 - fx) * image[y0, x0] + fx * image[y0, x1]) + fy * (
                (1 - fx) * image[y1, x0] + fx * image[y1, x1]
            )
    return out


def coordinates(batch: int) -> np.ndarray:
    """A batch of two-channel images whose pixels hold their own row and column: a shift shows as an offset."""
    rows, columns = np.meshgrid(np.arange(HEIGHT), np.arange(WIDTH), indexing="ij")
    return np.broadcast_to(np.stack([rows, columns], axis=-1), (batch, HEIGHT, WIDTH, 2)).astype("float32")


def test_a_fixed_shift_is_a_bilinear_translation_filled_from_the_edges() -> None:
    rng = np.random.default_rng(3)
    # Fractions either way, whole pixels, none, and the layer's full reach (0.08 of 32 rows, 0.03 of 96 columns).
    shifts = np.array([[1.3, -2.7], [-2.4, 0.5], [0.0, 0.0], [2.0, -1.0], [2.56, 2.88], [-2.56, -2.88]], "float32")
    images = rng.random((len(shifts), HEIGHT, WIDTH, 1), dtype="float32")
    moved = np.asarray(ops.convert_to_numpy(shifted(ops.convert_to_tensor(images), ops.convert_to_tensor(shifts))))
    for image, (down, right), result in zip(images, shifts, moved, strict=True):
        np.testing.assert_allclose(result[..., 0], translated(image[..., 0], float(down), float(right)), atol=1e-4)
    assert not np.allclose(moved[0], images[0], atol=1e-2)


def test_inference_reads_the_image_unmoved() -> None:
    images = np.random.default_rng(4).integers(0, 256, (8, HEIGHT, WIDTH, 1), dtype="uint8")
    layer = RandomShift(0.08, 0.03, seed=0)
    assert np.array_equal(ops.convert_to_numpy(layer(ops.convert_to_tensor(images))), images.astype("float32"))
    assert np.array_equal(
        ops.convert_to_numpy(layer(ops.convert_to_tensor(images), training=False)), images.astype("float32")
    )


def test_each_image_of_a_training_batch_moves_its_own_distance_within_reach() -> None:
    images = ops.convert_to_tensor(coordinates(64))
    moved = ops.convert_to_numpy(RandomShift(0.08, 0.03, seed=5)(images, training=True))
    # Away from the edges nothing is clipped, so the middle pixel tells how far its image moved.
    down, right = HEIGHT // 2 - moved[:, HEIGHT // 2, WIDTH // 2, 0], WIDTH // 2 - moved[:, HEIGHT // 2, WIDTH // 2, 1]
    assert np.abs(down).max() <= 0.08 * HEIGHT + 1e-4 and np.abs(right).max() <= 0.03 * WIDTH + 1e-4
    assert len(np.unique(np.round(down, 4))) == 64 and len(np.unique(np.round(right, 4))) == 64
    assert (down < -1).any() and (down > 1).any() and (right < -1).any() and (right > 1).any()
    # The whole image moved as one: every unclipped pixel is offset as much as the middle one.
    offsets = moved[:, 4:28, 4:92] - coordinates(64)[:, 4:28, 4:92]
    np.testing.assert_allclose(
        offsets, np.broadcast_to(-np.stack([down, right], -1)[:, None, None], offsets.shape), atol=1e-3
    )


@pytest.mark.parametrize("seed", [0, 11])
def test_the_same_seed_draws_the_same_shifts(seed: int) -> None:
    images = ops.convert_to_tensor(coordinates(16))
    first = ops.convert_to_numpy(RandomShift(0.08, 0.03, seed=seed)(images, training=True))
    again = ops.convert_to_numpy(RandomShift(0.08, 0.03, seed=seed)(images, training=True))
    other = ops.convert_to_numpy(RandomShift(0.08, 0.03, seed=seed + 1)(images, training=True))
    assert np.array_equal(first, again) and not np.allclose(first, other)
