"""A Locust run that overruns its time budget is stopped by the harness, and the report says
so: it said the process "died ... (killed by SIGKILL)", as if something else had killed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.load import runner
from harness.load.profiles import get_profile
from harness.load.runner import LoadRun, execute

pytestmark = pytest.mark.slow


def test_a_run_past_its_budget_is_stopped_by_the_harness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "run_budget_s", lambda profile: 4)
    monkeypatch.delenv("G2A_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("G2A_LOAD_IDEMPOTENCY_URL", raising=False)
    profile = get_profile("smoke").with_overrides(run_time="30s")

    report = execute(LoadRun(profile, report_dir=tmp_path))

    cause = (
        "the Locust process did not end within 4 s of a 30 s run; stopped by the harness: no "
        "final stats"
    )
    assert (report["passed"], report["cause"]) == (False, cause)
    assert json.loads((tmp_path / "load.json").read_text())["cause"] == cause
    assert f"\n{cause}\n" in capsys.readouterr().out
    assert not (tmp_path / "locust_stats.csv").exists()  # Locust's partial one is not kept
