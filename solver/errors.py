"""The solver's typed errors, each with a message that says what to do.

The CLI prints them as one line; the bot treats SolverInputError as a bad captcha download."""

from __future__ import annotations


class SolverError(Exception):
    """Something the solver cannot do; the message says what to do about it."""


class SolverInputError(SolverError, ValueError):
    """The bytes given to the solver are no image it can read."""


class ModelNotFoundError(SolverError, FileNotFoundError):
    """No model at the path or version asked for."""
