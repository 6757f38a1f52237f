"""One served twin for the integration suites (adapter and twin), reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.twin import RunningTwin, TwinConfig, running_twin


@pytest.fixture(scope="session")
def served_twin() -> Iterator[RunningTwin]:
    """The fast profile (no processing delay, no rate limit): a test sets what it needs."""
    with running_twin(TwinConfig.fast()) as twin:
        yield twin


@pytest.fixture
def twin(served_twin: RunningTwin) -> RunningTwin:
    served_twin.admin.reset()
    return served_twin
