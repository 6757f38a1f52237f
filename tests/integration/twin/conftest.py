"""The twin suite's clients of the served twin (`twin`: tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from twin_support import AUTH

from harness.twin import RunningTwin, TwinAdmin


@pytest.fixture
def admin(twin: RunningTwin) -> TwinAdmin:
    return twin.admin


@pytest.fixture
def api(twin: RunningTwin) -> Iterator[httpx.Client]:
    """A plain httpx client of the Export API with the published sandbox credentials."""
    with httpx.Client(base_url=twin.export_url, headers=AUTH, timeout=5) as client:
        yield client


@pytest.fixture
def root(twin: RunningTwin) -> Iterator[httpx.Client]:
    """A plain httpx client of the Import API's root, no credentials."""
    with httpx.Client(base_url=twin.import_url, timeout=5) as client:
        yield client


@pytest.fixture
def anon(twin: RunningTwin) -> Iterator[httpx.Client]:
    """A plain httpx client of the twin's root, no credentials."""
    with httpx.Client(base_url=twin.base_url, timeout=5) as client:
        yield client
