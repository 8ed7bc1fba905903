"""Run the replica with uvicorn: in a background thread for tests, or in the foreground for the CLI.

`ReplicaServer(config)` is a context manager that serves on a free loopback port and exposes the live state."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from replica.app import create_app
from replica.config import ReplicaConfig, ReplicaConfigError
from replica.pages import site_date
from replica.state import ReplicaState

STARTUP_TIMEOUT_S = 15.0


class ReplicaServer:
    """The replica on 127.0.0.1 at a free port, in a background thread; usable from sync and async tests.

    `base_url` ends in /bshtm/ like the real site's; `config` is the live config the pages read. A test that
    waits out a captcha's expiry or a block passes a fake `clock` and moves it on."""

    def __init__(self, config: ReplicaConfig | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = create_app(config or ReplicaConfig(), clock)
        self.state: ReplicaState = self.app.state.replica
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def config(self) -> ReplicaConfig:
        return self.state.config

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/bshtm/"

    @property
    def listing_url(self) -> str:
        """The replica's copy of the exchange's ISIN list, as of the trade date it serves."""
        return f"{self.root_url}/isin/C_public.jsp?strMode=2"

    def stats(self) -> dict[str, int]:
        return self.state.stats.snapshot()

    def captcha_answer(self, guid: str) -> str | None:
        """The answer of a live captcha, for tests that play a perfect solver; None once used or expired."""
        return self.state.captchas.answer_of(guid)

    def use_replay(self, folder: Path) -> None:
        """Serve the real labelled captchas of `folder` (with labels.csv) from now on, until reset."""
        self.state.use_captcha_source("replay", folder)

    def use_synthetic(self) -> None:
        """Draw new captchas with the renderer from now on."""
        self.state.use_captcha_source("synthetic")

    def reset(self) -> None:
        """Settings back to how the server started; counters, firewall, sessions and captchas cleared."""
        self.state.reset()

    def start(self) -> ReplicaServer:
        listener = bind("127.0.0.1", 0)
        self.port = listener.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name="replica-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the replica server did not start; see the log above for why")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket for the replica; a taken port is a one-line error that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that name their protocol, and without it
    # keep-alive clients wait 40 ms on every response (Nagle against delayed ACKs).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ReplicaConfigError(f"cannot listen on {host}:{port} ({error.strerror}): choose another --port") from error
    # Listening now, not when uvicorn's loop gets to it: a client that reads the announced URL and connects
    # at once waits in the backlog instead of being refused.
    listener.listen(2048)
    return listener


def serve(config: ReplicaConfig, host: str, port: int, announce: Callable[[str], object] = print) -> None:
    """Serve the replica in the foreground until interrupted; `announce` gets its URL once it listens."""
    app = create_app(config)
    listener = bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    announce(
        f"replica of bsr.twse.com.tw, trade date {site_date(config.trade_date)}: "
        f"http://{shown_host}:{listener.getsockname()[1]}/bshtm/ (Ctrl+C stops it)"
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    server.run(sockets=[listener])
