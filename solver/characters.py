"""The model's classes as characters: a label's class indexes for training, and the text read from the heads.

NumPy alone, so that the reading path loads no deep-learning library."""

from __future__ import annotations

import numpy as np

from solver.alphabet import ALPHABET


def decode(probabilities: np.ndarray, alphabet: str = ALPHABET) -> tuple[list[str], np.ndarray]:
    """(n, length, classes) probabilities as each row's text and the (n, length) probabilities of the characters
    read."""
    best = probabilities.argmax(axis=-1)
    chosen = np.take_along_axis(probabilities, best[..., None], axis=-1)[..., 0]
    return ["".join(alphabet[index] for index in row) for row in best.tolist()], chosen


def encode(text: str, alphabet: str = ALPHABET) -> list[int]:
    """The class index of each character of a label, in the upper case that labels are kept in."""
    return [alphabet.index(char) for char in text]
