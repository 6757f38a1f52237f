"""Commands that read the checkout's files refuse to run anywhere but its root: one line, exit
2, nothing started and nothing written where they were run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NO_G2A = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
NOT_THE_ROOT = (
    "run it from the repository root (tests/bdd, features/ and the g2a-adapter pyproject.toml "
    "not found)"
)


# the checkout's own folders named explicitly: the report would still be bound to the commit
# of the directory it was run in, which is not the checkout
EXPLICIT_FOLDERS = tuple(
    arg
    for option, folder in [
        ("--openapi", "contracts/openapi"),
        ("--pacts", "contracts/pacts"),
        ("--cassettes", "tests/cassettes"),
    ]
    for arg in (option, str(ROOT / folder))
)


@pytest.mark.parametrize(
    "args",
    [
        ("run",),
        ("gate",),
        ("gate", "--target", "twin"),
        ("record",),
        ("contracts", "verify"),
        ("contracts", "drift"),
        ("contracts", "drift", *EXPLICIT_FOLDERS),
    ],
    ids=[
        "run",
        "gate",
        "gate-twin",
        "record",
        "contracts-verify",
        "contracts-drift",
        "contracts-drift-explicit-folders",
    ],
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
