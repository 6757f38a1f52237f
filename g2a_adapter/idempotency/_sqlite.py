"""SQLite backend: the embedded default, in WAL mode, safe across processes on one host.

Each operation is one autocommit statement (atomic on its own), or, for a claim meeting an
existing row, one `BEGIN IMMEDIATE` transaction (the write lock is taken before reading), so
processes sharing the file serialize their claims; `busy_timeout` makes them wait instead of
failing. Log checkpoints run on a thread of their own (`_checkpointer.Checkpointer`).
"""

# Table names come from a validated identifier (`checked_namespace`), never from input data.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter.idempotency._checkpointer import Checkpointer
from g2a_adapter.idempotency._codec import DEFAULT_NAMESPACE
from g2a_adapter.idempotency._fork import Reconnects, reconnect_after_fork
from g2a_adapter.idempotency._sql import SqlStore, SqlTransaction

_WAL_RETRY_SECONDS = 0.01
_PAGE_SIZE = "(SELECT page_size FROM pragma_page_size())"


def sqlite_path_problem(path: str) -> str | None:
    """What the store refuses as its file's path (built directly, or from a URL by
    `_url.parse_store_url`): an empty one, which SQLite reads as a temporary database of
    its own for each connection, so nothing would be kept or shared."""
    if path:
        return None
    return (
        "the SQLite store takes a file's path, not an empty one (as a URL: "
        "sqlite:///relative/path or sqlite:////abs/path): SQLite would open a temporary "
        "database for each connection, deleted as it closes"
    )


class SqliteStore(Reconnects, SqlStore):
    backend = "sqlite"
    table_options = " WITHOUT ROWID"
    read_before_insert = True
    driver_error = sqlite3.Error

    def __init__(
        self,
        path: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], float] = time.time,
        busy_timeout_seconds: float = 30.0,
        checkpoint_interval_seconds: float = 0.25,
    ) -> None:
        path_problem = sqlite_path_problem(path)
        if path_problem:
            raise StoreUnavailableError(self.backend, path_problem)
        super().__init__(namespace, clock)
        self._path = path
        self._busy_timeout = busy_timeout_seconds
        self._lock = threading.Lock()
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        nonces = f"{self._namespace}_nonces"  # a nonce as large as a page: `ping`
        self._write_page = (
            f"INSERT INTO {nonces} (nonce, expires_at) VALUES (zeroblob({_PAGE_SIZE}), 0)"
        )
        self._free_page = f"DELETE FROM {nonces} WHERE nonce = zeroblob({_PAGE_SIZE})"
        try:
            self._create_schema()
        except BaseException:
            self.close_connection()
            raise
        self._checkpointer = Checkpointer(path, checkpoint_interval_seconds)
        reconnect_after_fork(self)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailableError(self.backend, f"cannot open {self._path!r}: {exc}") from exc
        try:
            self._enable_wal(conn, time.monotonic() + self._busy_timeout)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        except sqlite3.Error as exc:
            conn.close()
            raise self._failure(exc) from exc
        return conn

    def _enable_wal(self, conn: sqlite3.Connection, deadline: float) -> None:
        """Switch to WAL, waiting out other processes that open the same file at once.

        Changing the journal mode can answer "database is locked" at once, without going
        through the busy timeout, while another connection is doing the same; retry it.
        """
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(_WAL_RETRY_SECONDS)

    def _failure(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(self.backend, f"{self._path!r}: {exc}")

    def _live_connection(self) -> sqlite3.Connection:
        """The connection, opened on first use and again after a fork (`_fork`)."""
        if self._closed:
            raise StoreUnavailableError(self.backend, "the store was closed")
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _change(self, sql: str, params: Sequence[Any]) -> int:
        with self._lock:
            try:
                return self._live_connection().execute(sql, params).rowcount
            except sqlite3.Error as exc:
                raise self._failure(exc) from exc

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._live_connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._failure(exc) from exc

    @contextmanager
    def _transaction(self) -> Iterator[SqlTransaction]:
        with self._lock:
            conn = self._live_connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield _SqliteTx(conn)
                except BaseException:
                    if conn.in_transaction:  # SQLite ends it itself on some errors (disk full)
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise self._failure(exc) from exc

    def ping(self) -> None:
        """What a claim needs: the write lock (`BEGIN IMMEDIATE`), the store's tables, and room
        to write. A nonce as large as a page is written and deleted in one transaction, which
        commits: a full disk fails it (or a file at `max_page_count`) as it fails claims, and
        nothing is left; the page it took is free again for the next ping or a claim, so
        pinging does not grow the file."""
        with self._in_transaction() as tx:
            tx.rows(self._sql.select_version, ())
            tx.count(self._write_page, ())
            tx.count(self._free_page, ())

    def close(self) -> None:
        self._checkpointer.stop()
        with self._lock:
            self._closed = True
            self.close_connection()


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._execute = conn.execute

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._execute(sql, params).fetchall()

    def count(self, sql: str, params: Sequence[Any]) -> int:
        return self._execute(sql, params).rowcount
