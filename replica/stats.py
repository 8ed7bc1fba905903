"""Counters of what the replica has served and how answers fared, for tests and benchmarks.

Read them in-process or as JSON from /replica/api/stats; reset them between runs."""

from __future__ import annotations

import threading
from collections import Counter

from replica.config import fault_counters

# What the replica served and how answers fared; the faults' own counters come with their knobs.
SERVED_COUNTERS = (
    "requests",
    "menus_served",
    "captchas_issued",
    "captchas_served",
    "captchas_not_found",
    "answers_right",
    "answers_wrong",
    "answers_too_fast",
    "answers_expired",
    "no_data",
    "viewstate_errors",
    "reports_served",
    "report_views_served",
    "listings_served",
    "reports_refused",
)
COUNTERS = (*SERVED_COUNTERS, *fault_counters())


class ReplicaStats:
    """Named counters, safe to bump from the server thread while a test reads them."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def bump(self, counter: str) -> None:
        if counter not in COUNTERS:
            raise KeyError(f"unknown replica counter {counter!r}")
        with self._lock:
            self._counts[counter] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {counter: self._counts[counter] for counter in COUNTERS}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
