"""A master that gives up waiting for its workers says how many joined of how many it expected.
It quoted Locust's `Gave up waiting for workers to connect`, which names no count, and its
headline counted the workers it expected: Locust's master then exits without its `quit` event,
so no journal recorded who joined."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load import runner
from harness.load.profiles import get_profile
from harness.load.runner import LoadRun, execute

pytestmark = pytest.mark.slow


def test_a_master_that_gives_up_on_its_workers_says_how_many_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "EXPECT_WORKERS_MAX_WAIT_S", 10)  # the local worker joins by then
    monkeypatch.delenv("G2A_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("G2A_LOAD_IDEMPOTENCY_URL", raising=False)
    profile = get_profile("smoke").with_overrides(run_time="5s")

    report = execute(LoadRun(profile, workers=1, expect_workers=2, report_dir=tmp_path))

    cause = (
        "the Locust master gave up waiting for its workers after 10 s: 1 of 2 joined, its "
        "workers here were stopped; its remote workers' commands stop their own"
    )
    assert (report["passed"], report["cause"]) == (False, cause)
    assert report["measured"]["workers_joined"] == 1
    out = capsys.readouterr().out
    headline = next(line.strip() for line in out.splitlines() if "load profile smoke" in line)
    assert headline == "load profile smoke on twin, master + 1 worker(s): FAILED"
    assert f"\n{cause}\n" in out
