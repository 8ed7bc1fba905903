"""Captcha solver: image bytes in, text and confidence out.

Preprocessing, the model definition and the shipped models live here."""

from solver.errors import ModelNotFoundError, SolverError, SolverInputError
from solver.solver import Solution, Solver

__all__ = ["ModelNotFoundError", "Solution", "Solver", "SolverError", "SolverInputError"]
