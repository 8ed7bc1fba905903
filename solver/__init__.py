"""Captcha solver: image bytes in, text and confidence out; preprocessing, the model definition, shipped models.
The solver loads on first use, so that the alphabet is light to import; on a CPU it loads no TensorFlow, Keras or
JAX (solver.model, the Keras definition, is the trainer's)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from solver.errors import ModelNotFoundError, SolverError, SolverInputError

if TYPE_CHECKING:
    from solver.solver import ModelInService, Solution, Solver, model_in_service

__all__ = [
    "ModelInService",
    "ModelNotFoundError",
    "Solution",
    "Solver",
    "SolverError",
    "SolverInputError",
    "model_in_service",
]
_LOADS_THE_SOLVER = frozenset({"ModelInService", "Solution", "Solver", "model_in_service"})


def __getattr__(name: str) -> Any:
    if name in _LOADS_THE_SOLVER:
        return getattr(importlib.import_module("solver.solver"), name)
    raise AttributeError(f"module 'solver' has no attribute {name!r}")
