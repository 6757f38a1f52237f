"""`g2a-harness receiver serve`: it serves the port it announces; a busy port is one line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import API_HASH, API_KEY, WEBHOOK_SECRET, delivery
from qa_support import announced

ROOT = Path(__file__).resolve().parents[3]
BANNER = re.compile(r"G2A receiver: (http://127\.0\.0\.1:[1-9][0-9]*)/webhooks/g2a")
SERVE = [sys.executable, "-m", "harness", "receiver", "serve"]


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "G2A_API_URL": "http://127.0.0.1:9/v1",
        "G2A_API_HASH": API_HASH,
        "G2A_API_KEY": API_KEY,
        "G2A_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "G2A_IDEMPOTENCY_URL": f"sqlite:///{tmp_path / 'receiver.sqlite3'}",
    }


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """`receiver serve --port 0`, and the base URL its first line announces."""
    log = tmp_path / "receiver.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*SERVE, "--port", "0"], cwd=ROOT, env=environment(tmp_path), stdout=sink, stderr=sink
        )
        try:
            yield announced(log, process, BANNER)
        finally:
            process.terminate()
            process.wait(10)


def test_port_zero_announces_the_port_it_serves(base_url: str) -> None:
    headers, body = delivery("evt-cli-1")
    deadline = time.monotonic() + 15
    while True:
        try:
            answer = httpx.post(f"{base_url}/webhooks/g2a", content=body, headers=headers)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert (answer.status_code, answer.json()) == (
        200,
        {"status": "processed", "event_id": "evt-cli-1"},
    )


def test_a_port_in_use_is_one_line_and_opens_no_store(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--port", str(port)],
            cwd=ROOT,
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"g2a-harness receiver: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    assert not (tmp_path / "receiver.sqlite3").exists()
