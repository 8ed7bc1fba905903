"""Builders of the learning-loop tests: stored attempts of rendered captchas and models that always read one text.

A model that reads one fixed text whatever it is shown gives the promotion gate exact, known accuracies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from replica.captcha import render
from solver.alphabet import ALPHABET
from solver.model import build_model
from storage import Attempt, AttemptOutcome, Store
from trainer.training import save_for_inference

START = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def save_model_reading(text: str, path: Path) -> Path:
    """A model file, with its LiteRT copy, whose every answer is `text`: its last layer ignores the image."""
    model = build_model(seed=0)
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"][-1]
    kernel, bias = dense.get_weights()
    bias = np.zeros_like(bias)
    for position, char in enumerate(text):
        bias[position * len(ALPHABET) + ALPHABET.index(char)] = 20.0
    dense.set_weights([np.zeros_like(kernel), bias])
    path.parent.mkdir(parents=True, exist_ok=True)
    save_for_inference(model, path, np.random.default_rng(0).integers(0, 256, (8, 32, 96), dtype=np.uint8))
    return path


def record(
    store: Store,
    text: str,
    outcome: AttemptOutcome,
    minute: int,
    guess: str | None = None,
    seed: int | None = None,
    image: bytes | None = None,
) -> int:
    """Stores an attempt at a rendered captcha of `text`, `minute` minutes after START."""
    picture = image if image is not None else render(text, random.Random(seed if seed is not None else minute))
    return store.record_attempt(
        Attempt(
            attempted_at=START + timedelta(minutes=minute),
            job_run_id=None,
            stock_code="2330",
            image=picture,
            model_version="v0",
            guess=guess or (text if outcome is AttemptOutcome.ACCEPTED else "ZZZZZ"),
            confidence=0.5,
            latency_ms=5.0,
            outcome=outcome,
        )
    )
