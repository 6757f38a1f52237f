"""A receiver whose transactional handler writes one effect row per event, for the HTTP drills
(imported by the tests and by the spawned receiver that dies with kill -9 mid-handler)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any

from _receiver_fixtures import receiver_settings

from g2a_adapter import WebhookEvent
from g2a_adapter.idempotency import SqlStore, SqlTransaction, open_store
from g2a_adapter.receiver import ReceiverOptions, TransactionalHandler, create_receiver_app
from harness.serving import ThreadedServer

NAMESPACE = "receiver_tx"
EFFECTS = f"{NAMESPACE}_effects"  # the service's own table, beside the store's


def open_sql_store(url: str) -> SqlStore:
    store = open_store(url, namespace=NAMESPACE)
    assert isinstance(store, SqlStore)
    return store


def _execute(url: str, sql: str, params: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """One statement on the store's database, over a connection of its own."""
    if url.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        with contextlib.closing(connection) as conn, conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description is not None else []


def create_effects(url: str) -> None:
    _execute(url, f"CREATE TABLE IF NOT EXISTS {EFFECTS} (event_id TEXT NOT NULL)")


def effects(url: str, event_id: str) -> int:
    """How many times the handler's write of `event_id` was kept."""
    sql = f"SELECT COUNT(*) FROM {EFFECTS} WHERE event_id = ?"  # noqa: S608 - a constant
    return int(_execute(url, sql, (event_id,))[0][0])


def book(store: SqlStore, *, die: bool = False) -> TransactionalHandler:
    """Write the event's effect; events named `fail-*` raise after it, and with `die` the
    process is killed (-9) right after it."""
    insert = f"INSERT INTO {EFFECTS} (event_id) VALUES ({store.placeholder})"  # noqa: S608

    def handle(event: WebhookEvent, tx: SqlTransaction) -> None:
        tx.count(insert, (event.event_id,))
        if die:
            os.kill(os.getpid(), signal.SIGKILL)
        if event.event_id.startswith("fail-"):
            raise RuntimeError("the service failed after its write")

    return TransactionalHandler(handle)


def app_for(url: str, store: SqlStore, *, die: bool = False) -> Any:
    options = ReceiverOptions(store=store)
    return create_receiver_app(receiver_settings(url), book(store, die=die), options=options)


def serve_until_killed(url: str, ready: Any) -> None:
    """Serve a receiver whose handler kills its process mid-transaction; report its URL."""
    store = open_sql_store(url)
    server = ThreadedServer(app_for(url, store, die=True))
    server.start()
    ready.put(server.base_url)
    time.sleep(600)
