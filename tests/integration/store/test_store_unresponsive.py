"""A store server that stops answering (a network partition, a frozen server or proxy) fails
each operation within seconds. PostgreSQL hung every operation, and every handler thread
behind the store's lock, until TCP gave up (~15 min), so deliveries hung instead of answering
503 and the store-down alert never fired. Redis fails within its socket timeout: 2 s, or the
URL's `?socket_timeout=`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from _freezable_proxy import FreezableProxy
from _store_fixtures import Backend

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import ClaimState, IdempotencyStore, open_store

GENEROUS_SECONDS = 15.0  # the bound is 5 s (the default); a hang is what this catches
on_postgres = pytest.mark.parametrize(
    "sql_backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def proxy(sql_backend: Backend) -> Iterator[FreezableProxy]:
    frozen = FreezableProxy(urlsplit(sql_backend.url).port or 5432)
    yield frozen
    frozen.close()


def _through(proxy: FreezableProxy, url: str) -> str:
    """`url` with the proxy's address for the server's."""
    parts = urlsplit(url)
    user, at, _ = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user}{at}127.0.0.1:{proxy.port}").geturl()


def _outcome(operation: Callable[[], object]) -> object:
    """What `operation()` returned, or what it raised."""
    try:
        return operation()
    except Exception as exc:
        return exc


def _claim(store: IdempotencyStore, key: str) -> Callable[[], object]:
    return lambda: store.claim(key, "fp", 30.0)


def _outcomes_within(seconds: float, *operations: Callable[[], object]) -> list[object]:
    """What each operation, run in threads of their own at once, returned or raised; a test
    failure if one still ran after `seconds`."""
    outcomes: list[object] = []
    workers = [
        threading.Thread(target=lambda op=op: outcomes.append(_outcome(op)), daemon=True)
        for op in operations
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds)
    assert len(outcomes) == len(operations), f"still waiting for the server after {seconds:g} s"
    return outcomes


@pytest.fixture
def frozen_store(sql_backend: Backend, proxy: FreezableProxy) -> Iterator[IdempotencyStore]:
    """A store that claimed a key through the proxy, which then stopped forwarding."""
    store = open_store(_through(proxy, sql_backend.url), namespace=sql_backend.namespace)
    try:
        assert store.claim("before", "fp", 30.0).state is ClaimState.NEW
        proxy.freeze()
        yield store
    finally:
        proxy.close()  # first: it ends an operation still waiting, which holds the store
        store.close()


@on_postgres
def test_an_unanswering_server_fails_the_operation_in_seconds_and_the_next_one_reconnects(
    frozen_store: IdempotencyStore, proxy: FreezableProxy
) -> None:
    (failed,) = _outcomes_within(GENEROUS_SECONDS, _claim(frozen_store, "during"))
    assert isinstance(failed, StoreUnavailableError), failed
    assert "did not answer within 5 s" in str(failed)

    proxy.thaw()
    assert frozen_store.claim("after", "fp", 30.0).state is ClaimState.NEW
    assert frozen_store.claim("before", "fp", 30.0).state is ClaimState.IN_PROGRESS


@on_postgres
def test_threads_queued_on_an_unanswering_server_fail_together(
    frozen_store: IdempotencyStore, proxy: FreezableProxy
) -> None:
    """Once a connection to the silent server failed, the threads queued behind the store's
    lock fail at once for a connect timeout, instead of each waiting one out in turn (four
    receiver threads: 2 s, 4 s, 6 s, 8 s)."""
    (failed,) = _outcomes_within(GENEROUS_SECONDS, _claim(frozen_store, "first"))
    assert isinstance(failed, StoreUnavailableError), failed
    started = time.monotonic()
    outcomes = _outcomes_within(
        GENEROUS_SECONDS, *(_claim(frozen_store, f"k{n}") for n in range(4))
    )
    elapsed = time.monotonic() - started
    assert [type(o) for o in outcomes] == [StoreUnavailableError] * 4, outcomes
    assert elapsed < 5.0, f"the queued threads took {elapsed:.1f} s to fail"
    proxy.thaw()
    time.sleep(2.0)  # the refusal window after the last failed connect
    assert frozen_store.claim("after", "fp", 30.0).state is ClaimState.NEW


@pytest.mark.redis
@pytest.mark.parametrize("shared_backend", ["redis"], indirect=True)
@pytest.mark.parametrize(
    ("query", "at_least", "under"),
    [
        ("", 2.0, GENEROUS_SECONDS),  # the store's default
        ("?socket_timeout=0.5&socket_connect_timeout=0.5", 0.5, 2.0),  # the URL's
    ],
)
def test_an_unanswering_redis_fails_the_operation_after_its_socket_timeout(
    shared_backend: Backend, query: str, at_least: float, under: float
) -> None:
    proxy = FreezableProxy(urlsplit(shared_backend.url).port or 6379)
    url = _through(proxy, shared_backend.url.partition("?")[0]) + query
    store = open_store(url, namespace=shared_backend.namespace)
    try:
        assert store.claim("before", "fp", 30.0).state is ClaimState.NEW
        proxy.freeze()
        started = time.monotonic()
        (failed,) = _outcomes_within(GENEROUS_SECONDS, _claim(store, "during"))
        elapsed = time.monotonic() - started
    finally:
        proxy.close()
        store.close()
    assert isinstance(failed, StoreUnavailableError), failed
    assert "Timeout" in str(failed), failed
    assert at_least <= elapsed < under, elapsed
