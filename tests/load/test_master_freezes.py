"""A worker-only run whose Locust master freezes (SIGSTOP): its port still accepts connections,
as a dead master's does behind a port-forward, so only the master's silence tells.

Before, the workers bought on until Locust's own 60 s heartbeat timeout (96 more orders on the
smoke profile, the last 59.0 s after the freeze); now each worker gives its master up once it
answered none of `MASTER_SILENT_HEARTBEATS` heartbeats in a row, and the command stops them all
(8 to 11 orders over four runs, the last 4.1 to 5.7 s after the freeze).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from process_support import alive, children
from test_load_runs import _wait_for_users
from test_master_dies import _cmdline, _orders, _twin_url, remote_worker_and_master

from harness.load.heartbeats import MASTER_SILENT_HEARTBEATS
from harness.twin.admin import TwinAdmin

pytestmark = pytest.mark.slow

# Purchases in flight and those of the few seconds before the silence is noticed; Locust's own
# 60 s made 96.
MAX_ORDERS_AFTER_THE_FREEZE = 25
# Locust's MASTER_HEARTBEAT_TIMEOUT: the remote run must end before it
LOCUST_HEARTBEAT_TIMEOUT_S = 60


def _until_ended(remote: subprocess.Popen[str], twin: TwinAdmin) -> tuple[int, float]:
    """Orders the twin took after the freeze, and for how long it took them, until `remote`
    ended (at most Locust's own heartbeat timeout)."""
    frozen_at = time.monotonic()
    at_the_freeze = _orders(twin) or 0
    last, last_at = at_the_freeze, frozen_at
    while remote.poll() is None and time.monotonic() - frozen_at < LOCUST_HEARTBEAT_TIMEOUT_S:
        now = _orders(twin) or last
        if now > last:
            last, last_at = now, time.monotonic()
        time.sleep(0.2)
    return last - at_the_freeze, last_at - frozen_at


def _ended(process: subprocess.Popen[str]) -> None:
    """Once `process` ended; killed when it has not within a minute."""
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_a_remote_worker_stops_when_its_master_freezes(tmp_path: Path) -> None:
    port, remote, run = remote_worker_and_master(tmp_path, "120s")
    master = None
    try:
        _wait_for_users(tmp_path / "load" / "locust_stats_history.csv")
        workers = children(remote.pid)
        master = next(pid for pid in children(run.pid) if "--master" in _cmdline(pid))
        with TwinAdmin(_twin_url(_cmdline(master))) as twin:
            time.sleep(2)  # some purchases made
            os.kill(master, signal.SIGSTOP)
            orders_after, bought_for_s = _until_ended(remote, twin)
        _, stderr = remote.communicate(timeout=30)
    finally:
        if master is not None:
            os.kill(master, signal.SIGKILL)  # its run then ends (and ends its twin) on its own
        for process in (remote, run):
            _ended(process)

    figures = f"{orders_after} orders in {bought_for_s:.1f} s after the freeze"
    print(figures)  # shown by `pytest -rP`
    assert workers
    assert not [pid for pid in workers if alive(pid)], "a Locust worker outlived the run"
    assert orders_after <= MAX_ORDERS_AFTER_THE_FREEZE, figures
    assert remote.returncode == 1, stderr[-3000:]
    assert stderr.endswith(
        f"the master at 127.0.0.1:{port} went silent (no answer to {MASTER_SILENT_HEARTBEATS} "
        "heartbeats in a row): its workers were stopped\n"
    ), (figures, stderr[-3000:])
