"""A load run stopped early (Ctrl-C, SIGTERM) stops every Locust process it started: an orphaned
master kept writing the run's reports after the command had returned."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from machine_support import require
from process_support import HAS_PROC, started_children

from harness.load import runner
from harness.load.profiles import load_profiles

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


class Interrupted:
    """`wait_or_stop` as Ctrl-C finds it: the first wait is interrupted; notes the process."""

    def __init__(self) -> None:
        self.seen: list[subprocess.Popen[bytes]] = []

    def __call__(self, process: subprocess.Popen[bytes], budget_s: float) -> tuple[int, bool]:
        self.seen.append(process)
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
    monkeypatch.setattr(runner, "wait_or_stop", Interrupted())
    run = runner.LoadRun(load_profiles()["smoke"], workers=workers, report_dir=tmp_path)
    plan: Any = type("Plan", (), {"to_json": lambda self: "{}"})()

    with pytest.raises(KeyboardInterrupt):
        runner._start_locust(run, plan, env={})

    assert len(started) == 1 + workers
    assert [process.poll() is not None for process in started] == [True] * (1 + workers)


def test_a_run_interrupted_before_its_verdict_names_what_it_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said nothing and left Locust's stats of the cut run (a `locust_stats.json` as a
    finished run leaves it) with no load.json: nothing told them from a result."""

    def interrupted(run: runner.LoadRun, plan: object, env: object) -> object:
        for name in ("journal.json", "locust_stats.json", "locust_stats.csv"):
            (tmp_path / name).write_text("{}", encoding="utf-8")  # as Locust left them
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_start_locust", interrupted)
    monkeypatch.delenv("G2A_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("G2A_LOAD_IDEMPOTENCY_URL", raising=False)

    with pytest.raises(KeyboardInterrupt):
        runner.execute(runner.LoadRun(load_profiles()["smoke"], report_dir=tmp_path))

    said = capsys.readouterr()
    assert said.err == (
        "g2a-harness load: the run was stopped before its verdict: no load.json, and what it "
        f"left in {tmp_path} (journal.json, locust_stats.csv, locust_stats.json, services.log) "
        "is not a result\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "journal.json",
        "locust_stats.csv",
        "locust_stats.json",
        "services.log",
    ]


DIES = [sys.executable, "-c", "import os, time; time.sleep(0.5); os.kill(os.getpid(), 9)"]


def test_the_workers_are_stopped_at_once_when_the_master_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed master cannot tell its workers to stop: they bought on until Locust's 60 s
    heartbeat gave up, and the runner waited 30 s for each in turn."""
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(SLEEPER if started else DIES, **kwargs))  # master first
        return started[-1]

    monkeypatch.setattr(runner.subprocess, "Popen", popen)
    run = runner.LoadRun(load_profiles()["smoke"], workers=2, report_dir=tmp_path)
    plan: Any = type("Plan", (), {"to_json": lambda self: "{}"})()

    began = time.monotonic()
    end = runner._start_locust(run, plan, env={})

    assert time.monotonic() - began < 5
    assert end == runner.LocustEnd(-signal.SIGKILL, [-signal.SIGTERM, -signal.SIGTERM])


# SIGTERM (a CI job cancelled or timed out) stops the command the way Ctrl-C does: the Locust
# processes it started no longer outlive it, sending traffic and writing into the report dir.
ROOT = Path(__file__).resolve().parents[2]
G2A_HARNESS = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]
TERMINATED = (
    "g2a-harness load: stopped by SIGTERM; every process it started was stopped, no verdict\n"
)


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.1)
    return False


def _terminated(args: list[str], env: dict[str, str]) -> tuple[int, str, int]:
    """Start `g2a-harness load ARGS`, SIGTERM it once its first child runs: its exit code, its
    stderr, and that child's pid."""
    with subprocess.Popen(
        [*G2A_HARNESS, "load", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        child = started_children(process)[0]
        time.sleep(1.0)  # let the child get going
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # an orphaned child holds stderr open
            os.kill(child, signal.SIGKILL)
            raise
    return process.returncode, stderr, child


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    env["G2A_WEBHOOK_SECRET"] = "shared-load-secret-for-the-sigterm-test"
    return env


def test_sigterm_stops_a_worker_only_run_and_its_locust_worker() -> None:
    require(HAS_PROC, "this platform has no Linux /proc to find the Locust processes")
    with socket.socket() as silent_master:  # accepts connections, never answers Locust
        silent_master.bind(("127.0.0.1", 0))
        silent_master.listen()
        port = str(silent_master.getsockname()[1])
        args = ["--master-host", "127.0.0.1", "--master-port", port, "--workers", "1"]

        code, stderr, worker = _terminated(args, _environment())

    try:
        assert _gone_within(worker, 5), "the Locust worker outlived the command"
    finally:
        if Path(f"/proc/{worker}").exists():
            os.kill(worker, signal.SIGKILL)
    assert code == 143
    assert stderr.endswith(TERMINATED)  # after whatever the worker logged


@pytest.mark.slow
def test_sigterm_stops_a_load_run_and_its_locust_processes(tmp_path: Path) -> None:
    require(HAS_PROC, "this platform has no Linux /proc to find the Locust processes")
    args = ["--profile", "smoke", "--run-time", "60s", "--workers", "1"]

    code, stderr, master = _terminated([*args, "--report-dir", str(tmp_path)], _environment())

    try:
        assert _gone_within(master, 5), "the Locust master outlived the command"
    finally:
        if Path(f"/proc/{master}").exists():
            os.kill(master, signal.SIGKILL)
    left = ", ".join(sorted(path.name for path in (tmp_path / "load").iterdir()))
    said_left = (
        "g2a-harness load: the run was stopped before its verdict: no load.json, and what it "
        f"left in {tmp_path / 'load'} ({left}) is not a result\n"
    )
    assert (code, stderr) == (143, said_left + TERMINATED)
    assert not (tmp_path / "load" / "load.json").exists()
