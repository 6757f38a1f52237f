"""A load run stopped early (Ctrl-C) stops every Locust process it started: an orphaned master
kept writing the run's reports after the command had returned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.load import runner
from harness.load.profiles import load_profiles

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


class Interrupted:
    """`_wait_all` as Ctrl-C finds it: the first wait is interrupted; notes every process."""

    def __init__(self) -> None:
        self.seen: list[subprocess.Popen[bytes]] = []

    def __call__(self, processes: list[subprocess.Popen[bytes]], timeout_s: float) -> list[int]:
        self.seen.extend(processes)
        raise KeyboardInterrupt


@pytest.mark.parametrize("workers", [0, 2])
def test_an_interrupted_run_stops_the_master_and_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(SLEEPER, **kwargs))  # stands in for a Locust process
        return started[-1]

    monkeypatch.setattr(runner.subprocess, "Popen", popen)
    monkeypatch.setattr(runner, "_wait_all", Interrupted())
    run = runner.LoadRun(load_profiles()["smoke"], workers=workers, report_dir=tmp_path)
    plan: Any = type("Plan", (), {"to_json": lambda self: "{}"})()

    with pytest.raises(KeyboardInterrupt):
        runner._start_locust(run, plan, env={})

    assert len(started) == 1 + workers
    assert [process.poll() is not None for process in started] == [True] * (1 + workers)
