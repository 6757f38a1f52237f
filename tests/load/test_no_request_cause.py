"""A load run without a verdict to trust says why on screen, not only in locust.log: its Locust
master or process died or failed, or it made no request."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from harness.load.report import print_verdict
from harness.load.runner import last_error_line, run_cause

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


def test_a_master_that_died_is_the_cause_not_the_missing_requests(tmp_path: Path) -> None:
    """Killed mid-run, the master wrote no final stats: it said "no request was made"."""
    log = tmp_path / "locust.log"
    log.write_text(LOG)
    assert run_cause(-9, 0, log, "master") == (
        "the Locust master died before the run ended (killed by SIGKILL, exit code -9): no "
        "final stats, its workers were stopped"
    )
    assert run_cause(-15, 120, log, "process") == (
        "the Locust process died before the run ended (killed by SIGTERM, exit code -15): no "
        "final stats"
    )
    assert run_cause(-77, 0, log, "process") == (
        "the Locust process died before the run ended (killed by signal 77, exit code -77): no "
        "final stats"
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
