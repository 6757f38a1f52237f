"""Shared test wiring: service availability (required in CI) and the twin fixtures."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest
from machine_support import require

from g2a_adapter.client import is_testing, set_testing
from harness.envelope import EVIDENCE_KEY_ENV
from harness.gate.junit import BACKEND_PROPERTY, STORE_BACKENDS

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
# Commits do not wait for the disk (`synchronous_commit=off`, this connection's setting only):
# the store tests commit thousands of rows one by one, and a crash of the server itself, all
# it gives up, is no test's subject.
POSTGRES_URL = os.environ.get(
    "POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test?options=-csynchronous_commit%3Doff"
)


def pytest_configure(config: pytest.Config) -> None:
    """CI's evidence key (`G2A_EVIDENCE_KEY`, passed through tox) signs CI's record outside the
    tests (`.ci/evidence`): inside, it would sign the reports tests write and compare, and make
    the gates tests run check signatures. A test that signs sets its own key."""
    os.environ.pop(EVIDENCE_KEY_ENV, None)


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test marked `redis` or `postgres` names that store backend in the junit file: the
    switchover gate counts, per backend, the tests that ran and those skipped."""
    for backend in STORE_BACKENDS:
        if item.get_closest_marker(backend) is not None:
            item.user_properties.append((BACKEND_PROPERTY, backend))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """A backing service (Redis, PostgreSQL) reachable at `host:port`."""
    require(_reachable(host, port), f"{name} is not reachable at {host}:{port} (start it)")


def require_binary(name: str) -> str:
    """The path of an external tool (e.g. `promtool`)."""
    path = shutil.which(name)
    require(path is not None, f"{name} is not on PATH (Debian: apt-get install prometheus)")
    assert path is not None
    return path


@pytest.fixture
def retries_without_sleep() -> Iterator[None]:
    """The adapter's test switch for one test: retry decisions stay real, the waiting goes."""
    before = is_testing()
    set_testing(True)
    yield
    set_testing(before)


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool")


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    return require_binary("prometheus")


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
