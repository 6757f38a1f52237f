"""`gate --run-missing` runs the smoke load again when the load.json on disk can never be judged:
a run cut down (--users/--spawn-rate/--run-time), a --web run, or one stopped early. Keeping
such a report made the gate NO-GO on every later `--run-missing`; a fresh, full, headless run
that failed is kept (running it again would hide the failure)."""

from __future__ import annotations

from typing import Any

import pytest
from gate_support import HEAD, NOW, load_report

from harness.gate.evidence import Binding, ReportFile
from harness.gate.produce import load_needs_run

BINDING = Binding(HEAD, NOW, 24.0)


@pytest.mark.parametrize(
    ("data", "runs"),
    [
        (load_report(), False),
        (load_report(passed=False), False),  # a fresh breach of a full run is kept
        (load_report(web=True), True),
        (load_report(users=2), True),
        (load_report(run_time_s=5), True),
        (load_report(measured={"duration_s": 3.0, "peak_users": 6}), True),
        (load_report(measured={"duration_s": 19.6, "peak_users": 1}), True),
    ],
)
def test_a_load_report_the_gate_cannot_judge_is_produced_again(
    data: dict[str, Any], runs: bool
) -> None:
    assert load_needs_run(ReportFile("reports/load/load.json", data), BINDING) is runs
