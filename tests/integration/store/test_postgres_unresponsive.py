"""A PostgreSQL server that stops answering (a network partition, a frozen server or proxy)
fails each operation within seconds, as Redis does: it hung every operation, and every
handler thread behind the store's lock, until TCP gave up (~15 min), so deliveries hung
instead of answering 503 and the store-down alert never fired."""

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


def _outcome_within(seconds: float, operation: Callable[[], object]) -> object:
    """What `operation()` returned or raised; a test failure if it still ran after `seconds`."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(operation())
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert outcome, f"still waiting for the server after {seconds:g} s"
    return outcome[0]


@on_postgres
def test_an_unanswering_server_fails_the_operation_in_seconds_and_the_next_one_reconnects(
    sql_backend: Backend, proxy: FreezableProxy
) -> None:
    store = open_store(_through(proxy, sql_backend.url), namespace=sql_backend.namespace)
    try:
        assert store.claim("before", "fp", 30.0).state is ClaimState.NEW
        proxy.freeze()

        failed = _outcome_within(GENEROUS_SECONDS, lambda: store.claim("during", "fp", 30.0))
        assert isinstance(failed, StoreUnavailableError), failed
        assert "did not answer within 5 s" in str(failed)

        proxy.thaw()
        assert store.claim("after", "fp", 30.0).state is ClaimState.NEW
        assert store.claim("before", "fp", 30.0).state is ClaimState.IN_PROGRESS
    finally:
        proxy.close()  # first: it ends an operation still waiting, which holds the store
        store.close()


@on_postgres
def test_threads_queued_on_an_unanswering_server_fail_together(
    sql_backend: Backend, proxy: FreezableProxy
) -> None:
    """Once a connection to the silent server failed, the threads queued behind the store's
    lock fail at once for a connect timeout, instead of each waiting one out in turn (four
    receiver threads: 2 s, 4 s, 6 s, 8 s)."""
    store = open_store(_through(proxy, sql_backend.url), namespace=sql_backend.namespace)
    try:
        assert store.claim("before", "fp", 30.0).state is ClaimState.NEW
        proxy.freeze()
        failed = _outcome_within(GENEROUS_SECONDS, lambda: store.claim("first", "fp", 30.0))
        assert isinstance(failed, StoreUnavailableError), failed
        started = time.monotonic()
        outcomes: list[object] = []
        claims = [
            threading.Thread(target=lambda n=n: outcomes.append(_claimed(store, f"k{n}")))
            for n in range(4)
        ]
        for claim in claims:
            claim.start()
        for claim in claims:
            claim.join(timeout=GENEROUS_SECONDS)
        elapsed = time.monotonic() - started
        assert [type(o) for o in outcomes] == [StoreUnavailableError] * 4, outcomes
        assert elapsed < 5.0, f"the queued threads took {elapsed:.1f} s to fail"
        proxy.thaw()
        time.sleep(2.0)  # the refusal window after the last failed connect
        assert store.claim("after", "fp", 30.0).state is ClaimState.NEW
    finally:
        proxy.close()
        store.close()


def _claimed(store: IdempotencyStore, key: str) -> object:
    try:
        return store.claim(key, "fp", 30.0)
    except Exception as exc:
        return exc
