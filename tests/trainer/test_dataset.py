"""Datasets: labelled folders (JPEG or PNG), (bytes, label) pairs, the fixed split, synthetic renders."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from replica.captcha import render
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH
from trainer.dataset import FOLDS, CaptchaSet, DatasetError, fold_of, load_folder, synthetic
from trainer.relabel import RelabelError, normalize_label

WriteFolder = Callable[..., list[str]]


@pytest.mark.parametrize("png", [False, True])
def test_load_folder_reads_images_and_labels(tmp_path: Path, png: bool, write_folder: WriteFolder) -> None:
    texts = write_folder(tmp_path, 12, png=png)
    data = load_folder(tmp_path)
    assert len(data) == 12
    assert data.texts == texts  # labels are read case-insensitively, as the site compares
    assert data.images.shape == (12, INPUT_HEIGHT, INPUT_WIDTH)
    assert data.labels.shape == (12, 5)
    assert len(data.raw) == 12


def test_validation_split_is_every_file_numbered_zero(tmp_path: Path, write_folder: WriteFolder) -> None:
    write_folder(tmp_path, 25)
    training, validation = load_folder(tmp_path).split_validation()
    assert validation.names == ["00010.jpg", "00020.jpg"]
    assert len(training) == 23
    assert not set(training.names) & set(validation.names)


def test_every_file_is_in_exactly_one_fold_and_fold_0_is_the_validation_split(
    tmp_path: Path, write_folder: WriteFolder
) -> None:
    write_folder(tmp_path, 25)
    data = load_folder(tmp_path)
    held_out = [data.split_fold(fold)[1].names for fold in range(FOLDS)]
    assert sorted(name for names in held_out for name in names) == sorted(data.names)
    assert held_out[3] == ["00003.jpg", "00013.jpg", "00023.jpg"]
    for fold in range(FOLDS):
        others, fold_set = data.split_fold(fold)
        assert len(others) + len(fold_set) == 25 and not set(others.names) & set(fold_set.names)
    assert data.split_fold(0)[1].names == data.split_validation()[1].names
    assert data.split_fold(0)[0].names == data.split_validation()[0].names
    assert fold_of("images/01234.jpg") == 4 and fold_of("no-number.jpg") is None


def test_missing_labels_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="labels.csv"):
        load_folder(tmp_path)


def test_bad_label_names_the_line(tmp_path: Path, write_folder: WriteFolder) -> None:
    write_folder(tmp_path, 3)
    lines = (tmp_path / "labels.csv").read_text().splitlines()
    lines[2] = "00002.jpg,B0OMS"
    (tmp_path / "labels.csv").write_text("\n".join(lines))
    with pytest.raises(DatasetError, match="line 3"):
        load_folder(tmp_path)


@pytest.mark.parametrize("label", ["", "ACDE", "ACDEFG", "AC DE", "ACDE1", "ob5ms"])
def test_a_folders_labels_are_refused_as_relabelling_refuses_them(
    tmp_path: Path, write_folder: WriteFolder, label: str
) -> None:
    write_folder(tmp_path, 3)
    lines = (tmp_path / "labels.csv").read_text().splitlines()
    lines[2] = f"00002.jpg,{label}"
    (tmp_path / "labels.csv").write_text("\n".join(lines))
    with pytest.raises(RelabelError) as refused:
        normalize_label(label)
    with pytest.raises(DatasetError) as dataset_refused:
        load_folder(tmp_path)
    assert "line 3" in str(dataset_refused.value) and str(refused.value) in str(dataset_refused.value)


def test_a_folders_labels_are_kept_as_relabelling_keeps_them(tmp_path: Path, write_folder: WriteFolder) -> None:
    texts = write_folder(tmp_path, 3)
    lines = (tmp_path / "labels.csv").read_text().splitlines()
    lines[2] = f"00002.jpg, {texts[1].lower()} "
    (tmp_path / "labels.csv").write_text("\n".join(lines))
    assert load_folder(tmp_path).texts[1] == normalize_label(f" {texts[1].lower()} ") == texts[1]


def test_missing_image_names_the_file(tmp_path: Path, write_folder: WriteFolder) -> None:
    write_folder(tmp_path, 3)
    (tmp_path / "00003.jpg").unlink()
    with pytest.raises(DatasetError, match="00003.jpg"):
        load_folder(tmp_path)


def test_pairs_become_a_set() -> None:
    rng = random.Random(2)
    pairs = [(render(text, rng), text) for text in ("AC234", "ZZZZZ")]
    data = CaptchaSet.from_pairs(pairs)
    assert data.texts == ["AC234", "ZZZZZ"]
    assert data.raw[0] == pairs[0][0]


def test_synthetic_is_reproducible_and_cached(tmp_path: Path) -> None:
    first = synthetic(60, seed=3, workers=1, cache_dir=tmp_path, chunk=20)
    again = synthetic(60, seed=3, workers=2, chunk=20)
    cached = synthetic(60, seed=3, workers=1, cache_dir=tmp_path, chunk=20)
    assert first.texts == again.texts == cached.texts
    assert np.array_equal(first.images, again.images)
    assert np.array_equal(first.images, cached.images)
    assert list(tmp_path.glob("synthetic-*.npz"))
    assert synthetic(10, seed=4).texts != first.texts[:10]
