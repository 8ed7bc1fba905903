"""Captchas the solver's tests read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def validation_captchas(real_captchas: Path) -> list[tuple[bytes, str]]:
    """Fifty captchas of the fixed validation split (numbers ending in 0), never trained on."""
    with open(real_captchas / "labels.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["file"].split(".")[0].endswith("0")]
    return [((real_captchas / row["file"]).read_bytes(), row["label"]) for row in rows[:50]]
