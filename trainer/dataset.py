"""Labelled captchas as arrays ready for training: from folders, from (bytes, label) pairs, or synthetic.

Every image goes through solver.preprocess, so the model trains on exactly what it will see live."""

from __future__ import annotations

import csv
import hashlib
import inspect
import random
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from replica import captcha
from solver.alphabet import TEXT_LENGTH
from solver.characters import encode
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH, preprocess_many
from trainer.relabel import RelabelError, normalize_label

LABELS_FILE = "labels.csv"
# Images rendered per task of the synthetic pool.
SYNTHETIC_CHUNK = 1000
# Files fall into ten folds by the last digit of their number; fold 0 is the fixed validation split.
FOLDS = 10
VALIDATION_FOLD = 0
_FILE_NUMBER = re.compile(r"(\d+)\.[A-Za-z]+$")


class DatasetError(ValueError):
    """A labelled folder that cannot be read; the message says which file or line to fix."""


@dataclass
class CaptchaSet:
    """Preprocessed captchas and their labels; `raw` keeps the original bytes where they are known."""

    images: np.ndarray
    texts: list[str]
    names: list[str]
    raw: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def labels(self) -> np.ndarray:
        """The class index of every character, shape (n, 5)."""
        return np.array([encode(text) for text in self.texts], dtype=np.int32).reshape(-1, TEXT_LENGTH)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[bytes, str]], names: Sequence[str] | None = None) -> CaptchaSet:
        """A set from (image bytes, label) pairs, e.g. captchas stored with their outcome."""
        raw, texts = [], []
        for image, label in pairs:
            raw.append(bytes(image))
            texts.append(check_label(label, f"pair {len(texts) + 1}"))
        images = preprocess_many(raw)
        return cls(images, texts, list(names) if names is not None else [str(i) for i in range(len(raw))], raw)

    def subset(self, keep: np.ndarray | list[bool]) -> CaptchaSet:
        indices = np.flatnonzero(np.asarray(keep, dtype=bool))
        return CaptchaSet(
            self.images[indices],
            [self.texts[i] for i in indices],
            [self.names[i] for i in indices],
            [self.raw[i] for i in indices] if self.raw else [],
        )

    def split_fold(self, fold: int) -> tuple[CaptchaSet, CaptchaSet]:
        """(the other folds, the fold): the fold is every file whose number ends in the digit `fold`;
        files without a number belong to no fold and stay with the others."""
        held_out = np.array([fold_of(name) == fold for name in self.names], dtype=bool)
        return self.subset(~held_out), self.subset(held_out)

    def split_validation(self) -> tuple[CaptchaSet, CaptchaSet]:
        """(training, validation): validation is every file whose number ends in 0, fixed forever."""
        return self.split_fold(VALIDATION_FOLD)

    @staticmethod
    def concat(parts: Sequence[CaptchaSet]) -> CaptchaSet:
        parts = [part for part in parts if len(part)]
        if not parts:
            return CaptchaSet(_empty_images(), [], [])
        keep_raw = all(part.raw for part in parts)
        return CaptchaSet(
            np.concatenate([part.images for part in parts]),
            [text for part in parts for text in part.texts],
            [name for part in parts for name in part.names],
            [blob for part in parts for blob in part.raw] if keep_raw else [],
        )


def fold_of(name: str) -> int | None:
    """The fold of a file: the last digit of its number (`images/01234.jpg` is in fold 4); None without one."""
    match = _FILE_NUMBER.search(name)
    return int(match.group(1)[-1]) if match else None


def is_validation_name(name: str) -> bool:
    """Whether a file belongs to the fixed validation split (its number ends in 0)."""
    return fold_of(name) == VALIDATION_FOLD


def check_label(label: str, where: str) -> str:
    """The label as relabelling keeps it; DatasetError, saying where, for one no captcha can show."""
    try:
        return normalize_label(label)
    except RelabelError as error:
        raise DatasetError(f"{where}: label {label!r}: {error}; fix or drop it") from None


def load_folder(folder: Path) -> CaptchaSet:
    """A labelled folder: `labels.csv` (file,label) beside the images it names (JPEG or PNG)."""
    folder = Path(folder)
    labels_file = folder / LABELS_FILE
    if not labels_file.is_file():
        raise DatasetError(f"{labels_file} not found: a labelled folder needs {LABELS_FILE} with columns file,label")
    pairs, names = [], []
    with labels_file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"file", "label"} <= set(reader.fieldnames):
            raise DatasetError(f"{labels_file}: the header must be file,label (found {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            image_path = folder / row["file"]
            if not image_path.is_file():
                raise DatasetError(f"{labels_file} line {line}: {row['file']} does not exist")
            pairs.append((image_path.read_bytes(), check_label(row["label"], f"{labels_file} line {line}")))
            names.append(row["file"])
    return CaptchaSet.from_pairs(pairs, names)


def synthetic(
    count: int, seed: int, workers: int = 2, cache_dir: Path | None = None, chunk: int = SYNTHETIC_CHUNK
) -> CaptchaSet:
    """`count` captchas from the replica's renderer, preprocessed; cached by count, seed and renderer.
    Each `chunk` of renders has its own seed, so the result depends on neither workers nor chunk order."""
    cache = None
    if cache_dir is not None:
        renderer = hashlib.sha256(inspect.getsource(captcha).encode()).hexdigest()[:12]
        cache = Path(cache_dir) / f"synthetic-{renderer}-{seed}-{count}.npz"
        if cache.is_file():
            stored = np.load(cache)
            texts = [str(text) for text in stored["texts"]]
            return CaptchaSet(stored["images"], texts, [f"synthetic-{seed}-{i}" for i in range(count)])
    chunks = [(seed, start, min(chunk, count - start)) for start in range(0, count, chunk)]
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_render_chunk, chunks))
    else:
        results = [_render_chunk(chunk) for chunk in chunks]
    images = np.concatenate([images for images, _ in results]) if results else _empty_images()
    texts = [text for _, chunk_texts in results for text in chunk_texts]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, images=images, texts=np.array(texts))
    return CaptchaSet(images, texts, [f"synthetic-{seed}-{i}" for i in range(count)])


def _render_chunk(chunk: tuple[int, int, int]) -> tuple[np.ndarray, list[str]]:
    seed, start, size = chunk
    rng = random.Random(f"{seed}:{start}")
    texts = [captcha.random_text(rng) for _ in range(size)]
    images = preprocess_many([captcha.render(text, rng) for text in texts])
    return images, texts


def _empty_images() -> np.ndarray:
    return np.zeros((0, INPUT_HEIGHT, INPUT_WIDTH), dtype=np.uint8)
