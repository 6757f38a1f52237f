"""Grouped writes (`GroupedWrites`, `write_group`): on a SQL store one thread's operations in a
group commit together or not at all; the other stores write each operation at once."""

from __future__ import annotations

import threading

import pytest
from _store_fixtures import Backend

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import (
    ClaimState,
    GroupedWrites,
    IdempotencyStore,
    ReplayGuard,
    SqlStore,
    SqlTransaction,
    write_group,
)

TTL = 600.0


def _sql(store: IdempotencyStore) -> SqlStore:
    assert isinstance(store, SqlStore)
    return store


def _guard(store: IdempotencyStore) -> ReplayGuard:
    assert isinstance(store, ReplayGuard)
    return store


def test_a_group_commits_its_nonces_claims_and_completions_together(
    sql_backend: Backend,
) -> None:
    store, other = _sql(sql_backend.open()), sql_backend.open()
    done = store.claim("done", "fp", 30.0)

    with store.grouped():
        assert _guard(store).add_nonce("nonce-1", TTL)
        assert not _guard(store).add_nonce("nonce-1", TTL)  # the group sees its own writes
        first = store.claim("key-1", "fp", 30.0)
        assert store.claim("key-1", "fp", 30.0).state is ClaimState.IN_PROGRESS
        store.complete("done", done.owner or "", {"ok": True}, TTL)
        assert other.get("key-1") is None  # nothing is visible outside before the end
        assert other.get("done").result is None  # type: ignore[union-attr]

    assert first.state is ClaimState.NEW
    assert other.claim("key-1", "fp", 30.0).state is ClaimState.IN_PROGRESS
    assert other.get("done").result == {"ok": True}  # type: ignore[union-attr]
    assert not _guard(other).add_nonce("nonce-1", TTL)


def test_a_group_that_raises_keeps_none_of_its_writes(sql_backend: Backend) -> None:
    store, other = _sql(sql_backend.open()), sql_backend.open()

    def failing_batch() -> None:
        with store.grouped():
            _guard(store).add_nonce("nonce-1", TTL)
            store.claim("key-1", "fp", 30.0)
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError, match="the batch failed"):
        failing_batch()

    assert other.claim("key-1", "fp", 30.0).state is ClaimState.NEW
    assert _guard(other).add_nonce("nonce-1", TTL)
    assert store.claim("key-2", "fp", 30.0).state is ClaimState.NEW  # the store goes on


def test_takeovers_transactions_and_nested_groups_join_the_open_group(
    sql_backend: Backend,
) -> None:
    store, other = _sql(sql_backend.open()), sql_backend.open()
    store.claim("stale", "fp", 1.0)
    sql_backend.clock.advance(2.0)

    def work(tx: SqlTransaction) -> None:
        assert tx.rows("SELECT 1", ()) == [(1,)]

    with store.grouped():
        taken = store.claim("stale", "fp", 30.0)  # writes over the row: in the group
        with write_group(store):
            ran = store.run_once_in_transaction("txn", "fp", work, {"ok": True}, TTL)
        assert other.get("txn") is None  # the nested group did not commit on its own

    assert (taken.state, taken.taken_over, ran) == (ClaimState.NEW, True, ClaimState.NEW)
    assert other.get("stale").owner == taken.owner  # type: ignore[union-attr]
    assert other.get("txn").result == {"ok": True}  # type: ignore[union-attr]


def test_other_threads_wait_for_the_group_and_never_write_into_it(sql_backend: Backend) -> None:
    store = _sql(sql_backend.open())
    claims: list[ClaimState] = []
    waited: list[bool] = []
    thread = threading.Thread(target=lambda: claims.append(store.claim("key-2", "fp", 30).state))

    def rolled_back_group() -> None:
        with store.grouped():
            store.claim("key-1", "fp", 30.0)
            thread.start()
            thread.join(timeout=0.2)
            waited.append(thread.is_alive())  # waiting for the group's lock
            raise RuntimeError("roll the group back")

    with pytest.raises(RuntimeError, match="roll the group back"):
        rolled_back_group()
    thread.join(timeout=10)

    assert waited == [True]

    assert claims == [ClaimState.NEW]  # its own write, kept though the group was rolled back
    assert store.get("key-1") is None
    assert store.get("key-2") is not None


def test_stores_that_do_not_group_write_each_operation_at_once(
    ungrouped_backend: Backend,
) -> None:
    store, other = ungrouped_backend.open(), ungrouped_backend.open()
    assert not isinstance(store, GroupedWrites)
    seen_inside: list[ClaimState] = []

    def failing_batch() -> None:
        with write_group(store):
            store.claim("key-1", "fp", 30.0)
            seen_inside.append(other.claim("key-1", "fp", 30.0).state)
            raise RuntimeError("nothing to roll back")

    with pytest.raises(RuntimeError, match="nothing to roll back"):
        failing_batch()

    assert seen_inside == [ClaimState.IN_PROGRESS]
    assert other.get("key-1") is not None


def test_a_statement_that_fails_in_a_group_fails_the_group_even_when_caught(
    sql_backend: Backend,
) -> None:
    """PostgreSQL aborts the whole transaction on a failed statement; the group says so
    instead of committing what is left (on every SQL backend alike)."""
    store, other = _sql(sql_backend.open()), sql_backend.open()

    caught: list[Exception] = []

    def batch_going_on_after_a_failed_statement() -> None:
        with store.grouped():
            _guard(store).add_nonce("nonce-1", TTL)
            store.claim("key-1", "fp", 30.0)
            try:  # one delivery's bad statement, isolated as the receiver isolates deliveries
                store._write("INSERT INTO no_such_table VALUES (1)", ())
            except Exception as exc:
                caught.append(exc)
            store.claim("key-2", "fp", 30.0)  # the caller goes on with the next delivery

    with pytest.raises(StoreUnavailableError):
        batch_going_on_after_a_failed_statement()
    assert [type(exc) for exc in caught] == [StoreUnavailableError]

    assert other.claim("key-1", "fp", 30.0).state is ClaimState.NEW  # nothing was kept
    assert _guard(other).add_nonce("nonce-1", TTL)
    assert store.claim("key-3", "fp", 30.0).state is ClaimState.NEW  # the store goes on


@pytest.mark.parametrize("grouped", [False, True], ids=["alone", "in-a-group"])
def test_exactly_once_work_with_a_result_that_is_not_an_object_never_runs(
    sql_backend: Backend, grouped: bool
) -> None:
    """The result was checked only when completing: in a group, the work's writes and an
    unfinished claim were kept, and the work ran again once the lease lapsed."""
    store = _sql(sql_backend.open())
    ran: list[str] = []

    def attempt() -> None:
        with pytest.raises(TypeError, match="must be a dict"):
            store.run_once_in_transaction("odd", "fp", lambda tx: ran.append("work"), [1], TTL)  # type: ignore[arg-type]

    if grouped:
        with store.grouped():
            attempt()
    else:
        attempt()

    assert ran == []
    assert store.get("odd") is None  # nothing claimed, nothing kept
