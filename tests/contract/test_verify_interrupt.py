"""`g2a-harness contracts verify` stops on Ctrl-C: pact's FFI swallowed the interrupt and the
verification went on (for minutes against a provider that does not answer)."""

from __future__ import annotations

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


@pytest.fixture
def silent_provider() -> Iterator[str]:
    """A provider that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:  # closed at teardown
                return

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
    time.sleep(4)  # the verifier is waiting on the provider by now
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - interrupted < 5
    assert "Traceback" not in err
