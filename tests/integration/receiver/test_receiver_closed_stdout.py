"""`g2a-harness receiver serve >&-`: a stdout closed at start stops no server. It failed at once
(AttributeError: 'NoneType' object has no attribute 'fileno', exit code 1); now it serves, prints
nothing, and says once on stderr that its delivery lines are dropped."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
from _receiver_fixtures import assert_processed
from test_receiver_cli import ROOT, SERVE, environment

from harness.ports import free_port

DROPPED = "g2a-harness receiver: stdout is closed: delivery lines are dropped"


def _first_answer(client: httpx.Client, process: subprocess.Popen[bytes]) -> httpx.Response:
    """The health check's answer, once the server listens."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return client.get("/healthz")
        except httpx.TransportError:
            assert process.poll() is None, "the server ended"
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.1)


def test_a_closed_stdout_serves_and_says_once_that_lines_are_dropped(tmp_path: Path) -> None:
    port = free_port()
    closed_stdout = ["sh", "-c", 'exec "$@" >&-', "sh", *SERVE, "--port", str(port)]
    errors = tmp_path / "err.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            closed_stdout, cwd=ROOT, env=environment(tmp_path), stderr=stderr
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                assert _first_answer(client, process).status_code == 200
                for number in range(3):
                    assert_processed(client, f"evt-closed-{number}")
        finally:
            process.terminate()
            code = process.wait(10)

    logged = errors.read_text()
    assert code == -signal.SIGTERM, logged
    assert "Traceback" not in logged
    assert logged.count(DROPPED) == 1, logged
