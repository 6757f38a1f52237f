"""PostgreSQL backend (psycopg 3): one round trip per common operation.

A claim of a fresh key is one autocommit `INSERT … ON CONFLICT DO NOTHING`; a claim meeting
an existing row runs `SELECT … FOR UPDATE` and `decide_claim` in one transaction, so
concurrent claimers serialize on the row lock. Statements are server-side prepared.
Times are computed here, passed in as parameters: by the server's clock as this host reads it
(`_server_clock`: local time plus the offset to `clock_timestamp()`, measured on each new
connection), or by an injected clock, so tests can move time. The connection is opened on
first use and again after a fork (`_fork`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._observability import SecretMasker
from g2a_adapter._url_secrets import url_passwords
from g2a_adapter.idempotency._codec import DEFAULT_NAMESPACE
from g2a_adapter.idempotency._fork import Reconnects, reconnect_after_fork
from g2a_adapter.idempotency._server_clock import chosen_clock
from g2a_adapter.idempotency._sql import SqlStore, SqlTransaction

_SERVER_TIME = "SELECT extract(epoch FROM clock_timestamp())::float8"


class PostgresStore(Reconnects, SqlStore):
    backend = "postgres"
    placeholder = "%s"
    driver_error = psycopg.Error
    lock_clause = "FOR UPDATE"
    schema_lock = "SELECT pg_advisory_xact_lock(hashtext(?))"

    def __init__(
        self,
        conninfo: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], float] | None = None,
        connect_timeout_seconds: int = 2,
    ) -> None:
        """`clock`: injected, it computes every time as it is; by default the server's clock
        does (`_server_clock`)."""
        chosen, self._server_clock = chosen_clock(self.backend, clock)
        super().__init__(namespace, chosen)
        self._conninfo = conninfo
        self._connect_timeout = connect_timeout_seconds
        self._mask = SecretMasker(url_passwords(conninfo))
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._closed = False
        reconnect_after_fork(self)
        try:
            self._create_schema()
        except BaseException:
            self.close()
            raise

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._closed:
            raise StoreUnavailableError(self.backend, "the store was closed")
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close_connection()
            self._conn = psycopg.connect(
                self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
            )
            if self._server_clock is not None:  # a new connection may reach another server
                self._server_clock.expire()
        if self._server_clock is not None:
            conn = self._conn
            self._server_clock.refresh(lambda: _server_time(conn))
        return self._conn

    def _failure(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(
            self.backend, self._mask(f"{type(exc).__name__}: {exc}".strip())
        )

    def _change(self, sql: str, params: Sequence[Any]) -> int:
        with self._lock:
            try:
                with self._connection().cursor() as cursor:
                    cursor.execute(sql, params, prepare=True)
                    return cursor.rowcount
            except psycopg.Error as exc:
                raise self._failure(exc) from None

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                with self._connection().cursor() as cursor:
                    cursor.execute(sql, params, prepare=True)
                    return cursor.fetchall()
            except psycopg.Error as exc:
                raise self._failure(exc) from None

    @contextmanager
    def _transaction(self) -> Iterator[SqlTransaction]:
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction(), conn.cursor() as cursor:
                    yield _PostgresTx(cursor)
                    if conn.info.transaction_status is TransactionStatus.INERROR:
                        raise StoreUnavailableError(  # PostgreSQL aborted the transaction
                            self.backend,
                            "a statement failed inside the transaction and its caller went"
                            " on; nothing of the transaction was kept",
                        )
            except psycopg.Error as exc:
                raise self._failure(exc) from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.close_connection()


class _PostgresTx:
    def __init__(self, cursor: psycopg.Cursor[tuple[Any, ...]]) -> None:
        self._cursor = cursor

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self._cursor.execute(sql, params)
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def count(self, sql: str, params: Sequence[Any]) -> int:
        self._cursor.execute(sql, params)
        return self._cursor.rowcount


def _server_time(conn: psycopg.Connection[tuple[Any, ...]]) -> float:
    seconds: float = conn.execute(_SERVER_TIME, prepare=True).fetchall()[0][0]
    return seconds
