"""SQL stores sweep expired nonces and records every `prune_every` writes, `prune_limit` rows
at a time per table, and never a live row."""

from __future__ import annotations

from _store_fixtures import Backend

from g2a_adapter.idempotency import SqlStore


def rows(store: SqlStore, namespace: str, table: str) -> int:
    return int(store._query(f"SELECT count(*) FROM {namespace}_{table}", ())[0][0])  # noqa: S608


def test_expired_rows_are_swept_in_bounded_chunks_and_live_rows_stay(
    sql_backend: Backend,
) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    ns, clock = sql_backend.namespace, sql_backend.clock
    every, limit = store.prune_every, store.prune_limit
    burst = limit + every // 2  # more than one sweep may delete
    for i in range(burst):  # each item: one nonce, one completed record; two writes
        assert store.add_nonce(f"n-{i}", 60)
        claim = store.claim(f"k-{i}", "f" * 64, 30)
        store.complete(f"k-{i}", claim.owner or "", {"ok": True}, 60)
    store.claim("held", "f" * 64, 3600)  # a live lease: never expires by retention
    clock.advance(61)  # the whole burst has expired
    assert (rows(store, ns, "nonces"), rows(store, ns, "records")) == (burst, burst + 1)

    def write_a_sweep_apart(tag: str) -> None:  # `every` writes: exactly one sweep
        for i in range(every):
            assert store.add_nonce(f"live-{tag}-{i}", 3600)

    write_a_sweep_apart("a")
    assert rows(store, ns, "nonces") == burst - limit + every
    assert rows(store, ns, "records") == burst - limit + 1
    write_a_sweep_apart("b")
    assert rows(store, ns, "nonces") == 2 * every  # only the live ones
    assert rows(store, ns, "records") == 1
    assert store.get("held") is not None
    assert not store.add_nonce("live-a-0", 3600)  # still remembered
    assert store.add_nonce("n-0", 60)  # expired and swept: new again
