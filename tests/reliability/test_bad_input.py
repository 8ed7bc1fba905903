"""Bad input at every face of the project: each gets one clear line that says what to do, and the database
is left exactly as it was. The CLI is tested as a user meets it, in a subprocess."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from solver import Solver
from solver.errors import SolverInputError
from storage import Attempt, AttemptOutcome, Store
from testbed.commands import bsr_environment
from testbed.reports import synthetic_report


def database_dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@pytest.fixture
def filled_database(tmp_path: Path) -> Path:
    """A database holding one report and one rejected captcha, as a user's would after a run."""
    path = tmp_path / "data" / "bsr.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        store.save_report(synthetic_report("2330", records=50))
        store.record_attempt(
            Attempt(
                attempted_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
                job_run_id=None,
                stock_code="2330",
                image=b"\xff\xd8\xff\xe0captcha",
                model_version="v1",
                guess="ACDEF",
                confidence=0.4,
                latency_ms=20.0,
                outcome=AttemptOutcome.REJECTED,
            )
        )
    return path


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with exactly one `bsr: error:` line, the last one, naming `words`, and no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("bsr: error:")]
    assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr
    for word in words:
        assert word in errors[0]
    return errors[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(("--date", "2026-02-30"), ("2026-02-30", "YYYY-MM-DD"), id="impossible-date"),
        pytest.param(("--date", "yesterday"), ("yesterday", "auto"), id="not-a-date"),
        pytest.param(("--stocks", "23@0"), ("23@0", "codes like"), id="impossible-code"),
        pytest.param(("--answer-delay", "-1"), ("--answer-delay",), id="negative-delay"),
        pytest.param(("--rate", "fast"), ("--rate",), id="rate-not-a-number"),
    ],
)
def test_bad_fetch_arguments_are_refused_before_anything_runs(bsr, filled_database: Path, args, words) -> None:
    before = database_dump(filled_database)
    one_clear_line(bsr("fetch", *args), *words)
    assert database_dump(filled_database) == before


def test_cli_runs_that_fail_say_why_in_one_line_and_change_nothing(replica, filled_database: Path, tmp_path) -> None:
    # Each of these loads the solver's libraries, so they run side by side.
    wrong_site = f"http://127.0.0.1:{closed_loopback_port()}/bshtm/"
    cases = {
        "wrong base URL": (wrong_site, "", ("check --base-url", wrong_site)),
        "PostgreSQL unreachable": (
            wrong_site,
            "postgresql+psycopg://nobody@127.0.0.1:1/x",
            ("cannot use database", "check BSR_DATABASE_URL"),
        ),
        "SQLite folder impossible": (
            wrong_site,
            "sqlite:////proc/forbidden/x.db",
            ("cannot use database", "check BSR_DATABASE_URL"),
        ),
        # The site enforces a minimum answer delay that the bot is not told of: the security fails.
        "failed security": (replica.base_url, f"sqlite:///{tmp_path / 'other.sqlite3'}", ()),
    }
    # Far longer than even a first, cold answer takes on a busy machine.
    replica.config.min_answer_delay_s = 60.0
    before = database_dump(filled_database)
    running = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bsr",
                "fetch",
                "--base-url",
                site,
                "--stocks",
                "2317",
                "--rate",
                "0",
                "--max-attempts",
                "1",
            ],
            env=bsr_environment(tmp_path / "data", database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (site, database_url, _) in cases.items()
    }
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=180)
        results[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    for name in ("wrong base URL", "PostgreSQL unreachable", "SQLite folder impossible"):
        one_clear_line(results[name], *cases[name][2])
    assert database_dump(filled_database) == before
    assert not Path("/proc/forbidden").exists()
    # A failed security is named with its reason, and the exit code tells cron.
    failed = results["failed security"]
    assert failed.returncode == 1, failed.stderr[-1000:]
    assert "missing 2317: failed: the site said wrong_captcha" in failed.stdout
    assert replica.stats()["answers_too_fast"] == 1


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, id="jpeg-header-then-noise"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, id="png-header-then-zeros"),
        pytest.param(b"<html><body>Server Too Busy</body></html>", id="html-page"),
    ],
)
def test_corrupt_image_bytes_are_a_solver_input_error(solver: Solver, image: bytes) -> None:
    with pytest.raises(SolverInputError, match="fetch the captcha again"):
        solver.solve(image)


def test_a_truncated_real_captcha_is_a_solver_input_error(solver: Solver, real_captchas: Path) -> None:
    whole = next(real_captchas.rglob("*.jpg")).read_bytes()
    with pytest.raises(SolverInputError, match="captcha bytes are no image"):
        solver.solve(whole[: len(whole) // 2])


@pytest.fixture
def dashboard(filled_database: Path) -> TestClient:
    with TestClient(create_app(f"sqlite:///{filled_database}"), base_url="http://127.0.0.1") as client:
        yield client


def csrf_token(client: TestClient) -> str:
    page = client.get("/failures").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_malformed_and_oversized_dashboard_posts_are_refused_and_change_nothing(
    dashboard: TestClient, filled_database: Path
) -> None:
    token = csrf_token(dashboard)
    before = database_dump(filled_database)
    form = {"csrf_token": token}
    api = {"X-CSRF-Token": token}
    cases = [
        # (request, status, what the answer says)
        (
            lambda: dashboard.post("/failures/1/label", data=form | {"label": "A" * 3_000_000}),
            400,
            "maximum size",
        ),
        (lambda: dashboard.post("/failures/1/label", data=form | {"label": "O0O0O"}), 422, "never appear"),
        (lambda: dashboard.post("/failures/1/label", data=form | {"label": "ACD"}), 422, "exactly 5"),
        (lambda: dashboard.post("/failures/1/label", data={"label": "ACDEF"}), 403, "CSRF"),
        (
            lambda: dashboard.post(
                "/failures/1/label",
                content=b"label=%FF%FE%FD&csrf_token=" + token.encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            422,
            "never appear",
        ),
        (
            lambda: dashboard.post("/failures/99999999999999999999999/label", data=form | {"label": "ACDEF"}),
            404,
            "no solve attempt",
        ),
        (
            lambda: dashboard.post("/api/failures/1/label", json={"label": "A" * 3_000_000}, headers=api),
            422,
            "3000000 characters",
        ),
        (
            lambda: dashboard.post("/api/failures/1/label", json={"label": "ab€de"}, headers=api),
            422,
            "never appear",
        ),
        (
            lambda: dashboard.post(
                "/api/failures/1/label",
                content=b"{not json",
                headers=api | {"content-type": "application/json"},
            ),
            422,
            "the request body is not valid: JSON",
        ),
        (lambda: dashboard.get("/reports?date=2026-02-30"), 400, "is no date"),
        (lambda: dashboard.get("/api/job-runs?limit=many"), 422, "query parameter 'limit' is not valid"),
        (lambda: dashboard.get("/api/reports/2026-02-30"), 422, "path parameter 'trade_date' is not valid"),
    ]
    for send, status, words in cases:
        response = send()
        assert response.status_code == status, response.text[:300]
        assert words in response.text
        assert len(response.content) < 100_000, "the refusal echoes the oversized input back"
    assert database_dump(filled_database) == before
