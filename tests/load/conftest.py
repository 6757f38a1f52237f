"""The load layer's workers: `tox -e load` spreads its tests over pytest-xdist workers
(`-n auto`), twice as many as the machine has cores.

A load test mostly waits: on a run's clock, a web UI's autoquit, a worker's stop sequence, a
master's heartbeats (on a 2-core machine the layer used 94 s of CPU in 133 s with 4 workers,
each test as long as when they ran one at a time, and the smoke profile's latencies stayed at a
fifth of their bounds or less, but for purchases, which wait on the twin's 1 s completion delay:
1.2 s of 2.5). A worker per core would leave the cores idle; more would crowd the Locust runs
that do work, so the count is capped.
"""

from __future__ import annotations

import os

import pytest

MAX_WORKERS = 8


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` for the load tests; `PYTEST_XDIST_AUTO_NUM_WORKERS` still decides when set
    (None leaves it to pytest-xdist's own reading)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return min(2 * (os.cpu_count() or 1), MAX_WORKERS)
