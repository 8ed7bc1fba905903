"""Shared fixtures: paths to the real captchas beside the checkout, and seeded randomness."""

from __future__ import annotations

from pathlib import Path

import pytest

from bsr.settings import get_settings


@pytest.fixture(scope="session")
def real_captchas() -> Path:
    """The real labelled captchas in ../shared/data; tests that need them skip where they are absent."""
    path = get_settings().captcha_data
    if not (path / "labels.csv").is_file():
        pytest.skip(f"real captchas not found at {path}")
    return path
