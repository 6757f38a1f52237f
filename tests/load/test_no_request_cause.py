"""A load run without a verdict to trust says why on screen, not only in locust.log: its Locust
master or process died or failed, or it made no request."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from harness.load.report import print_verdict
from harness.load.runner import last_error_line, run_cause, wait_or_stop

LOG = """\
[2026-12-04 01:00:00,000] host/INFO/locust.main: Starting Locust 2.47.0
Traceback (most recent call last):
  File "locustfile.py", line 3, in <module>
ModuleNotFoundError: No module named 'locust'
[2026-12-04 01:00:01,000] host/INFO/locust.main: Shutting down (exit code 1)
"""


def test_the_last_error_line_of_the_log_is_the_cause(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    log.write_text(LOG)
    assert last_error_line(log) == "ModuleNotFoundError: No module named 'locust'"


def test_a_log_without_an_error_points_at_itself(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    log.write_text("[2026-12-04] host/INFO/locust.main: Starting Locust\n")
    assert last_error_line(log) == f"Locust made no request and logged no error (see {log})"
    missing = tmp_path / "absent.log"
    assert str(missing) in last_error_line(missing)


def test_the_verdict_shows_the_cause() -> None:
    report = {
        "profile": "smoke",
        "target": "twin",
        "passed": False,
        "workers": 0,
        "expected_workers": 0,
        "slos": [],
        "invariants": [],
        "worker_exit_codes": [],
        "cause": "no request was made: [2026-12-04] ModuleNotFoundError: No module named 'x'",
    }
    out = io.StringIO()
    print_verdict(report, console=Console(file=out, width=200))
    assert "\nno request was made: [2026-12-04] ModuleNotFoundError: No module named 'x'\n" in (
        out.getvalue()
    )


def test_a_failed_locust_names_its_exit_code_and_its_last_error(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    log.write_text(LOG)
    error = "ModuleNotFoundError: No module named 'locust'"
    assert run_cause(1, 0, log, "process") == f"the Locust process exited with code 1: {error}"
    assert run_cause(0, 0, log, "master") == f"no request was made: {error}"
    assert run_cause(3, 0, log, "process") == f"no request was made: {error}"
    assert run_cause(0, 5, log, "master") is None
    assert run_cause(3, 5, log, "process") is None  # failed requests: the SLOs judge them


DIED = "died before the run ended (killed by"


@pytest.mark.parametrize(
    ("exit_code", "role", "how", "cause"),
    [
        # Killed mid-run, the master wrote no final stats: it said "no request was made".
        (-9, "master", {"local_workers": 2}, f"the Locust master {DIED} SIGKILL, exit code -9): "
         "no final stats, its workers were stopped"),
        (-15, "process", {}, f"the Locust process {DIED} SIGTERM, exit code -15): no final stats"),
        (-77, "process", {}, f"the Locust process {DIED} signal 77, exit code -77): no final "
         "stats"),
        # `--workers 0 --expect-workers 1`: it said "its workers were stopped", though none was.
        (-9, "master", {"remote_workers": 1}, f"the Locust master {DIED} SIGKILL, exit code "
         "-9): no final stats; its remote workers' commands stop their own"),
        (-9, "master", {"local_workers": 2, "remote_workers": 4}, f"the Locust master {DIED} "
         "SIGKILL, exit code -9): no final stats, its workers here were stopped; its remote "
         "workers' commands stop their own"),
        # Killed by the harness after its time budget: it said "died ... killed by SIGKILL".
        (-9, "process", {"stopped_after_s": 160, "run_time_s": 20}, "the Locust process did "
         "not end within 160 s of a 20 s run; stopped by the harness: no final stats"),
        (-9, "master", {"local_workers": 1, "stopped_after_s": 3, "run_time_s": 20}, "the "
         "Locust master did not end within 3 s of a 20 s run; stopped by the harness: no final "
         "stats, its workers were stopped"),
    ],
)  # fmt: skip
def test_a_locust_that_died_or_was_stopped_is_the_cause_not_the_missing_requests(
    tmp_path: Path, exit_code: int, role: str, how: dict[str, Any], cause: str
) -> None:
    log = tmp_path / "locust.log"
    log.write_text(LOG)
    assert run_cause(exit_code, 0, log, role, **how) == cause


def test_a_process_past_its_budget_is_stopped_and_that_is_recorded() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    assert wait_or_stop(sleeper, 0.5) == (-signal.SIGKILL, True)
    assert time.monotonic() - started < 5
    quick = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert wait_or_stop(quick, 30) == (3, False)
