"""The README's several-machines recipe on the twin: a master bound to a non-loopback address,
a worker joining it there, as from another machine.

The adapter calls plain http only on loopback, so on such an address the run serves its twin
and receiver over https, with a certificate of a CA made for the run, which travels in the plan
to every worker. Before, the master refused at once ("G2A_API_URL must use https ...").
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from machine_support import require
from test_load_runs import G2A_HARNESS, ROOT, _load

from harness.ports import free_port

pytestmark = pytest.mark.slow


def _non_loopback_ipv4() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_a_remote_worker_joins_a_master_bound_to_a_non_loopback_address(tmp_path: Path) -> None:
    host = _non_loopback_ipv4()
    require(host is not None, "this machine has no non-loopback IPv4 address")
    assert host is not None
    port = free_port()
    shared = {
        "G2A_WEBHOOK_SECRET": "shared-load-secret-for-both-machines",
        "G2A_LOAD_IDEMPOTENCY_URL": f"sqlite:///{tmp_path / 'shared-store.sqlite3'}",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")} | shared
    remote_log = (tmp_path / "remote-worker.log").open("wb")
    remote = subprocess.Popen(
        [*G2A_HARNESS, "load", "--master-host", host, "--master-port", str(port)],
        cwd=ROOT, env=env, stdout=remote_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        code, output = _load(
            tmp_path,
            "--profile", "smoke", "--run-time", "8s", "--bind-host", host,
            "--workers", "1", "--expect-workers", "2", "--master-port", str(port),
            env=shared,
        )  # fmt: skip
        assert code == 0, output[-3000:]
        remote_code = remote.wait(timeout=60)
    finally:
        if remote.poll() is None:
            remote.kill()
            remote.wait()
        remote_log.close()

    remote_output = (tmp_path / "remote-worker.log").read_text()[-2000:]
    assert remote_code == 0, remote_output
    assert f"waiting for 1 remote worker(s) at {host}:{port}" in output
    assert shared["G2A_WEBHOOK_SECRET"] not in output
    report = json.loads((tmp_path / "load" / "load.json").read_text())
    assert report["passed"] is True
    assert report["envelope"]["base_url"].startswith(f"https://{host}:")
    assert not list((tmp_path / "load").glob("tls-server.*"))  # the key lived for the run only
