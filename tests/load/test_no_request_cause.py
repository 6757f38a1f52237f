"""A load run that made no request says why on screen, not only in locust.log."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from harness.load.report import print_verdict
from harness.load.runner import last_error_line

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
        "cause": "ModuleNotFoundError: No module named 'locust'",
    }
    out = io.StringIO()
    print_verdict(report, console=Console(file=out, width=200))
    assert "no request was made: ModuleNotFoundError: No module named 'locust'" in out.getvalue()
