"""The SQL store core shared by SQLite and PostgreSQL.

Both dialects run the same statements (`?` placeholders rewritten per driver). The common
paths are one autocommit statement each, whose row count decides: a claim of a fresh key is
`INSERT … ON CONFLICT DO NOTHING` (1 row: the caller owns it); `complete`, `checkpoint` and
`release` are `UPDATE`/`DELETE … WHERE key = ? AND owner = ? AND result IS NULL` (0 rows: the
lease was lost); a nonce is one upsert. A claim that meets an existing row first decides
from a plain read (completed, in progress, mismatch write nothing); only a claim that must
write over the row (lease takeover, retention over) opens a transaction holding the write
lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL `SELECT … FOR UPDATE`) and decides again there.
`decide_claim` makes every decision. The store is also a `ReplayGuard` (nonces in a table of
their own) and offers `run_once_in_transaction`, whose caller writes inside the claim's
transaction, and `grouped()`, under which one thread's operations share one transaction (one
commit for a batch of deliveries). Subclasses provide the connection.
"""

# Table names come from a validated identifier (`checked_namespace`), never from input data.
# ruff: noqa: S608

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from g2a_adapter._errors import LeaseLostError, StoreUnavailableError
from g2a_adapter.idempotency._base import JSON, Claim, ClaimState, Record, decide_claim
from g2a_adapter.idempotency._codec import (
    RECORD_COLUMNS,
    SCHEMA_VERSION,
    OwnerIds,
    check_key,
    check_seconds,
    checked_namespace,
    dump_object,
    record_from_row,
    record_row,
    retained,
)


class SqlTransaction(Protocol):
    """Statements inside one transaction that holds the write lock (placeholders in the
    store's `placeholder` style: `?` for SQLite, `%s` for PostgreSQL)."""

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def count(self, sql: str, params: Sequence[Any]) -> int:
        """Run a change; the number of rows it changed."""


