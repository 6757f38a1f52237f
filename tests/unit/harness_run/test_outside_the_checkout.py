"""Commands that read the checkout's files refuse to run anywhere but its root: one line, exit
2, nothing started and nothing written where they were run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NO_G2A = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
NOT_THE_ROOT = "run it from the repository root (tests/bdd and features/ not found)"


@pytest.mark.parametrize(
    "args",
    [("run",), ("gate",), ("gate", "--target", "twin")],
    ids=["run", "gate", "gate-twin"],
)
def test_a_command_run_outside_the_checkout_is_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "features").mkdir()  # half a checkout is not one
    done = subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=elsewhere,
        env=NO_G2A,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"g2a-harness {args[0]}: {NOT_THE_ROOT}\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["features"]
