"""The errors of the flows room: each says what was asked, what is stored, and what to ask instead.

The CLI prints them as one line; the dashboard answers them with 404 or 400."""

from __future__ import annotations


class FlowsError(Exception):
    """A question the stored reports cannot answer as asked."""


class NoStoredDaysError(FlowsError):
    """No stored trading day falls in the asked window (or none is stored at all)."""


class UnknownStockError(FlowsError):
    """No report of this stock code is stored."""


class UnknownBranchError(FlowsError):
    """No stored trade was made by this broker branch."""
