"""PostgreSQL backend (psycopg 3): one round trip per common operation.

A claim of a fresh key is one autocommit `INSERT … ON CONFLICT DO NOTHING`; a claim meeting
an existing row runs `SELECT … FOR UPDATE` and `decide_claim` in one transaction, so
concurrent claimers serialize on the row lock. Statements are server-side prepared.
Times are computed here, passed in as parameters: by the server's clock as this host reads it
(`_server_clock`: local time plus the offset to `clock_timestamp()`, measured on each new
connection before any time is computed), or by an injected clock, so tests can move time. The
connection is opened on first use and again after a fork (`_fork`), and after a server that
stopped answering (`_AnsweringConnection`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from psycopg.pq import TransactionStatus

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._masking import SecretMasker
from g2a_adapter._url_secrets import url_passwords
from g2a_adapter.idempotency._codec import DEFAULT_NAMESPACE, check_seconds
from g2a_adapter.idempotency._fork import Reconnects, reconnect_after_fork
from g2a_adapter.idempotency._postgres_url import libpq_params, url_connect_timeout
from g2a_adapter.idempotency._server_clock import chosen_clock
from g2a_adapter.idempotency._sql import SqlStore, SqlTransaction

_SERVER_TIME = "SELECT extract(epoch FROM clock_timestamp())::float8"
# The longest the store refuses to connect after a failed connect, whatever the connect
# timeout: long enough for the threads queued during an outage to fail together, short
# enough for a blip to heal at once.
_REFUSAL_SECONDS = 2.0
_RV = TypeVar("_RV")


class NoAnswerError(psycopg.OperationalError):
    """The server did not answer in time (a partition, a frozen server or proxy)."""


def _answered_within(gen: PQGen[_RV], seconds: float) -> PQGen[_RV]:
    """`gen`, an exchange with the server (a statement, a commit), given up (`NoAnswerError`) when
    it has not ended after `seconds`. While the socket stays quiet, psycopg wakes it every
    tenth of a second with nothing ready, so the deadline is checked then."""
    deadline = time.monotonic() + seconds
    try:
        waiting_for = next(gen)
        while True:
            ready = yield waiting_for
            if not ready and time.monotonic() >= deadline:
                raise NoAnswerError(f"the server did not answer within {seconds:g} s")
            waiting_for = gen.send(ready)
    except StopIteration as done:
        result: _RV = done.value
        return result


class _AnsweringConnection(psycopg.Connection[tuple[Any, ...]]):
    """A connection that waits at most `answer_timeout` seconds for the server to answer.

    TCP keeps a frozen server (or proxy) alive, and a statement timeout needs the server to
    act: each wait psycopg makes (a statement, a commit) ends instead, and the connection is
    closed, so the server's late answer is never read as another statement's."""

    answer_timeout = 5.0

    def wait(self, gen: PQGen[_RV], *args: Any, **kwargs: Any) -> _RV:
        try:
            return super().wait(_answered_within(gen, self.answer_timeout), *args, **kwargs)
        except NoAnswerError:
            self.pgconn.finish()
            raise


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
        answer_timeout_seconds: float = _AnsweringConnection.answer_timeout,
    ) -> None:
        """`clock`: injected, it computes every time as it is; by default the server's clock
        does (`_server_clock`). A server silent for `answer_timeout_seconds` during a
        statement fails it (`StoreUnavailableError`); the next operation connects again.
        `conninfo`'s own `connect_timeout` (what the operator wrote, at least 1 s, else
        `ValueError`) wins over `connect_timeout_seconds`."""
        check_seconds("answer_timeout_seconds", answer_timeout_seconds)
        written_timeout = _written_connect_timeout(conninfo)
        chosen, self._server_clock = chosen_clock(self.backend, clock)
        super().__init__(namespace, chosen)
        self._conninfo = conninfo
        self._connect_timeout = written_timeout or connect_timeout_seconds
        self._answer_timeout = answer_timeout_seconds
        self._mask = SecretMasker(url_passwords(conninfo))
        # Reentrant: `_timed` holds the connection it measured for the statements of its block.
        self._lock = threading.RLock()
        self._conn: _AnsweringConnection | None = None
        self._connect_failed_at = -float("inf")  # monotonic time of the last failed connect
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
            self._conn = self._connect()
            if self._server_clock is not None:  # a new connection may reach another server
                self._server_clock.expire()
        if self._server_clock is not None:
            conn = self._conn
            self._server_clock.refresh(lambda: _server_time(conn))
        return self._conn

    def _connect(self) -> _AnsweringConnection:
        """A new connection; refused at once for the connect timeout, at most 2 s, after one
        failed, so during an outage the threads queued on the store fail together instead of
        each waiting out a connect timeout in turn."""
        refusal = min(self._connect_timeout, _REFUSAL_SECONDS)
        since_failure = time.monotonic() - self._connect_failed_at
        if since_failure < refusal:
            raise psycopg.OperationalError(
                f"a connection failed {since_failure:.1f} s ago; the next try is in "
                f"{refusal - since_failure:.1f} s"
            )
        try:
            conn = _AnsweringConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
            )
        except psycopg.Error:
            self._connect_failed_at = time.monotonic()
            raise
        self._connect_failed_at = -float("inf")
        conn.answer_timeout = self._answer_timeout
        return conn

    @contextmanager
    def _timed(self) -> Iterator[float]:
        """The time now by the server's clock as measured on the connection the block's
        statements use: connected (and measured) first, and held meanwhile, so another
        thread's failure cannot make them run on a new connection, maybe another server."""
        with self._lock:
            try:
                self._connection()
            except psycopg.Error as exc:
                raise self._failure(exc) from None
            yield self._clock()

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


def _written_connect_timeout(conninfo: str) -> int | None:
    """The `connect_timeout` `conninfo` gives, if any (`url_connect_timeout`)."""
    try:
        params = libpq_params(conninfo)
    except psycopg.ProgrammingError:  # libpq refuses the conninfo: connecting says why
        return None
    return url_connect_timeout(params)


def _server_time(conn: psycopg.Connection[tuple[Any, ...]]) -> float:
    seconds: float = conn.execute(_SERVER_TIME, prepare=True).fetchall()[0][0]
    return seconds
