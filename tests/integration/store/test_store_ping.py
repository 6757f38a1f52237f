"""`ping` (what `/healthz` asks the store) fails when a claim would: a server that refuses
writes is not healthy, even though it still answers a plain `SELECT 1`."""

from __future__ import annotations

import pytest
from _store_fixtures import Backend

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import SqlStore


@pytest.mark.postgres
@pytest.mark.parametrize("sql_backend", ["postgres"], indirect=True)
def test_ping_fails_on_a_postgres_server_that_refuses_writes(sql_backend: Backend) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    store.ping()
    # as a standby promoted the other way, or a database set read-only, answers
    store._change("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", ())
    assert store._query("SELECT 1", ()) == [(1,)]  # what the old ping asked: still fine
    with pytest.raises(StoreUnavailableError, match="read-only transaction"):
        store.ping()


@pytest.mark.redis
@pytest.mark.parametrize("shared_backend", ["redis"], indirect=True)
def test_ping_fails_on_a_redis_server_that_refuses_writes(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    store = shared_backend.open()
    store.ping()
    client = store._client  # type: ignore[attr-defined]

    def refuse(*args: object, **kwargs: object) -> None:  # as a replica answers any write
        raise redis.ReadOnlyError("You can't write against a read only replica.")

    monkeypatch.setattr(client, "set", refuse)
    assert client.ping()  # what the old ping asked: still fine
    with pytest.raises(StoreUnavailableError, match="read only replica"):
        store.ping()
