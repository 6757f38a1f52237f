"""A distributed run whose Locust master is killed mid-run: the runner stops the workers at once
and the report names the master's death as the cause.

Before, the workers kept buying until Locust's 60 s heartbeat gave up (the twin's orders went
16 -> 80 after the kill), the runner waited 30 s for each worker in turn, and the report said
"no request was made".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from machine_support import require
from process_support import HAS_PROC, alive, children
from test_load_runs import G2A_HARNESS, ROOT, _verdict, _wait_for_users

from harness.ports import free_port
from harness.twin.admin import TwinAdmin

pytestmark = pytest.mark.slow

DIED = (
    "the Locust master died before the run ended (killed by SIGKILL, exit code -9): no final "
    "stats, its workers were stopped"
)
DIED_WITH_REMOTE_WORKERS_ONLY = (  # this command stopped none of them: theirs do
    "the Locust master died before the run ended (killed by SIGKILL, exit code -9): no final "
    "stats; its remote workers' commands stop their own"
)
MAX_ORDERS_AFTER_THE_KILL = 10  # in-flight purchases and a few seconds of stopping; not 60 s


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _twin_url(master_cmdline: list[str]) -> str:
    plan = json.loads(master_cmdline[master_cmdline.index("--g2a-plan") + 1])
    api_url: str = plan["api_url"]
    return api_url.removesuffix("/v1")


def _orders(twin: TwinAdmin) -> int | None:
    try:
        return len(twin.orders())
    except httpx.HTTPError:  # the run ended and its twin with it
        return None


def _until_an_order(twin: TwinAdmin, timeout_s: float = 60) -> None:
    """Until the run's users have bought: its purchases are under way."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _orders(twin):
            return
        time.sleep(0.1)
    raise AssertionError(f"no order was made within {timeout_s} s")


def test_a_killed_master_stops_its_workers_and_is_named_as_the_cause(tmp_path: Path) -> None:
    require(HAS_PROC, "this platform has no Linux /proc to find the Locust processes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    command = [*G2A_HARNESS, "load", "--report-dir", str(tmp_path), "--profile", "smoke"]
    with subprocess.Popen(
        [*command, "--run-time", "60s", "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as run:  # fmt: skip
        try:
            _wait_for_users(tmp_path / "load" / "locust_stats_history.csv")
            locusts = {pid: _cmdline(pid) for pid in children(run.pid)}
            master = next(pid for pid, line in locusts.items() if "--master" in line)
            workers = [pid for pid, line in locusts.items() if "--worker" in line]
            assert len(workers) == 2, locusts
            with TwinAdmin(_twin_url(locusts[master])) as twin:
                _until_an_order(twin)
                os.kill(master, signal.SIGKILL)
                killed_at = time.monotonic()
                at_the_kill = _orders(twin)
                last = at_the_kill
                while run.poll() is None and time.monotonic() - killed_at < 60:
                    last = _orders(twin) or last
                    time.sleep(0.2)
            output, _ = run.communicate(timeout=60)
            ended_after_s = time.monotonic() - killed_at
        finally:
            if run.poll() is None:
                run.kill()

    assert at_the_kill is not None
    assert last is not None
    assert not [pid for pid in workers if alive(pid)], "a Locust worker outlived the run"
    assert ended_after_s < 20, output[-3000:]
    assert last - at_the_kill <= MAX_ORDERS_AFTER_THE_KILL, (at_the_kill, last)
    assert run.returncode == 1, output[-3000:]
    report = _verdict(tmp_path)
    assert (report["passed"], report["cause"]) == (False, DIED)
    assert f"\n{DIED}\n" in output
    assert "no request was made" not in output


def machine_env() -> dict[str, str]:
    """A machine's environment with no G2A_* settings but the webhook secret both share."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    env["G2A_WEBHOOK_SECRET"] = "shared-load-secret-for-both-machines"
    return env


def worker_only(port: str) -> subprocess.Popen[str]:
    """`g2a-harness load --master-host` joining a master on this machine's `port`, as from
    another machine, its output piped (its Locust workers are found through /proc)."""
    require(HAS_PROC, "this platform has no Linux /proc to find the Locust processes")
    return subprocess.Popen(
        [*G2A_HARNESS, "load", "--master-host", "127.0.0.1", "--master-port", port],
        cwd=ROOT, env=machine_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def remote_worker_and_master(
    report_dir: Path, run_time: str, *options: str, run_stdout: int = subprocess.DEVNULL
) -> tuple[str, subprocess.Popen[str], subprocess.Popen[str]]:
    """A worker-only run (as on another machine) and a smoke run (with `options`) whose master
    expects it, on a free port: the port, the worker-only process (its output piped) and the
    run's (its stdout to `run_stdout`)."""
    port = str(free_port())
    remote = worker_only(port)
    command = [*G2A_HARNESS, "load", "--report-dir", str(report_dir), "--profile", "smoke"]
    run = subprocess.Popen(
        [*command, "--run-time", run_time, "--expect-workers", "1", "--master-port", port,
         *options],
        cwd=ROOT, env=machine_env(), stdout=run_stdout, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    return port, remote, run


def test_a_remote_worker_stops_when_its_master_is_killed(tmp_path: Path) -> None:
    """On another machine a worker-only run is the only one to notice: its master's port no
    longer answers, so it stops its Locust workers and says why."""
    port, remote, run = remote_worker_and_master(tmp_path, "60s")
    try:
        _wait_for_users(tmp_path / "load" / "locust_stats_history.csv")
        workers = children(remote.pid)
        master = next(pid for pid in children(run.pid) if "--master" in _cmdline(pid))
        os.kill(master, signal.SIGKILL)
        killed_at = time.monotonic()
        _, stderr = remote.communicate(timeout=60)
        ended_after_s = time.monotonic() - killed_at
    finally:
        for process in (remote, run):
            if process.poll() is None:
                process.kill()
            process.wait()

    assert workers
    assert not [pid for pid in workers if alive(pid)], "a Locust worker outlived the run"
    assert ended_after_s < 20, stderr[-3000:]
    assert remote.returncode == 1
    assert stderr.endswith(
        f"the master at 127.0.0.1:{port} is gone (Connection refused): its workers were stopped\n"
    )
    assert (run.returncode, _verdict(tmp_path)["cause"]) == (1, DIED_WITH_REMOTE_WORKERS_ONLY)
