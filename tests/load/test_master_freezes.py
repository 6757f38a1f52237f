"""A worker-only run whose Locust master freezes (SIGSTOP): its port still accepts connections,
as a dead master's does behind a port-forward, so only the master's silence tells.

Before, the workers bought on until Locust's own 60 s heartbeat timeout (96 more orders on the
smoke profile, the last 59.0 s after the freeze); now each worker gives its master up once it
answered none of `MASTER_SILENT_HEARTBEATS` heartbeats in a row, and the command stops them all
(8 to 11 orders over four runs, the last 4.1 to 5.7 s after the freeze).

The same when it freezes while the worker's users are stopped (after a web UI's Stop, between
tests) or once the worker joined, before it answered a heartbeat: silence was not counted then.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from process_support import alive, children
from test_load_runs import _wait_for_users
from test_master_dies import (
    _cmdline,
    _orders,
    _twin_url,
    _until_an_order,
    remote_worker_and_master,
    worker_only,
)

from harness.load.heartbeats import MASTER_SILENT_HEARTBEATS
from harness.load.runner import STOP_TIMEOUT_S
from harness.ports import free_port
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
            _until_an_order(twin)
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


def _silent_master_ending(port: str) -> str:
    return (
        f"the master at 127.0.0.1:{port} went silent (no answer to {MASTER_SILENT_HEARTBEATS} "
        "heartbeats in a row): its workers were stopped\n"
    )


# Locust's stop sequence leaves a worker deaf to its master for --stop-timeout; once it listens
# again, its master's silence is noticed within MASTER_SILENT_HEARTBEATS intervals, plus slack
# for a shared machine
NOTICED_WITHIN_S = MASTER_SILENT_HEARTBEATS + 6


@pytest.mark.parametrize(
    ("frozen_after_s", "noticed_within_s"),
    [
        (0, STOP_TIMEOUT_S + NOTICED_WITHIN_S),  # at once: the worker is still deaf
        (STOP_TIMEOUT_S + 3, NOTICED_WITHIN_S),  # between tests: the worker listens again
    ],
    ids=["after-a-web-ui-stop", "between-tests"],
)
def test_a_remote_worker_stops_when_its_master_freezes_while_its_users_are_stopped(
    tmp_path: Path, frozen_after_s: float, noticed_within_s: float
) -> None:
    """Before, no silence was counted from the users stopping until the next test started:
    a master frozen then was noticed by Locust's own 60 s heartbeat timeout only."""
    port, remote, run = remote_worker_and_master(
        tmp_path, "120s", "--web", run_stdout=subprocess.PIPE
    )
    master = None
    try:
        assert run.stdout is not None
        url = re.search(r"Locust web UI at (http://\S+/) running", run.stdout.readline())
        assert url, "the run printed no web UI address"
        _wait_for_users(tmp_path / "load" / "locust_stats_history.csv")
        master = next(pid for pid in children(run.pid) if "--master" in _cmdline(pid))
        workers = children(remote.pid)
        # the web UI's Stop answers once the master told its workers to stop
        assert httpx.post(f"{url.group(1)}stop", timeout=60).status_code == 200
        time.sleep(frozen_after_s)
        # a worker that gave up its healthy master already would seem to notice the freeze at once
        assert workers
        assert remote.poll() is None, "the worker gave up its master before it froze"
        assert all(alive(pid) for pid in workers), "a Locust worker quit before the freeze"
        os.kill(master, signal.SIGSTOP)
        frozen_at = time.monotonic()
        _, stderr = remote.communicate(timeout=LOCUST_HEARTBEAT_TIMEOUT_S + 30)
        ended_after_s = time.monotonic() - frozen_at
    finally:
        if master is not None:
            os.kill(master, signal.SIGKILL)  # its run then ends (and ends its twin) on its own
        for process in (remote, run):
            _ended(process)
        if run.stdout is not None:
            run.stdout.close()

    print(f"noticed {ended_after_s:.1f} s after the freeze")  # shown by `pytest -rP`
    assert remote.returncode == 1, stderr[-3000:]
    assert stderr.endswith(_silent_master_ending(port)), stderr[-3000:]
    assert ended_after_s <= noticed_within_s, f"noticed {ended_after_s:.1f} s after the freeze"


# Locust's own master, as far as letting a worker join (its `ack`); it then freezes (SIGSTOP)
# before it answered a single heartbeat, its port still accepting connections
FROZEN_ONCE_JOINED = """
import os, signal, sys, time
from locust.rpc import Message, rpc

server = rpc.Server("127.0.0.1", int(sys.argv[1]))
while True:
    client_id, message = server.recv_from_client()
    if message.type == "client_ready":
        server.send_to_client(Message("ack", {"index": 0}, client_id))
        time.sleep(0.2)  # for zmq to send it
        os.kill(os.getpid(), signal.SIGSTOP)
"""


def test_a_remote_worker_stops_when_its_master_freezes_before_its_first_answer(
    tmp_path: Path,
) -> None:
    """Before, silence was counted from the master's first answer: a master frozen once the
    worker joined was never given up (Locust's own timeout also waits for a first answer), and
    the worker-only command waited for ever."""
    port = str(free_port())
    master = subprocess.Popen([sys.executable, "-c", FROZEN_ONCE_JOINED, port])
    remote = worker_only(port)
    try:
        joined = remote.stdout.readline() if remote.stdout else ""
        joined += remote.stdout.readline() if remote.stdout else ""
        assert f"joined the master at 127.0.0.1:{port}" in joined, joined
        joined_at = time.monotonic()
        workers = children(remote.pid)
        _, stderr = remote.communicate(timeout=LOCUST_HEARTBEAT_TIMEOUT_S)
        ended_after_s = time.monotonic() - joined_at
    finally:
        master.kill()
        master.wait()
        _ended(remote)

    print(f"noticed {ended_after_s:.1f} s after joining")  # shown by `pytest -rP`
    assert workers
    assert not [pid for pid in workers if alive(pid)], "a Locust worker outlived the run"
    assert remote.returncode == 1, stderr[-3000:]
    assert stderr.endswith(_silent_master_ending(port)), stderr[-3000:]
    assert ended_after_s <= NOTICED_WITHIN_S, f"noticed {ended_after_s:.1f} s after joining"