class _WorkFailed(Exception):
    """The caller's work inside `run_once_in_transaction` raised `error`: carried through the
    store's transaction unchanged, so a driver error of the caller's own SQL is the caller's
    failure, not a store outage."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True, slots=True)
class _Once:
    """One `run_once_in_transaction` call."""

    key: str
    fingerprint: str
    owner: str
    work: Callable[[SqlTransaction], None]
    result: str  # the completion to keep, encoded (`dump_object`)
    ttl_seconds: float


_T = TypeVar("_T")
_SAVEPOINT = "g2a_run_once"
_CLAIM_ATTEMPTS = 5  # a row deleted between our INSERT and SELECT: try again
_NO_DATA = (None, None, None)  # checkpoint, result, expires_at of a fresh claim


@dataclass(frozen=True)
class _Statements:
    schema: tuple[str, ...]
    select_version: str
    insert_version: str
    select: str
    select_locked: str
    insert: str
    update: str
    complete: str
    checkpoint: str
    renew: str
    release_forget: str
    release_keep: str
    add_nonce: str
    prune_nonces: str
    prune_records: str


def _statements(
    namespace: str, placeholder: str, lock_clause: str, table_options: str, prune_limit: int
) -> _Statements:
    records, nonces, schema = f"{namespace}_records", f"{namespace}_nonces", f"{namespace}_schema"
    columns = ", ".join(RECORD_COLUMNS)
    marks = ", ".join("?" for _ in RECORD_COLUMNS)
    assignments = ", ".join(f"{c} = ?" for c in RECORD_COLUMNS[1:])
    select = f"SELECT {columns} FROM {records} WHERE key = ?"
    insert = f"INSERT INTO {records} ({columns}) VALUES ({marks}) ON CONFLICT (key) DO NOTHING"
    owned = "WHERE key = ? AND owner = ? AND result IS NULL"

    def sql(text: str) -> str:
        return text.replace("?", placeholder)

    return _Statements(
        schema=(
            f"CREATE TABLE IF NOT EXISTS {schema} (version INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {records} (key TEXT PRIMARY KEY, "
            "fingerprint TEXT NOT NULL, owner TEXT, lease_expires_at DOUBLE PRECISION, "
            f"checkpoint TEXT, result TEXT, expires_at DOUBLE PRECISION){table_options}",
            f"CREATE TABLE IF NOT EXISTS {nonces} (nonce TEXT PRIMARY KEY, "
            f"expires_at DOUBLE PRECISION NOT NULL){table_options}",
            f"CREATE INDEX IF NOT EXISTS {nonces}_expiry ON {nonces} (expires_at)",
            # Only completed records expire: claims do not touch this index.
            f"CREATE INDEX IF NOT EXISTS {records}_expiry ON {records} (expires_at) "
            "WHERE expires_at IS NOT NULL",
        ),
        select_version=f"SELECT version FROM {schema}",
        insert_version=sql(f"INSERT INTO {schema} (version) VALUES (?)"),
        select=sql(select),
        select_locked=sql(f"{select} {lock_clause}".strip()),
        insert=sql(insert),
        update=sql(f"UPDATE {records} SET {assignments} WHERE key = ?"),
        complete=sql(
            f"UPDATE {records} SET owner = NULL, lease_expires_at = NULL, result = ?, "
            f"expires_at = ? {owned}"
        ),
        checkpoint=sql(f"UPDATE {records} SET checkpoint = ?, lease_expires_at = ? {owned}"),
        renew=sql(f"UPDATE {records} SET lease_expires_at = ? {owned}"),
        release_forget=sql(f"DELETE FROM {records} {owned} AND checkpoint IS NULL"),
        release_keep=sql(f"UPDATE {records} SET owner = NULL, lease_expires_at = NULL {owned}"),
        add_nonce=sql(
            f"INSERT INTO {nonces} (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) "
            f"DO UPDATE SET expires_at = excluded.expires_at WHERE {nonces}.expires_at <= ?"
        ),
        # The condition is repeated outside the subquery: PostgreSQL checks it again on a row
        # changed meanwhile, so a nonce or key used again since is not deleted.
        prune_nonces=sql(
            f"DELETE FROM {nonces} WHERE nonce IN (SELECT nonce FROM {nonces} "
            f"WHERE expires_at <= ? LIMIT {prune_limit}) AND expires_at <= ?"
        ),
        prune_records=sql(
            f"DELETE FROM {records} WHERE key IN (SELECT key FROM {records} "
            f"WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT {prune_limit}) "
            "AND expires_at IS NOT NULL AND expires_at <= ?"
        ),
    )


class SqlStore(abc.ABC):
    """An `IdempotencyStore` over a SQL database; see the module docstring."""

    backend: str
    placeholder = "?"
    lock_clause = ""
    table_options = ""  # e.g. SQLite's " WITHOUT ROWID": the primary key is the table
    schema_lock: str | None = None  # statement serializing schema creation, if needed
    # Read before trying to insert: worth it where any write takes a database-wide lock
    # (SQLite), so claims of keys someone else holds or finished never queue for it.
    read_before_insert = False
    prune_every = 1000  # writes between two sweeps of expired nonces and records
    # Rows per table per sweep: a sweep after a burst expires stays short, and sweeps still
    # outpace the writes (at most one row per table per write).
    prune_limit = 2000

    def __init__(self, namespace: str, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._namespace = checked_namespace(self.backend, namespace)
        self._sql = _statements(
            namespace, self.placeholder, self.lock_clause, self.table_options, self.prune_limit
        )
        self._owners = OwnerIds()
        self._writes = 0
        self._group = threading.local()  # `.tx`: the transaction of this thread's open group

    driver_error: type[Exception]  # what the driver raises

    @abc.abstractmethod
    def _failure(self, exc: Exception) -> StoreUnavailableError:
        """A driver error as the store's typed error (passwords masked)."""

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[SqlTransaction]:
        """One transaction holding the write lock; driver errors → StoreUnavailableError."""

    @abc.abstractmethod
    def _change(self, sql: str, params: Sequence[Any]) -> int:
        """One autocommit statement; its row count. Driver errors → StoreUnavailableError."""

    @abc.abstractmethod
    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """One autocommit query; its rows. Driver errors → StoreUnavailableError."""

    @contextmanager
    def _timed(self) -> Iterator[float]:
        """The time now, for the block's statements: by the clock of the connection they run
        on (a store on the server's clock connects and measures first)."""
        yield self._clock()

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """Until the block ends, this thread's operations on the store run in one transaction
        holding the write lock: they commit together, or, if the block raises or a statement
        fails (`StoreUnavailableError`, raised again at the end even when the block caught
        it), none of them does. Other threads wait for
        the lock meanwhile, so keep slow work (a service's handler) out of the block.
        """
        with self._in_transaction() as tx:
            outer, self._group.tx = self._open_group(), tx
            if outer is None:
                self._group.failure = None
            try:
                yield
                failure: StoreUnavailableError | None = self._group.failure
                if outer is None and failure is not None:  # caught in the block: keep nothing
                    raise failure
            finally:
                self._group.tx = outer

    def _open_group(self) -> SqlTransaction | None:
        tx: SqlTransaction | None = getattr(self._group, "tx", None)
        return tx

    @contextmanager
    def _in_transaction(self) -> Iterator[SqlTransaction]:
        """This thread's open group, or a transaction of its own."""
        tx = self._open_group()
        if tx is not None:
            yield tx
            return
        with self._transaction() as own:
            yield own

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        tx = self._open_group()
        return self._change(sql, params) if tx is None else self._in_group(tx.count, sql, params)

    def _read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        tx = self._open_group()
        return self._query(sql, params) if tx is None else self._in_group(tx.rows, sql, params)

    def _in_group(
        self, statement: Callable[[str, Sequence[Any]], _T], sql: str, params: Sequence[Any]
    ) -> _T:
        """A statement of this thread's group (a driver error fails the group)."""
        try:
            return statement(sql, params)
        except self.driver_error as exc:
            raise self._group_failed(exc) from None

    def _group_failed(self, exc: Exception) -> StoreUnavailableError:
        """A driver error of a statement in this thread's group, typed; the group fails at
        its end even if its caller goes on."""
        failure = self._failure(exc)
        self._group.failure = failure
        return failure

    def _create_schema(self) -> None:
        with self._transaction() as tx:
            if self.schema_lock is not None:
                tx.rows(self.schema_lock.replace("?", self.placeholder), (self._namespace,))
            for statement in self._sql.schema:
                tx.count(statement, ())
            rows = tx.rows(self._sql.select_version, ())
            if not rows:
                tx.count(self._sql.insert_version, (SCHEMA_VERSION,))
            elif int(rows[0][0]) > SCHEMA_VERSION:
                raise StoreUnavailableError(
                    self.backend,
                    f"schema version {rows[0][0]} is newer than this adapter "
                    f"(supports {SCHEMA_VERSION})",
                )

    def _maybe_prune(self, now: float) -> None:
        self._writes += 1
        if self._writes % self.prune_every == 0:
            self._write(self._sql.prune_nonces, (now, now))
            self._write(self._sql.prune_records, (now, now))

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        check_seconds("lease_seconds", lease_seconds)
        check_key(key, fingerprint)
        owner = self._owners.next()
        with self._timed() as now:
            claim = self._claim_autocommit(key, fingerprint, owner, now, lease_seconds)
        if claim is not None:
            return claim
        with self._in_transaction() as tx:  # the claim must write over an existing row
            return self._claim_in(tx, key, fingerprint, owner, self._clock(), lease_seconds)

    def _claim_autocommit(
        self, key: str, fingerprint: str, owner: str, now: float, lease: float
    ) -> Claim | None:
        """A claim decided by autocommit statements: a fresh key inserted, or a row that needs
        no write. None when the claim must write over an existing row."""
        if self.read_before_insert and self._open_group() is None:  # a group holds the lock
            claim = self._claim_without_writing(key, fingerprint, owner, now, lease)
            if claim is not None:
                return claim
        if self._write(self._sql.insert, (key, fingerprint, owner, now + lease, *_NO_DATA)):
            return Claim(ClaimState.NEW, key, owner=owner)
        return self._claim_without_writing(key, fingerprint, owner, now, lease)

    def _claim_without_writing(
        self, key: str, fingerprint: str, owner: str, now: float, lease: float
    ) -> Claim | None:
        """Completed, in progress or mismatch, decided from a plain read (no write lock).

        None when the key is absent or the claim must write (takeover, retention over).
        """
        rows = self._read(self._sql.select, (key,))
        if not rows:
            return None
        decision = decide_claim(record_from_row(rows[0]), key, fingerprint, owner, now, lease)
        return decision.claim if decision.record is None else None

    def _claim_in(
        self, tx: SqlTransaction, key: str, fingerprint: str, owner: str, now: float, lease: float
    ) -> Claim:
        """A claim inside a transaction holding the write lock: insert, or decide on the row."""
        for _ in range(_CLAIM_ATTEMPTS):
            if tx.count(self._sql.insert, (key, fingerprint, owner, now + lease, *_NO_DATA)):
                return Claim(ClaimState.NEW, key, owner=owner)
            rows = tx.rows(self._sql.select_locked, (key,))
            if not rows:
                continue  # deleted since our insert met it (PostgreSQL): insert again
            decision = decide_claim(record_from_row(rows[0]), key, fingerprint, owner, now, lease)
            if decision.record is not None:
                tx.count(self._sql.update, (*record_row(decision.record)[1:], key))
            return decision.claim
        raise StoreUnavailableError(self.backend, f"claim on {key!r} kept racing with deletes")

    def run_once_in_transaction(
        self,
        key: str,
        fingerprint: str,
        work: Callable[[SqlTransaction], None],
        result: JSON,
        ttl_seconds: float,
    ) -> ClaimState:
        """Exactly-once effects in this database: claim, `work`, complete, in one transaction.

        `work` receives the transaction (`tx.rows` / `tx.count`, in this store's `placeholder`
        style) for its own writes: they commit together with the completion, or — when `work`
        raises or the process dies — neither does and the next delivery runs it again. Returns
        NEW when `work` ran now, COMPLETED for a duplicate, IN_PROGRESS while a plain claim of
        another caller holds a live lease, MISMATCH for another fingerprint.
        """
        check_key(key, fingerprint)
        check_seconds("ttl_seconds", ttl_seconds)
        kept = dump_object(result)  # refused before anything is claimed or written
        once = _Once(key, fingerprint, self._owners.next(), work, kept, ttl_seconds)
        joined = self._open_group() is not None
        try:
            with self._in_transaction() as tx:
                state, now = self._once_in_group(tx, once) if joined else self._once(tx, once)
        except _WorkFailed as failed:  # rolled back; the caller's own error, as raised
            raise failed.error from None
        if state is ClaimState.NEW:
            self._maybe_prune(now)
        return state

    def _once(self, tx: SqlTransaction, once: _Once) -> tuple[ClaimState, float]:
        now = self._clock()
        claim = self._claim_in(tx, once.key, once.fingerprint, once.owner, now, once.ttl_seconds)
        if claim.state is ClaimState.NEW:
            _run_work(once.work, tx)
            completion = (once.result, now + once.ttl_seconds, once.key, once.owner)
            tx.count(self._sql.complete, completion)
        return claim.state, now

    def _once_in_group(self, tx: SqlTransaction, once: _Once) -> tuple[ClaimState, float]:
        """`_once` inside this thread's open group, behind a savepoint: failed work takes back
        its own claim and writes only, and the group's other work still commits. A failed
        statement of the store's own fails the group, as in `_in_group`."""
        try:
            tx.count(f"SAVEPOINT {_SAVEPOINT}", ())
            try:
                outcome = self._once(tx, once)
            except _WorkFailed:
                tx.count(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}", ())
                tx.count(f"RELEASE SAVEPOINT {_SAVEPOINT}", ())
                raise
            tx.count(f"RELEASE SAVEPOINT {_SAVEPOINT}", ())
        except self.driver_error as exc:
            raise self._group_failed(exc) from None
        return outcome

    def _owned_change(self, sql: str, params: Sequence[Any], key: str) -> None:
        if not self._write(sql, params):
            raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        encoded = dump_object(data)
        with self._timed() as now:
            params = (encoded, now + lease_seconds, key, owner)
            self._owned_change(self._sql.checkpoint, params, key)

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        with self._timed() as now:
            self._owned_change(self._sql.renew, (now + lease_seconds, key, owner), key)

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        check_seconds("ttl_seconds", ttl_seconds)
        encoded = dump_object(result)
        with self._timed() as now:
            params = (encoded, now + ttl_seconds, key, owner)
            self._owned_change(self._sql.complete, params, key)
            self._maybe_prune(now)

    def release(self, key: str, owner: str) -> None:
        """Forget a key without progress; keep one with a checkpoint, without an owner."""
        if not self._write(self._sql.release_forget, (key, owner)):
            self._owned_change(self._sql.release_keep, (key, owner), key)

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        check_seconds("ttl_seconds", ttl_seconds)
        check_key(nonce)
        with self._timed() as now:
            accepted = bool(self._write(self._sql.add_nonce, (nonce, now + ttl_seconds, now)))
            self._maybe_prune(now)
        return accepted

    def get(self, key: str) -> Record | None:
        rows = self._read(self._sql.select, (key,))
        return retained(record_from_row(rows[0]) if rows else None, self._clock())

    def ping(self) -> None:
        """What a claim needs: the write lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a row
        lock, which a read-only server refuses) and the store's own tables, readable."""
        with self._in_transaction() as tx:
            tx.rows(f"{self._sql.select_version} {self.lock_clause}".strip(), ())


def _run_work(work: Callable[[SqlTransaction], None], tx: SqlTransaction) -> None:
    try:
        work(tx)
    except Exception as exc:
        raise _WorkFailed(exc) from exc
