"""Fixtures of the trainer tests: labelled folders of rendered captchas, as JPEG or PNG, and `bsr` over a
database of its own."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from bsr.settings import get_settings
from replica.captcha import random_text, render


@pytest.fixture(scope="session")
def write_folder() -> Callable[..., list[str]]:
    """Writes `count` rendered captchas and their labels.csv into a folder; returns the texts."""
    return _write_folder


@pytest.fixture(scope="module")
def labelled_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty rendered captchas (JPEG); files 00010, 00020, 00030, 00040 form the validation split."""
    folder = tmp_path_factory.mktemp("labelled")
    _write_folder(folder, 40, seed=9)
    return folder


def _write_folder(folder: Path, count: int, png: bool = False, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    rows, texts = ["file,label"], []
    for number in range(1, count + 1):
        text = random_text(rng)
        data = render(text, rng)
        name = f"{number:05d}.{'png' if png else 'jpg'}"
        if png:
            buffer = io.BytesIO()
            Image.open(io.BytesIO(data)).save(buffer, "PNG")
            data = buffer.getvalue()
        (folder / name).write_bytes(data)
        rows.append(f"{name},{text.lower() if number % 2 else text}")
        texts.append(text)
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return texts


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`bsr` run in this process over a database of its own; yields the database URL."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("BSR_DATABASE_URL", url)
    monkeypatch.setenv("BSR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
