"""Fixtures of the bot's tests: the shipped solver, a fresh SQLite store, and a job runner."""

from tests.fetching import fetch, real_csv_dir, solver, store  # noqa: F401 - fixtures shared with the reliability tests
