"""Captcha solver: image bytes in, text and confidence out.

Preprocessing, the model definition and the shipped models live here."""

from solver.errors import ModelNotFoundError, SolverError, SolverInputError
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
