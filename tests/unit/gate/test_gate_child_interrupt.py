"""`gate --run-missing` interrupted (a cancelled CI job): each command it runs is asked to stop
and waited for, so it stops its own children (pytest, Locust) instead of being killed under
them and leaving them writing into the evidence folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from machine_support import require
from process_support import HAS_PROC, alive

ROOT = Path(__file__).resolve().parents[3]

# A harness command in miniature: it starts a long child and stops it when interrupted.
COMMAND = """
import subprocess, sys
from harness.processes import sigterm_interrupts, stopped_if_interrupted
grandchild = subprocess.Popen(["sleep", "60"])
open(sys.argv[1], "w").write(str(grandchild.pid))
with sigterm_interrupts(), stopped_if_interrupted([grandchild]):
    grandchild.wait()
"""
# The gate in miniature: run_child under the CLI's SIGTERM handling.
GATE = """
import os, sys
from harness.gate.produce import run_child
from harness.processes import sigterm_interrupts
with sigterm_interrupts():
    run_child([sys.executable, "-c", sys.argv[1], sys.argv[2]], dict(os.environ))
"""


def test_sigterm_to_the_gate_lets_its_child_stop_the_grandchildren(tmp_path: Path) -> None:
    require(HAS_PROC, "this platform has no Linux /proc to see the grandchild")
    pid_file = tmp_path / "grandchild.pid"
    gate = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(GATE), textwrap.dedent(COMMAND), str(pid_file)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the command never started its child"
            time.sleep(0.05)
        grandchild = int(pid_file.read_text())
        time.sleep(0.5)  # the command is waiting on it, under its SIGTERM handling
        gate.send_signal(signal.SIGTERM)
        gate.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(grandchild), "the command's own child outlived the gate"
    finally:
        gate.kill()
        if pid_file.exists() and pid_file.read_text() and alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
