"""The transactional handler of the SQL stores: the handler's own writes and the completion
commit together or not at all — proven by kill -9 at every point (SQLite, PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import signal
import time

import pytest
from _store_fixtures import Backend
from _transactional_workers import TTL, effects_table, handle, insert_effect

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import ClaimState, SqlStore, SqlTransaction


def _store(backend: Backend) -> SqlStore:
    store = backend.open(clock=time.time)
    assert isinstance(store, SqlStore)
    return store


def _create_effects(store: SqlStore, namespace: str) -> None:
    with store._transaction() as tx:
        tx.count(f"CREATE TABLE IF NOT EXISTS {effects_table(namespace)} (event_id TEXT)", ())


def _effects(store: SqlStore, namespace: str, event_id: str) -> int:
    table = effects_table(namespace)
    sql = f"SELECT COUNT(*) FROM {table} WHERE event_id = ?"  # noqa: S608 - an identifier
    sql = sql.replace("?", store.placeholder)
    return int(store._query(sql, (event_id,))[0][0])


@pytest.mark.parametrize("kill_at", ["before-effect", "after-effect", "after-commit"])
def test_kill_9_at_every_point_leaves_both_or_neither(sql_backend: Backend, kill_at: str) -> None:
    store = _store(sql_backend)
    _create_effects(store, sql_backend.namespace)
    child = multiprocessing.get_context("spawn").Process(
        target=handle, args=(sql_backend.url, sql_backend.namespace, "evt-1", kill_at)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL

    record = store.get("evt-1")
    effects = _effects(store, sql_backend.namespace, "evt-1")
    committed = kill_at == "after-commit"
    assert effects == (1 if committed else 0)
    assert (record is not None and record.completed) is committed  # both or neither

    # the redelivery runs the effect only where it did not happen, and never again afterwards
    def work(tx: SqlTransaction) -> None:
        insert_effect(tx, store, sql_backend.namespace, "evt-1")

    first = store.run_once_in_transaction("evt-1", "fp", work, {"status": "processed"}, TTL)
    assert first is (ClaimState.COMPLETED if committed else ClaimState.NEW)
    again = store.run_once_in_transaction("evt-1", "fp", work, {"status": "processed"}, TTL)
    assert again is ClaimState.COMPLETED
    assert _effects(store, sql_backend.namespace, "evt-1") == 1


def test_a_failing_handler_writes_nothing_and_runs_again(sql_backend: Backend) -> None:
    store = _store(sql_backend)
    _create_effects(store, sql_backend.namespace)

    def failing(tx: SqlTransaction) -> None:
        insert_effect(tx, store, sql_backend.namespace, "evt-2")
        raise RuntimeError("handler failed after its write")

    with pytest.raises(RuntimeError):
        store.run_once_in_transaction("evt-2", "fp", failing, {"status": "processed"}, TTL)
    assert _effects(store, sql_backend.namespace, "evt-2") == 0
    assert store.get("evt-2") is None
    assert store.run_once_in_transaction("evt-2", "other", lambda tx: None, {}, TTL) is (
        ClaimState.NEW
    )
    assert store.run_once_in_transaction("evt-2", "fp", failing, {}, TTL) is ClaimState.MISMATCH


def test_a_handler_whose_own_sql_fails_raises_its_own_error_not_an_outage(
    sql_backend: Backend,
) -> None:
    """A bug in the handler's SQL (a missing table) is the handler's failure, rolled back and
    raised as the driver raised it; only the store's own statements mean an outage."""
    store = _store(sql_backend)
    _create_effects(store, sql_backend.namespace)

    def buggy(tx: SqlTransaction) -> None:
        insert_effect(tx, store, sql_backend.namespace, "evt-3")
        tx.count("INSERT INTO no_such_table_for_this_test (x) VALUES (1)", ())

    with pytest.raises(Exception, match="no_such_table_for_this_test") as failed:
        store.run_once_in_transaction("evt-3", "fp", buggy, {"status": "processed"}, TTL)
    assert not isinstance(failed.value, StoreUnavailableError)
    assert type(failed.value).__module__.split(".")[0] in {"sqlite3", "psycopg"}
    assert _effects(store, sql_backend.namespace, "evt-3") == 0  # rolled back: both or neither
    assert store.get("evt-3") is None  # nothing claimed: the redelivery runs it again
    assert store.run_once_in_transaction("evt-3", "fp", lambda tx: None, {}, TTL) is (
        ClaimState.NEW
    )


def test_work_that_fails_inside_a_group_undoes_only_its_own_claim_and_writes(
    sql_backend: Backend,
) -> None:
    """Joined to an open group (a batch of deliveries), a failed run keeps none of its claim
    and writes, and the group's other work still commits: the failed event runs again on
    redelivery instead of being blocked as in progress for the retention."""
    store, other = _store(sql_backend), sql_backend.open()
    _create_effects(store, sql_backend.namespace)
    namespace = sql_backend.namespace

    def failing(tx: SqlTransaction) -> None:
        insert_effect(tx, store, namespace, "evt-raises")
        raise RuntimeError("handler failed after its write")

    def buggy(tx: SqlTransaction) -> None:
        insert_effect(tx, store, namespace, "evt-bad-sql")
        tx.count("INSERT INTO no_such_table_for_this_test (x) VALUES (1)", ())

    def working(tx: SqlTransaction) -> None:
        insert_effect(tx, store, namespace, "evt-ok")

    with store.grouped():
        store.claim("plain-claim", "fp", 30.0)
        for event_id, work in (("evt-raises", failing), ("evt-bad-sql", buggy)):
            with pytest.raises(Exception, match=r"handler failed|no_such_table_for_this_test"):
                store.run_once_in_transaction(event_id, "fp", work, {"status": "done"}, TTL)
        ran = store.run_once_in_transaction("evt-ok", "fp", working, {"status": "done"}, TTL)

    assert ran is ClaimState.NEW
    assert [_effects(store, namespace, e) for e in ("evt-raises", "evt-bad-sql", "evt-ok")] == [
        0,
        0,
        1,
    ]
    assert other.get("evt-raises") is None
    assert other.get("evt-bad-sql") is None
    assert other.get("evt-ok").result == {"status": "done"}  # type: ignore[union-attr]
    assert other.get("plain-claim") is not None
    assert store.run_once_in_transaction("evt-raises", "fp", working, {}, TTL) is ClaimState.NEW
