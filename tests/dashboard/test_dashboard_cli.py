"""`bsr dashboard` as a user runs it: served on loopback over the configured database, errors in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.dashboard.conftest import FilledStore

BSR = [sys.executable, "-m", "bsr"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_bsr_dashboard_serves_the_configured_database_on_loopback(filled_store: FilledStore) -> None:
    port = free_port()
    env = {**os.environ, "BSR_DATABASE_URL": filled_store.url}
    server = subprocess.Popen(
        [*BSR, "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                overview = httpx.get(f"http://127.0.0.1:{port}/api/overview", timeout=2).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bsr dashboard did not answer"
                time.sleep(0.2)
        assert overview["failure_queue_size"] == len(filled_store.queue)
        assert httpx.get(f"http://localhost:{port}/failures", timeout=2).status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=20)
    assert f"http://localhost:{port}/" in stderr
    assert "Traceback" not in stderr


def test_bsr_dashboard_reports_an_unusable_database_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "BSR_DATABASE_URL": f"sqlite:///{blocker / 'bsr.sqlite3'}"}
    result = subprocess.run(
        [*BSR, "dashboard", "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("bsr: error: cannot use database")


def test_bsr_dashboard_beyond_loopback_makes_and_requires_a_token(filled_store: FilledStore) -> None:
    # 127.0.0.2 is not the loopback name the dashboard knows, so it is served as to a network.
    port = free_port()
    env = {**os.environ, "BSR_DATABASE_URL": filled_store.url}
    env.pop("BSR_DASHBOARD_TOKEN", None)
    server = subprocess.Popen(
        [*BSR, "dashboard", "--host", "127.0.0.2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        line = ""
        while "dashboard on" not in line:
            line = server.stderr.readline()
            assert line, "bsr dashboard ended without saying where it listens"
        token = line.split("?token=")[1].split()[0]
        base = f"http://127.0.0.2:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                refused = httpx.get(f"{base}/api/overview", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bsr dashboard did not answer"
                time.sleep(0.2)
        assert refused.status_code == 401
        allowed = httpx.get(f"{base}/api/overview", headers={"Authorization": f"Bearer {token}"}, timeout=2)
        assert allowed.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
