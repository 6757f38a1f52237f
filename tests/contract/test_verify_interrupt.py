"""`g2a-harness contracts verify` stops on Ctrl-C: pact's FFI swallowed the interrupt and the
verification went on (for minutes against a provider that does not answer)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


CALLED = threading.Event()  # the verifier has reached the provider


INDEX = json.dumps(
    {
        "openapi": "/__twin/openapi.yaml",
        "routes": [{"method": "POST", "path": "/__twin/states", "summary": "", "example": "curl"}],
    }
).encode()


@pytest.fixture
def silent_provider() -> Iterator[str]:
    """A provider that lists its provider-state surface (`GET /__twin/`, checked before the
    verifier runs) and never answers anything else."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    CALLED.clear()

    def serve(connection: socket.socket) -> None:
        try:
            request = connection.recv(65536)
        except OSError:
            return
        if request.startswith(b"GET /__twin/ "):
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(INDEX)}"
            )
            connection.sendall(f"{head}\r\nConnection: close\r\n\r\n".encode() + INDEX)
            connection.close()
            return
        CALLED.set()

    def accept() -> None:
        while True:
            try:
                connection = listener.accept()[0]
            except OSError:  # closed at teardown
                return
            held.append(connection)
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in held:
        connection.close()


def test_ctrl_c_stops_a_verification_in_progress(silent_provider: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harness", "contracts", "verify"]
    command += ["--provider-url", silent_provider, "--report-dir", str(tmp_path)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Interrupted while it waits on the provider (a fixed 4 s sleep fell, on a busy machine,
    # before the verification had started).
    assert CALLED.wait(timeout=60), "the verifier never called the provider"
    time.sleep(0.5)
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - interrupted < 5
    assert "Traceback" not in err


def test_a_verification_that_runs_out_of_time_fails_and_says_so(
    silent_provider: str, tmp_path: Path
) -> None:
    """Against a provider that never answers, `--timeout 3` ends the command within seconds
    (pact alone would wait out each interaction's request timeout, for minutes): every
    provider fails, with why, and the report says the pacts were not verified."""
    command = [sys.executable, "-m", "harness", "contracts", "verify", "--timeout", "3"]
    command += ["--provider-url", silent_provider, "--report-dir", str(tmp_path)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 20
    assert done.returncode == 1
    assert "did not finish within the verification's 3 s" in done.stdout
    assert "g2a-export-api: 13 interaction(s), FAILED" in done.stdout
    assert "not verified: the verification's 3 s ran out before it" in done.stdout
    assert "g2a-import-api: 4 interaction(s), FAILED" in done.stdout
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert report["pacts_verified"] is False
    assert [(p["passed"], p["reason"]) for p in report["verification"]["providers"]] == [
        (False, "did not finish within the verification's 3 s"),
        (False, "not verified: the verification's 3 s ran out before it"),
    ]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_the_timeout_must_be_a_positive_number_of_seconds(value: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harness", "contracts", "verify", "--timeout", value]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"--timeout: must be a positive number of seconds, not {value!r}" in done.stderr
