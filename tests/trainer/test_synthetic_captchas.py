"""The replica's captcha renderer: the site's format, the solver's alphabet, and seeded reproducibility."""

from __future__ import annotations

import io
import random
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from replica import captcha
from replica.captcha import BACKGROUND, random_text, render
from solver.alphabet import ALPHABET, TEXT_LENGTH
from trainer.dataset import synthetic


def test_random_text_uses_the_alphabet_uniformly() -> None:
    rng = random.Random(0)
    texts = [random_text(rng) for _ in range(2000)]
    assert all(len(text) == 5 and set(text) <= set(ALPHABET) for text in texts)
    counts = Counter("".join(texts))
    assert set(counts) == set(ALPHABET)
    expected = 2000 * 5 / len(ALPHABET)
    assert all(abs(count - expected) < 0.3 * expected for count in counts.values())


def test_the_replica_draws_from_exactly_the_solvers_alphabet() -> None:
    # The replica keeps the site's alphabet itself, as it may not import the solver: held to the solver's here.
    assert len(set(captcha.ALPHABET)) == len(captcha.ALPHABET) and set(captcha.ALPHABET) == set(ALPHABET)
    assert captcha.TEXT_LENGTH == TEXT_LENGTH
    rendered = synthetic(300, seed=11, workers=1)
    assert all(len(text) == TEXT_LENGTH for text in rendered.texts)
    assert set("".join(rendered.texts)) == set(ALPHABET)
    assert rendered.labels.shape == (300, TEXT_LENGTH) and rendered.labels.max() == len(ALPHABET) - 1


def test_render_is_the_sites_jpeg() -> None:
    data = render("CL7VD", random.Random(1))
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (200, 60)
    assert image.mode == "RGB"
    pixels = np.asarray(image).astype(int)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() <= 3  # grey in three channels
    assert abs(int(np.bincount(pixels[..., 0].ravel()).argmax()) - BACKGROUND) <= 2
    assert pixels.max() >= 250


def test_render_is_seeded() -> None:
    assert render("AAAAA", random.Random(5)) == render("AAAAA", random.Random(5))
    assert render("AAAAA", random.Random(5)) != render("AAAAA", random.Random(6))


def test_render_refuses_text_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match="characters of"):
        render("B0OMS", random.Random(0))
