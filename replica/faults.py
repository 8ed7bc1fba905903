"""The replica's bad days: latency, HTTP 500s, dropped connections, the firewall's block page and HTTP 403s.

An ASGI layer outside the app that decides per request, from the live config, whether the site misbehaves."""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from replica import pages
from replica.config import ReplicaConfig
from replica.stats import ReplicaStats

API_PREFIX = "/replica/api/"
WINDOW_S = 60.0
# The site's own pages, as opposed to the scripts, style sheets and images they load: what the 2026 throttle
# was seen answering with 403. Whether the live throttle also counts the static files is not known.
SITE_PAGES = frozenset(
    {
        "/bshtm",
        "/bshtm/",
        "/bshtm/default.aspx",
        "/bshtm/bsWelcome.aspx",
        "/bshtm/bsMenu.aspx",
        "/bshtm/CaptchaImage.aspx",
        "/bshtm/bsContent.aspx",
    }
)


class FaultDice:
    """Seeded coin flips for the fault knobs, so a run with the same seed and requests misbehaves alike."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"faults-{seed}")
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Back to the first throw of the seed."""
        with self._lock:
            self._rng = random.Random(f"faults-{self._seed}")

    def hits(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def fraction(self) -> float:
        with self._lock:
            return self._rng.uniform(0.2, 0.8)


class ClientLimit:
    """Refuses a client address for a while once it sends more requests in a minute than a threshold.

    The firewall (block page) and the throttle (HTTP 403) are one each; both read their threshold and
    blocking time from the live config on every request, and their time from `clock`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._recent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def admits(self, client: str, per_minute: int, block_s: float) -> bool:
        if per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            if self._blocked_until.get(client, float("-inf")) > now:
                return False
            recent = self._recent.setdefault(client, deque())
            recent.append(now)
            while now - recent[0] >= WINDOW_S:
                recent.popleft()
            if len(recent) > per_minute:
                self._blocked_until[client] = now + block_s
                recent.clear()
                return False
            return True

    def clear(self) -> None:
        with self._lock:
            self._recent.clear()
            self._blocked_until.clear()


class FaultLayer:
    """Wraps the whole app, outside Starlette's own error handling, so a dropped connection is a real one."""

    def __init__(
        self,
        app: ASGIApp,
        config: ReplicaConfig,
        stats: ReplicaStats,
        dice: FaultDice,
        firewall: ClientLimit,
        throttle: ClientLimit,
    ) -> None:
        self.app = app
        self.config = config
        self.stats = stats
        self.dice = dice
        self.firewall = firewall
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        config = self.config
        self.stats.bump("requests")
        if config.latency_s > 0:
            await asyncio.sleep(config.latency_s)
        client = (scope.get("client") or ("unknown", 0))[0]
        if not self.firewall.admits(client, config.firewall_requests_per_minute, config.firewall_block_s):
            self.stats.bump("firewall_blocked")
            error_code = str(secrets.randbelow(10**19))
            await HTMLResponse(pages.firewall_block(error_code))(scope, receive, send)
            return
        if scope["path"] in SITE_PAGES:
            if not self.throttle.admits(client, config.throttle_requests_per_minute, config.throttle_block_s):
                self.stats.bump("throttled")
                await _forbidden(scope, receive, send)
                return
            if self.dice.hits(config.forbidden_rate):
                self.stats.bump("faults_forbidden")
                await _forbidden(scope, receive, send)
                return
        if self.dice.hits(config.drop_rate):
            self.stats.bump("faults_dropped")
            await _drop_connection(send)
            return
        if self.dice.hits(config.error_rate):
            self.stats.bump("faults_error")
            page = pages.server_error("Runtime Error", "An application error occurred on the server.")
            await HTMLResponse(page, status_code=500)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _forbidden(scope: Scope, receive: Receive, send: Send) -> None:
    await HTMLResponse(pages.forbidden(), status_code=403)(scope, receive, send)


async def _drop_connection(send: Send) -> None:
    """Close the socket without a byte of response, as an overloaded front end does."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
        # Let the server see the connection lost before we return, so it does not answer on our behalf.
        await asyncio.sleep(0)
        return
    # A server that hides its transport: promise a body and end the response without it.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
    raise ConnectionAbortedError("connection dropped by the replica's drop_rate fault")
