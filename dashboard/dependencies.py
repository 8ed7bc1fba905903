"""What the routes are handed: the app's Store, the flows' columnar copy and the clock.

Routes ask for these with Depends, so tests and the demo can build an app over any database."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from flows import ColumnarCopy
from storage import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_columnar(request: Request) -> ColumnarCopy:
    columnar: ColumnarCopy = request.app.state.columnar
    return columnar


def get_now(request: Request) -> datetime:
    """The current time, aware (UTC); the app's clock, which a demo may set."""
    now: datetime = request.app.state.clock()
    return now
