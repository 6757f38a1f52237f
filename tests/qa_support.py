"""Running `g2a-harness` as QA does: a subprocess from the repository root, no G2A_* leaking."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_G2A = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}


def harness(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        env={**NO_G2A, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def announced(log: Path, process: subprocess.Popen[bytes], banner: re.Pattern[str]) -> str:
    """The first group of `banner` once a served command has written it to `log`."""
    deadline = time.monotonic() + 15
    while not (found := banner.search(log.read_text())):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return found.group(1)
