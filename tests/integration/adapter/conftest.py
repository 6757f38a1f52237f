"""The adapter against the twin: the served twin of tests/integration/conftest.py (sync client
over real HTTP), a fresh in-process twin per test for the async client (httpx.ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from adapter_support import twin_settings
from starlette.applications import Starlette

from g2a_adapter import AsyncG2AClient, G2AClient, Metrics, Settings
from g2a_adapter.idempotency import MemoryStore
from harness.twin import RunningTwin, TwinConfig, create_app


@pytest.fixture(autouse=True)
def _no_retry_sleep(retries_without_sleep: None) -> None:
    """Retry decisions stay real; the waiting is switched off (`set_testing`)."""


@pytest.fixture
def settings(twin: RunningTwin) -> Settings:
    return twin_settings(twin.export_url)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(settings: Settings, metrics: Metrics, store: MemoryStore) -> Iterator[G2AClient]:
    with G2AClient(settings, metrics=metrics, store=store) as client:
        yield client


@pytest.fixture
def asgi_app() -> Starlette:
    """A fresh in-process twin for one test (the fast profile: a test sets the delay it needs)."""
    return create_app(TwinConfig.fast())


@pytest.fixture
async def aadmin(asgi_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The in-process twin's admin surface (`/__twin/...`)."""
    transport = httpx.ASGITransport(app=asgi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twin/__twin") as admin:
        yield admin


@pytest.fixture
async def aclient(
    asgi_app: Starlette, metrics: Metrics, store: MemoryStore
) -> AsyncIterator[AsyncG2AClient]:
    """An async client wired to the in-process twin through httpx.ASGITransport."""
    transport = httpx.ASGITransport(app=asgi_app)
    settings = twin_settings("http://127.0.0.1/v1")
    async with AsyncG2AClient(settings, transport=transport, metrics=metrics, store=store) as c:
        yield c
