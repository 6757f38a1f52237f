"""A partial run of the contract tests (`-k`, one node id) leaves the committed pacts alone:
the consumer tests write into a folder of the session, and contracts/pacts is replaced only
when every consumer test passed (tests/contract/conftest.py)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from project_support import copy_of_checkout

ROOT = Path(__file__).resolve().parents[3]
NEEDED = ("pyproject.toml", "tests/conftest.py", "tests/contract", "contracts")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files the contract layer needs, copied (its pacts are what the run may rewrite)."""
    return copy_of_checkout(tmp_path, NEEDED)


def _pacts(checkout: Path) -> dict[str, str]:
    folder = checkout / "contracts" / "pacts"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.json")}


def _pytest(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "selection",
    [
        ("tests/contract", "-k", "token"),
        ("tests/contract/test_consumer_export.py::test_products_first_page",),
    ],
)
def test_a_partial_consumer_run_leaves_the_committed_pacts(
    checkout: Path, selection: tuple[str, ...]
) -> None:
    before = _pacts(checkout)
    assert len(before) == 2
    done = _pytest(checkout, *selection)
    assert done.returncode == 0, done.stdout[-2000:]
    assert _pacts(checkout) == before


def test_a_whole_consumer_run_writes_the_pacts(checkout: Path) -> None:
    folder = checkout / "contracts" / "pacts"
    for pact in folder.glob("*.json"):
        pact.write_text('{"interactions": []}')  # stale: the run must replace them
    done = _pytest(
        checkout,
        "tests/contract/test_consumer_export.py",
        "tests/contract/test_consumer_import.py",
        "tests/contract/test_pact_files.py",
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert _pacts(checkout) == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (ROOT / "contracts" / "pacts").glob("*.json")
    }
