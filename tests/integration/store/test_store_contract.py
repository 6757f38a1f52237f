"""The store contract: the same behaviour on memory, SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time

import pytest
from _store_fixtures import Backend

from g2a_adapter import LeaseLostError, StoreUnavailableError
from g2a_adapter.idempotency import ClaimState, IdempotencyStore, open_store, replay_guard_of

LEASE = 30.0
TTL = 3600.0


def test_fresh_key_is_claimed_with_an_owner_and_a_lease(
    store: IdempotencyStore, backend: Backend
) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)

    assert claim.state is ClaimState.NEW
    assert claim.owner
    assert (claim.checkpoint, claim.result, claim.taken_over) == (None, None, False)
    record = store.get("order-1")
    assert record is not None
    assert (record.fingerprint, record.owner) == ("fp-a", claim.owner)
    assert record.lease_expires_at == pytest.approx(backend.clock.now + LEASE)
    assert record.result is None


def test_live_lease_reports_in_progress(store: IdempotencyStore) -> None:
    first = store.claim("order-1", "fp-a", LEASE)
    second = store.claim("order-1", "fp-a", LEASE)

    assert second.state is ClaimState.IN_PROGRESS
    assert second.owner is None
    assert store.get("order-1").owner == first.owner  # type: ignore[union-attr]


def test_completed_key_returns_the_stored_result(store: IdempotencyStore) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    result = {"order_id": "1530978476", "key": "EUIRCQCRRWKYWFVO", "price": 41.5, "n": ["é"]}
    store.complete("order-1", claim.owner or "", result, TTL)

    again = store.claim("order-1", "fp-a", LEASE)

    assert again.state is ClaimState.COMPLETED
    assert again.result == result
    record = store.get("order-1")
    assert record is not None
    assert (record.owner, record.lease_expires_at, record.result) == (None, None, result)


@pytest.mark.parametrize("complete_first", [False, True])
def test_other_fingerprint_is_a_mismatch(store: IdempotencyStore, complete_first: bool) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    if complete_first:
        store.complete("order-1", claim.owner or "", {"ok": True}, TTL)

    other = store.claim("order-1", "fp-b", LEASE)

    assert other.state is ClaimState.MISMATCH
    assert other.result is None
    assert store.get("order-1").fingerprint == "fp-a"  # type: ignore[union-attr]


def test_release_without_checkpoint_forgets_the_key(store: IdempotencyStore) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    store.release("order-1", claim.owner or "")

    assert store.get("order-1") is None
    again = store.claim("order-1", "fp-b", LEASE)
    assert (again.state, again.taken_over, again.checkpoint) == (ClaimState.NEW, False, None)


def test_release_keeps_the_checkpoint_for_the_next_owner(store: IdempotencyStore) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    store.checkpoint("order-1", claim.owner or "", {"step": "paid", "order_id": "77"}, LEASE)
    store.release("order-1", claim.owner or "")

    record = store.get("order-1")
    assert record is not None
    assert (record.owner, record.checkpoint) == (None, {"step": "paid", "order_id": "77"})
    resumed = store.claim("order-1", "fp-a", LEASE)
    assert resumed.state is ClaimState.NEW
    assert resumed.taken_over is True
    assert resumed.checkpoint == {"step": "paid", "order_id": "77"}
    assert resumed.owner != claim.owner


def test_expired_lease_is_taken_over_at_its_exact_expiry(
    store: IdempotencyStore, backend: Backend
) -> None:
    first = store.claim("order-1", "fp-a", 10.0)
    store.checkpoint("order-1", first.owner or "", {"step": "created"}, 10.0)

    backend.clock.advance(9.5)
    assert store.claim("order-1", "fp-a", 10.0).state is ClaimState.IN_PROGRESS
    backend.clock.advance(0.5)
    takeover = store.claim("order-1", "fp-a", 10.0)

    assert takeover.state is ClaimState.NEW
    assert (takeover.taken_over, takeover.checkpoint) == (True, {"step": "created"})
    assert store.get("order-1").owner == takeover.owner  # type: ignore[union-attr]


def test_checkpoint_extends_the_lease(store: IdempotencyStore, backend: Backend) -> None:
    claim = store.claim("order-1", "fp-a", 10.0)
    backend.clock.advance(8.0)
    store.checkpoint("order-1", claim.owner or "", {"step": "created"}, 10.0)

    backend.clock.advance(9.0)  # 17 s after the claim, 9 s after the checkpoint
    assert store.claim("order-1", "fp-a", 10.0).state is ClaimState.IN_PROGRESS
    backend.clock.advance(1.0)
    assert store.claim("order-1", "fp-a", 10.0).state is ClaimState.NEW


def test_renew_extends_the_lease_and_keeps_the_checkpoint(
    store: IdempotencyStore, backend: Backend
) -> None:
    claim = store.claim("order-1", "fp-a", 10.0)
    store.checkpoint("order-1", claim.owner or "", {"step": "paying"}, 10.0)
    backend.clock.advance(8.0)
    store.renew("order-1", claim.owner or "", 10.0)

    backend.clock.advance(9.0)
    assert store.claim("order-1", "fp-a", 10.0).state is ClaimState.IN_PROGRESS
    backend.clock.advance(1.0)
    takeover = store.claim("order-1", "fp-a", 10.0)
    assert (takeover.state, takeover.checkpoint) == (ClaimState.NEW, {"step": "paying"})


def test_previous_owner_loses_every_right_after_a_takeover(
    store: IdempotencyStore, backend: Backend
) -> None:
    stale = store.claim("order-1", "fp-a", 10.0)
    backend.clock.advance(11.0)
    fresh = store.claim("order-1", "fp-a", 10.0)

    with pytest.raises(LeaseLostError):
        store.checkpoint("order-1", stale.owner or "", {"step": "x"}, 10.0)
    with pytest.raises(LeaseLostError):
        store.renew("order-1", stale.owner or "", 10.0)
    with pytest.raises(LeaseLostError):
        store.complete("order-1", stale.owner or "", {"ok": False}, TTL)
    with pytest.raises(LeaseLostError):
        store.release("order-1", stale.owner or "")
    record = store.get("order-1")
    assert record is not None
    assert (record.owner, record.checkpoint, record.result) == (fresh.owner, None, None)


def test_unknown_key_and_completed_key_refuse_owner_operations(store: IdempotencyStore) -> None:
    with pytest.raises(LeaseLostError):
        store.complete("nobody", "owner", {"ok": True}, TTL)
    claim = store.claim("order-1", "fp-a", LEASE)
    store.complete("order-1", claim.owner or "", {"ok": True}, TTL)
    with pytest.raises(LeaseLostError):
        store.complete("order-1", claim.owner or "", {"ok": False}, TTL)
    with pytest.raises(LeaseLostError):
        store.release("order-1", claim.owner or "")
    with pytest.raises(LeaseLostError):
        store.renew("order-1", claim.owner or "", LEASE)
    assert store.claim("order-1", "fp-a", LEASE).result == {"ok": True}


def test_completed_result_expires_after_its_retention(
    store: IdempotencyStore, backend: Backend
) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    store.complete("order-1", claim.owner or "", {"ok": True}, 60.0)

    backend.clock.advance(59.9)
    assert store.claim("order-1", "fp-b", LEASE).state is ClaimState.MISMATCH
    backend.clock.advance(0.1)
    assert store.get("order-1") is None
    reborn = store.claim("order-1", "fp-b", LEASE)
    assert (reborn.state, reborn.taken_over, reborn.checkpoint) == (ClaimState.NEW, False, None)


@pytest.mark.parametrize("kept", [[1, 2], None, "done"], ids=["list", "none", "str"])
def test_a_checkpoint_or_result_that_is_not_an_object_is_refused_before_it_is_kept(
    store: IdempotencyStore, kept: object
) -> None:
    """A list was written, then every later claim of the key raised; None read as unfinished
    work, so the next claim ran it again (memory, SQLite, PostgreSQL)."""
    claim = store.claim("odd", "fp", 30.0)
    assert claim.owner is not None
    with pytest.raises(TypeError, match="must be a dict"):
        store.checkpoint("odd", claim.owner, kept, 30.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a dict"):
        store.complete("odd", claim.owner, kept, 3600.0)  # type: ignore[arg-type]
    assert store.claim("odd", "fp", 30.0).state is ClaimState.IN_PROGRESS  # held, readable
    store.complete("odd", claim.owner, {"done": True}, 3600.0)
    assert store.claim("odd", "fp", 30.0).result == {"done": True}


def test_nonce_is_accepted_once_within_its_ttl(store: IdempotencyStore, backend: Backend) -> None:
    guard = replay_guard_of(store)  # every backend is also the replay guard
    assert guard.add_nonce("n-1", 600.0) is True
    assert guard.add_nonce("n-1", 600.0) is False
    assert guard.add_nonce("n-2", 600.0) is True
    backend.clock.advance(599.0)
    assert guard.add_nonce("n-1", 600.0) is False
    backend.clock.advance(1.0)
    assert guard.add_nonce("n-1", 600.0) is True
    assert guard.add_nonce("n-1", 600.0) is False


def test_nonces_and_keys_live_in_separate_spaces(store: IdempotencyStore) -> None:
    assert replay_guard_of(store).add_nonce("same", 60.0) is True
    assert store.claim("same", "fp", LEASE).state is ClaimState.NEW


def test_ping_answers(store: IdempotencyStore, backend: Backend) -> None:
    store.ping()
    assert store.backend == backend.name


def test_threads_racing_on_one_key_have_one_winner(backend: Backend) -> None:
    stores = [backend.open() for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    states: list[ClaimState] = []
    lock = threading.Lock()

    def contend(store: IdempotencyStore) -> None:
        barrier.wait()
        for key in ("k-0", "k-1", "k-2", "k-3"):
            state = store.claim(key, "fp", LEASE).state
            with lock:
                states.append(state)

    threads = [threading.Thread(target=contend, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert states.count(ClaimState.NEW) == 4
    assert states.count(ClaimState.IN_PROGRESS) == 4 * (len(stores) - 1)


# --- shared backends: other connections and other processes -------------------------------


def test_a_second_connection_sees_the_same_state(shared_backend: Backend) -> None:
    writer, reader = shared_backend.open(), shared_backend.open()
    claim = writer.claim("order-1", "fp-a", LEASE)
    assert reader.claim("order-1", "fp-a", LEASE).state is ClaimState.IN_PROGRESS
    writer.complete("order-1", claim.owner or "", {"done": 1}, TTL)
    assert reader.claim("order-1", "fp-a", LEASE).result == {"done": 1}
    assert replay_guard_of(reader).add_nonce("n", 60.0) is True
    assert replay_guard_of(writer).add_nonce("n", 60.0) is False


def test_schema_is_versioned_and_newer_schemas_are_refused(shared_backend: Backend) -> None:
    shared_backend.open().claim("kept", "fp", LEASE)
    reopened = shared_backend.open()  # existing schema at the current version: reused
    assert reopened.get("kept") is not None
    _set_schema_version(shared_backend, 99)

    with pytest.raises(StoreUnavailableError) as caught:
        shared_backend.open()
    assert caught.value.backend == shared_backend.name
    assert "schema version 99 is newer" in str(caught.value)


def _set_schema_version(backend: Backend, version: int) -> None:
    table = f"{backend.namespace}_schema"
    if backend.name == "sqlite":
        import sqlite3

        conn = sqlite3.connect(backend.url.removeprefix("sqlite:///"))
        with conn:
            conn.execute(f"UPDATE {table} SET version = ?", (version,))  # noqa: S608
        conn.close()
    elif backend.name == "postgres":
        import psycopg

        with psycopg.connect(backend.url, autocommit=True) as pg:
            pg.execute(f"UPDATE {table} SET version = %s", (version,))  # type: ignore[arg-type]  # noqa: S608
    else:
        import redis

        client = redis.Redis.from_url(backend.url)
        client.set(f"{backend.namespace}:schema_version", version)
        client.close()


@pytest.mark.slow
def test_sixteen_processes_race_one_key_and_a_thousand_keys(shared_backend: Backend) -> None:
    from _store_race_workers import run_race

    shared_backend.open()  # create the schema once, before the race
    processes = 16  # every process claims every key, each in its own shuffled order
    keys = ["the-same-key", *(f"key-{i:04d}" for i in range(1000))]

    winners = run_race(shared_backend.url, shared_backend.namespace, keys, processes)

    assert sorted(winners) == sorted(keys)
    assert {k: w for k, w in winners.items() if len(w) != 1} == {}
    # They really raced: in shuffled orders, more than one process won keys. How far wins
    # spread is the scheduler's: SQLite's write lock is not granted fairly, and on a loaded
    # 2-core machine a few processes took most keys (fewer than half of them won any, once).
    assert len({w[0] for w in winners.values()}) >= 2, winners
    checker = shared_backend.open(clock=time.time)
    for key in keys:
        record = checker.get(key)
        assert record is not None
        assert record.result == {"winner": winners[key][0]}, key


@pytest.mark.slow
def test_a_killed_lease_holder_is_taken_over_after_expiry(shared_backend: Backend) -> None:
    from _store_race_workers import hold_lease

    shared_backend.open()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    holder = ctx.Process(
        target=hold_lease,
        args=(shared_backend.url, shared_backend.namespace, "purchase-1", 5.0, ready),
    )
    holder.start()
    assert ready.get(timeout=60) == "new"
    os.kill(holder.pid or 0, signal.SIGKILL)
    holder.join(timeout=10)
    assert holder.exitcode == -signal.SIGKILL

    now = shared_backend.open(clock=time.time)
    assert now.claim("purchase-1", "fingerprint", 5.0).state is ClaimState.IN_PROGRESS
    later = shared_backend.open(clock=lambda: time.time() + 6.0)
    takeover = later.claim("purchase-1", "fingerprint", 5.0)
    assert takeover.state is ClaimState.NEW
    assert (takeover.taken_over, takeover.checkpoint) == (True, {"step": "order_created"})
    later.complete("purchase-1", takeover.owner or "", {"key": "K"}, TTL)
    assert now.claim("purchase-1", "fingerprint", 5.0).result == {"key": "K"}


def test_stored_results_and_checkpoints_are_copies(store: IdempotencyStore) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    progress, result = {"step": 1}, {"status": "processed"}
    store.checkpoint("order-1", claim.owner or "", progress, LEASE)
    store.complete("order-1", claim.owner or "", result, TTL)
    progress["step"], result["status"] = 99, "changed by the caller afterwards"

    record = store.get("order-1")
    assert record is not None
    assert (record.checkpoint, record.result) == ({"step": 1}, {"status": "processed"})


def test_what_a_store_hands_out_is_a_deep_copy(store: IdempotencyStore) -> None:
    claim = store.claim("order-1", "fp-a", LEASE)
    store.checkpoint("order-1", claim.owner or "", {"order": {"status": "created"}}, LEASE)
    store.complete("order-1", claim.owner or "", {"order": {"status": "paid"}}, TTL)

    duplicate = store.claim("order-1", "fp-a", LEASE)
    assert duplicate.result is not None
    duplicate.result["order"]["status"] = "changed by a duplicate's reader"
    record = store.get("order-1")
    assert record is not None
    assert record.checkpoint is not None
    assert record.result is not None
    record.checkpoint["order"]["status"] = "changed by a reader"
    record.result["extra"] = "added by a reader"

    again = store.get("order-1")
    assert again is not None
    assert (again.checkpoint, again.result) == (
        {"order": {"status": "created"}},
        {"order": {"status": "paid"}},
    )


def test_a_closed_store_refuses_every_call(backend: Backend) -> None:
    store = backend.open()
    claim = store.claim("order-1", "fp-a", LEASE)
    store.close()
    calls = [
        lambda: store.claim("order-2", "fp-a", LEASE),
        lambda: store.get("order-1"),
        lambda: store.complete("order-1", claim.owner or "", {"ok": True}, TTL),
        lambda: store.ping(),
        lambda: replay_guard_of(store).add_nonce("nonce-1", TTL),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailableError, match="the store was closed"):
            call()


@pytest.mark.redis
def test_an_unknown_redis_url_parameter_is_a_typed_error(redis_url: str) -> None:
    with pytest.raises(StoreUnavailableError, match=r"redis-py refuses it: .*'namspace'") as error:
        open_store(f"{redis_url}?namspace=typo&password=hunter2-pw")
    assert "hunter2-pw" not in str(error.value)


@pytest.mark.parametrize(
    ("key", "fingerprint"),
    [("a\x00b", "fp"), ("k" * 2049, "fp"), ("é" * 1025, "fp"), ("\ud800", "fp"), ("k", "f\x00p")],
    ids=["nul", "2049-bytes", "2050-bytes-of-utf-8", "lone-surrogate", "nul-fingerprint"],
)
def test_a_key_no_backend_could_keep_alike_is_refused_before_anything_is_written(
    store: IdempotencyStore, key: str, fingerprint: str
) -> None:
    """PostgreSQL refused these with StoreUnavailableError (a receiver's 503, retried for
    good) where the other backends kept them."""
    with pytest.raises(ValueError, match="idempotency key must be"):
        store.claim(key, fingerprint, 30.0)
    if "\x00" not in fingerprint:  # a nonce has no fingerprint
        with pytest.raises(ValueError, match="idempotency key must be"):
            replay_guard_of(store).add_nonce(key, 30.0)
    assert store.claim("k" * 2048, "fp", 30.0).state is ClaimState.NEW  # the longest kept


@pytest.mark.parametrize(
    "seconds", [0.0, -1.0, math.nan, math.inf, 10 * 366 * 24 * 3600.0 + 1], ids=str
)
def test_a_lease_or_ttl_no_backend_could_keep_alike_is_refused_before_anything_is_written(
    store: IdempotencyStore, seconds: float
) -> None:
    """Only Redis refused these; SQLite kept a NaN lease as one that never holds (taken over at
    once) and a NaN retention as one that never ends."""
    claim = store.claim("order-1", "fp-a", LEASE)
    owner = claim.owner or ""
    calls = {
        "claim": lambda: store.claim("order-2", "fp-a", seconds),
        "checkpoint": lambda: store.checkpoint("order-1", owner, {"step": 1}, seconds),
        "renew": lambda: store.renew("order-1", owner, seconds),
        "complete": lambda: store.complete("order-1", owner, {"ok": True}, seconds),
        "nonce": lambda: replay_guard_of(store).add_nonce("nonce-1", seconds),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match="must be more than 0 and at most"):
            call()
        assert store.get("order-2") is None, name
    kept = store.get("order-1")
    assert kept is not None
    assert (kept.owner, kept.checkpoint, kept.result) == (owner, None, None)
    assert replay_guard_of(store).add_nonce("nonce-1", TTL) is True
