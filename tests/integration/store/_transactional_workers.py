"""The child of the transactional-handler kill drill: dies with kill -9 at one point."""

from __future__ import annotations

import os
import signal

from g2a_adapter.idempotency import SqlStore, SqlTransaction, open_store

TTL = 3600.0


def effects_table(namespace: str) -> str:
    return f"{namespace}_effects"


def insert_effect(tx: SqlTransaction, store: SqlStore, namespace: str, event_id: str) -> None:
    """The handler's own write: one row per run (the namespace is a validated identifier)."""
    insert = f"INSERT INTO {effects_table(namespace)} (event_id) VALUES (?)"  # noqa: S608
    tx.count(insert.replace("?", store.placeholder), (event_id,))


def handle(url: str, namespace: str, event_id: str, kill_at: str) -> None:
    """Record the event's effect and its completion in one transaction, dying at `kill_at`."""
    store = open_store(url, namespace=namespace)
    assert isinstance(store, SqlStore)

    def work(tx: SqlTransaction) -> None:
        if kill_at == "before-effect":
            os.kill(os.getpid(), signal.SIGKILL)
        insert_effect(tx, store, namespace, event_id)
        if kill_at == "after-effect":
            os.kill(os.getpid(), signal.SIGKILL)

    store.run_once_in_transaction(event_id, "fp", work, {"status": "processed"}, TTL)
    if kill_at == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)
