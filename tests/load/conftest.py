"""The load layer's workers: `tox -e load` spreads its tests over pytest-xdist workers
(`-n auto`), twice as many as the machine has cores.

A load test mostly waits: on a run's clock, a web UI's autoquit, a worker's stop sequence, a
master's heartbeats (on a 2-core machine the layer used 94 s of CPU in 133 s with 4 workers,
each test as long as when they ran one at a time, and the smoke profile's latencies stayed at a
fifth of their bounds or less, but for purchases, which wait on the twin's 1 s completion delay:
1.2 s of 2.5).
"""

from __future__ import annotations

import pytest
from xdist_support import workers_for_waiting_tests


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    return workers_for_waiting_tests()
