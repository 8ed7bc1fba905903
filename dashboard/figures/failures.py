"""The failure queue page's figures: a rejected attempt waiting for a human's label, its image served by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import (
    TAIPEI,
    StoredAttempt,
)


@dataclass(frozen=True)
class FailureFigures:
    """A rejected attempt waiting for a label, without its image (served by id at image_url)."""

    id: int
    attempted_at: datetime  # Taipei time
    stock_code: str
    model_version: str
    guess: str
    confidence: float
    image_url: str


def failure_figures(attempt: StoredAttempt) -> FailureFigures:
    return FailureFigures(
        id=attempt.id,
        attempted_at=attempt.attempted_at.astimezone(TAIPEI),
        stock_code=attempt.stock_code,
        model_version=attempt.model_version,
        guess=attempt.guess,
        confidence=attempt.confidence,
        image_url=f"/attempts/{attempt.id}/image",
    )
