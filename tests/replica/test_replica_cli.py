"""`bsr replica serve` in its own process: it prints its URL, serves, and takes fault knobs over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

BSR = [sys.executable, "-c", "from bsr.cli import main; main()", "replica", "serve"]


@contextmanager
def serving(*flags: str) -> Iterator[str]:
    """`bsr replica serve` on a free port with `flags`; yields the base URL it prints."""
    process = subprocess.Popen(
        [*BSR, "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/bshtm/", line)
        assert url, line + process.stderr.read() if process.poll() is not None else line
        yield url.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_prints_its_url_and_obeys_its_flags() -> None:
    with serving(
        "--trade-date",
        "2026-11-19",
        "--csv-layout",
        "2026-07",
        "--seed",
        "3",
        "--latency",
        "0.01",
        "--view-mismatch-rate",
        "0.25",
    ) as base:
        assert '<span id="Label_Date">2026/11/19</span>' in httpx.get(base + "bsWelcome.aspx").text
        control = base.replace("/bshtm/", "/replica/api/")
        knobs = httpx.get(control + "faults").json()
        assert knobs["latency_s"] == 0.01 and knobs["view_mismatch_rate"] == 0.25
        assert httpx.post(control + "faults", json={"error_rate": 1.0}).status_code == 200
        assert httpx.get(base + "bsWelcome.aspx").status_code == 500
        assert httpx.get(control + "stats").json()["faults_error"] == 1
        assert "unbalanced_csv_rate" not in knobs


THROTTLING_FLAGS = {
    "--forbidden-rate": ("forbidden_rate", 0.1),
    "--throttle-rpm": ("throttle_requests_per_minute", 30),
    "--throttle-block": ("throttle_block_s", 60.0),
    "--blank-post-rate": ("blank_post_rate", 0.2),
    "--silent-post-rate": ("silent_post_rate", 0.3),
    "--forbidden-csv-rate": ("forbidden_csv_rate", 0.4),
    "--forbidden-captcha-rate": ("forbidden_captcha_rate", 0.5),
}


def test_serve_takes_the_throttling_knobs_as_flags() -> None:
    flags = [part for flag, (_, value) in THROTTLING_FLAGS.items() for part in (flag, str(value))]
    with serving(*flags) as base:
        knobs = httpx.get(base.replace("/bshtm/", "/replica/api/") + "faults").json()
    assert {knob: knobs[knob] for knob, _ in THROTTLING_FLAGS.values()} == dict(THROTTLING_FLAGS.values())


def test_refuses_a_non_loopback_host_in_one_line() -> None:
    result = subprocess.run([*BSR, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "--allow-remote" in result.stderr


def test_bad_settings_are_one_line_errors(tmp_path) -> None:
    for flags, expected in (
        (["--captcha", "replay", "--replay-dir", str(tmp_path)], "labels.csv"),
        (["--error-rate", "2"], "error_rate"),
        (["--real-csv-dir", str(tmp_path)], "no *.csv file"),
        (["--real-csv-dir", str(tmp_path / "absent")], "is not a folder"),
    ):
        result = subprocess.run([*BSR, *flags], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0 and expected in result.stderr
