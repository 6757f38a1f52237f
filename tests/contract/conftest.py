"""Wiring of the contract layer: the pact folder and consumer sessions against Pact's mock
server."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from _consumer import ConsumerSession

from harness.contracts.sources import PACT_DIR

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

_cleaned = False


@pytest.fixture(scope="session")
def pact_dir() -> Path:
    """contracts/pacts, emptied once per session by the first consumer test that runs, so the
    pacts are regenerated cleanly and each test's `write_file` merges into a fresh file."""
    global _cleaned
    if not _cleaned:
        for stale in PACT_DIR.glob("*.json"):
            stale.unlink()
        PACT_DIR.mkdir(parents=True, exist_ok=True)
        _cleaned = True
    return PACT_DIR


@pytest.fixture
def consumer(pact_dir: Path) -> Callable[[str], ConsumerSession]:
    return lambda provider: ConsumerSession(provider, pact_dir)
