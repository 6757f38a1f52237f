"""One served twin for the integration suites (adapter and twin), reset before every test;
the layer's pytest-xdist workers and the order they take its test files in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from xdist_support import workers_for_waiting_tests

from harness.twin import RunningTwin, TwinConfig, running_twin


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Many integration tests wait on servers, child processes and the timeouts they prove:
    on 2 cores, two workers kept one core busy on average."""
    return workers_for_waiting_tests()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `longest` first: pytest-xdist hands out test files in the order they were
    collected, and the longest started last would end the layer alone."""
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)


@pytest.fixture(scope="session")
def served_twin() -> Iterator[RunningTwin]:
    """The fast profile (no processing delay, no rate limit): a test sets what it needs."""
    with running_twin(TwinConfig.fast()) as twin:
        yield twin


@pytest.fixture
def twin(served_twin: RunningTwin) -> RunningTwin:
    served_twin.admin.reset()
    return served_twin
