"""How many pytest-xdist workers `-n auto` starts for a layer whose tests mostly wait: on
Locust's clocks, on servers and child processes, on timeouts they prove. One worker per core,
pytest-xdist's own choice, would leave the cores idle much of the time."""

from __future__ import annotations

import os

MAX_WORKERS = 8  # past this, more workers mostly crowd the tests that do work


def workers_for_waiting_tests() -> int | None:
    """Twice the CPUs this process may run on, at most `MAX_WORKERS`; None (pytest-xdist
    decides) when `PYTEST_XDIST_AUTO_NUM_WORKERS` is set, as pytest-xdist documents (tox
    passes it on)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return min(2 * _usable_cpus(), MAX_WORKERS)


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
