"""`bsr fetch` killed with SIGKILL at random moments: the database keeps only whole reports, each once, and
a rerun fetches the rest. The benchmark runs twenty and more such trials; these are two, seeded."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from testbed.commands import bsr_environment, bsr_fetch
from testbed.databases import stored_reports

CODES = ("2330", "2317", "0050", "00878", "2412", "9998")


def test_killed_twice_at_random_moments_then_a_rerun_completes(replica, tmp_path: Path) -> None:
    rng = random.Random(11)
    database_url = f"sqlite:///{tmp_path / 'bsr.sqlite3'}"
    environment = bsr_environment(tmp_path, database_url)
    # Queries paced at 2/s start at least 0.35 s apart (±30% jitter), so a kill within 0.3 s of a download
    # lets one more report through at most and always leaves part of the day to the next run.
    command = bsr_fetch(replica.base_url, CODES, "--max-attempts", "8", rate=2)
    trade_date = replica.config.trade_date
    stored_before = 0
    for _ in range(2):
        # A random moment while reports flow: a random fraction of a second after this run's first download.
        target = replica.stats()["reports_served"] + 1
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while replica.stats()["reports_served"] < target and process.poll() is None:
            assert time.monotonic() < deadline, "the fetch never got going"
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        assert process.poll() is None, f"the fetch ended before the kill: {process.stderr.read()[-500:]}"
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
        stored, problems = stored_reports(database_url, trade_date)
        assert problems == []
        assert stored_before <= len(stored) < len(CODES)
        stored_before = len(stored)
    served_before = replica.stats()["reports_served"]
    rerun = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    stored, problems = stored_reports(database_url, trade_date)
    assert set(stored) == set(CODES) and problems == []
    # Only what was missing was fetched again (the unknown code has no report to serve).
    assert replica.stats()["reports_served"] - served_before <= len(CODES) - stored_before
