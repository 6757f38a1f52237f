"""Running `g2a-harness` as QA does: a subprocess from the repository root, no G2A_* leaking."""

from __future__ import annotations

import json
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


def scenario_outcomes(folder: Path, feature: str, marker: str) -> dict[str, dict[str, str]]:
    """Run `feature` as a QA team's file (in `folder`/team, through the real plugin), selecting
    the scenarios tagged `marker`: each scenario's result line by scenario name."""
    (folder / "team").mkdir()
    (folder / "team" / "qa.feature").write_text(feature, encoding="utf-8")
    results = folder / "results.jsonl"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd", "-q", "-p", "no:cacheprovider",
         "-m", marker, f"--g2a-results={results}"],
        cwd=ROOT, env={**NO_G2A, "G2A_FEATURES": str(folder / "team")},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = results.read_text(encoding="utf-8").splitlines()
    tests = [e for e in map(json.loads, lines) if e["event"] == "test"]
    return {t["name"].split(": ", 1)[1]: t for t in tests}
