"""What decides a training run, and its defaults.

Light to import (no TensorFlow), so that `bsr train` shows and passes the very defaults the trainer uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainingConfig:
    """Everything that decides a training run; stored in the model's metadata."""

    output: Path
    real: list[Path] = field(default_factory=list)
    synthetic: int = 0
    epochs: int = 60
    batch_size: int = 64
    learning_rate: float = 2e-3
    patience: int = 8
    seed: int = 0
    max_minutes: float | None = None
    real_repeats: int = 1
    init_model: Path | None = None
    cache_dir: Path | None = None
    workers: int = 2
    width: float = 1.0
