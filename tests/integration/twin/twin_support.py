"""Constants and helpers shared by the twin's integration tests."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from qa_support import announced

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.assumptions import ORDER_ERRORS
from harness.twin.errors import ErrorSpec

AUTH = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}
SANDBOX_PRODUCT = "10000068865001"
ROOT = Path(__file__).resolve().parents[3]
BANNER_URL = re.compile(r"Export API (http://127\.0\.0\.1:[1-9][0-9]*)/v1")


def error(code: str, message: str) -> dict[str, str]:
    """G2A's error envelope."""
    return {"status": "ERROR", "code": code, "message": message}


def assumed(name: str, table: dict[str, ErrorSpec] = ORDER_ERRORS) -> tuple[int, dict[str, str]]:
    """(HTTP status, envelope) of an error the twin assumes, read from the assumptions registry
    (its `table`: the order errors unless told)."""
    spec = table[name]
    return spec.status, error(spec.code, spec.message)


@contextlib.contextmanager
def served_by_cli(log: Path, *options: str) -> Iterator[str]:
    """`g2a-harness twin serve --port 0` in a subprocess; yields the base URL its banner names."""
    command = [sys.executable, "-c", "from harness.cli import main; main()", "twin", "serve",
               "--port", "0", *options]  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if k != "G2A_WEBHOOK_SECRET"}  # options decide
    env = {**clean, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=sink, stdout=sink)
        try:
            base = announced(log, process, BANNER_URL)
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
