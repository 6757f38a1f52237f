"""`ping` (what `/healthz` asks the store) fails when a claim would: a server that refuses
writes is not healthy, even though it still answers a plain `SELECT 1`."""

from __future__ import annotations

from pathlib import Path

import pytest
from _store_fixtures import Backend

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import SqliteStore, SqlStore, replay_guard_of


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


def _fill(store: SqlStore) -> StoreUnavailableError:
    """Claims until the store is full, as its disk: the file may not grow by one more page.
    The failure of the last claim."""
    (pages,) = store._query("PRAGMA page_count", ())[0]
    store._change(f"PRAGMA max_page_count = {pages}", ())
    for n in range(10_000):
        try:
            store.claim(f"purchase-{n:05d}-{'x' * 200}", "fp", 30.0)
        except StoreUnavailableError as full:
            return full
    raise AssertionError("10000 claims fitted in the pages the store had")


def test_ping_fails_on_a_sqlite_store_whose_disk_is_full(tmp_path: Path) -> None:
    """Every delivery failed 503 while `/healthz` said ok: the ping wrote nothing."""
    store = SqliteStore(str(tmp_path / "store.sqlite3"))
    try:
        store.ping()
        assert "database or disk is full" in str(_fill(store))
        with pytest.raises(StoreUnavailableError, match="full"):
            store.ping()
    finally:
        store.close()


def test_pinging_a_sqlite_store_leaves_nothing_and_does_not_grow_it(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "store.sqlite3"))
    try:
        store.ping()
        (pages,) = store._query("PRAGMA page_count", ())[0]
        for _ in range(50):
            store.ping()
        assert store._query("PRAGMA page_count", ()) == [(pages,)]
        nonces = f"SELECT count(*) FROM {store._namespace}_nonces"  # noqa: S608 - an identifier
        assert store._query(nonces, ()) == [(0,)]
        assert replay_guard_of(store).add_nonce("nonce-1", 30.0) is True
    finally:
        store.close()
