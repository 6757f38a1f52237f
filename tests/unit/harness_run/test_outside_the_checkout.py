"""Commands that read the checkout's files refuse to run anywhere but its root: one line, exit
2, nothing started and nothing written where they were run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NO_G2A = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
NOT_THE_ROOT = (
    "run it from the repository root (tests/bdd, features/ and the g2a-adapter pyproject.toml "
    "not found)"
)


@pytest.mark.parametrize(
    "args",
    [("run",), ("gate",), ("gate", "--target", "twin")],
    ids=["run", "gate", "gate-twin"],
)
@pytest.mark.parametrize(
    "layout",
    [
        {"features": None},  # half a checkout is not one
        # a service's own repository laid out the pytest-bdd way
        {"features": None, "tests/bdd": None, "pyproject.toml": '[project]\nname = "shop"\n'},
        {"features": None, "tests/bdd": None},
    ],
    ids=["features-only", "a-service-with-bdd-tests", "no-pyproject"],
)
def test_a_command_run_outside_the_checkout_is_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], layout: dict[str, str | None]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    for name, text in layout.items():
        if text is None:
            (elsewhere / name).mkdir(parents=True)
        else:
            (elsewhere / name).write_text(text)
    before = sorted(str(p.relative_to(elsewhere)) for p in elsewhere.rglob("*"))
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
    assert sorted(str(p.relative_to(elsewhere)) for p in elsewhere.rglob("*")) == before
