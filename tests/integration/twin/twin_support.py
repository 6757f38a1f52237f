"""Constants and helpers shared by the twin's integration tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.assumptions import ORDER_ERRORS

AUTH = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}
SANDBOX_PRODUCT = "10000068865001"
ROOT = Path(__file__).resolve().parents[3]


def error(code: str, message: str) -> dict[str, str]:
    """G2A's error envelope."""
    return {"status": "ERROR", "code": code, "message": message}


def assumed(name: str) -> tuple[int, dict[str, str]]:
    """(HTTP status, envelope) of an error the twin assumes, read from the assumptions registry."""
    spec = ORDER_ERRORS[name]
    return spec.status, error(spec.code, spec.message)


@contextlib.contextmanager
def served_by_cli(log: Path, *options: str) -> Iterator[str]:
    """`g2a-harness twin serve` in a subprocess on a free loopback port; yields its base URL."""
    with socket.socket() as probe:  # port 0 is not discoverable from outside: pick a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from harness.cli import main; main()", "twin", "serve",
               "--port", str(port), *options]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=sink, stdout=sink)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 15
            while True:
                try:
                    httpx.get(f"{base}/__twin/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(10)
