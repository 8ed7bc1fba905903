"""The replica's ASGI app: the pages of bsr.twse.com.tw/bshtm (replica.site), the exchange's ISIN list
(replica.isin) and a small control API (replica.control), over one ReplicaState, with the faults outermost."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from replica import control, isin, site
from replica.config import ReplicaConfig
from replica.faults import FaultLayer
from replica.state import ReplicaState


class ReplicaApp(Starlette):
    """Starlette with the fault layer outermost, where it can reach the connection itself."""

    def __init__(self, state: ReplicaState) -> None:
        self.replica = state
        super().__init__(routes=[*site.routes(state), *control.routes(state), *isin.routes(state)])
        self.state.replica = state

    def build_middleware_stack(self) -> ASGIApp:
        state = self.replica
        plain = super().build_middleware_stack()
        faulty = FaultLayer(plain, state.config, state.stats, state.dice, state.firewall, state.throttle)

        async def by_host(scope: Scope, receive: Receive, send: Send) -> None:
            chosen = plain if scope.get("path", "").startswith(isin.ISIN_PREFIX) else faulty
            await chosen(scope, receive, send)

        return by_host


def create_app(config: ReplicaConfig, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The replica as an ASGI app; `app.state.replica` is its ReplicaState. Tests pass a fake `clock`."""
    return ReplicaApp(ReplicaState(config, clock))
