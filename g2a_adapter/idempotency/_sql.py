"""The SQL store core shared by SQLite and PostgreSQL.

Both dialects run the same statements (`?` placeholders rewritten per driver). The common
paths are one autocommit statement each, whose row count decides: a claim of a fresh key is
`INSERT … ON CONFLICT DO NOTHING` (1 row: the caller owns it); `complete`, `checkpoint` and
`release` are `UPDATE`/`DELETE … WHERE key = ? AND owner = ? AND result IS NULL` (0 rows: the
lease was lost); a nonce is one upsert. A claim that meets an existing row first decides
from a plain read (completed, in progress, mismatch write nothing); only a claim that must
write over the row (lease takeover, retention over) opens a transaction holding the write
lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL `SELECT … FOR UPDATE`) and decides again there.
`decide_claim` makes every decision. Batches (`claim_many`, `finish_many`) run as one
transaction each: many deliveries share one commit. Subclasses provide the connection.
"""

# Table names come from a validated identifier (`valid_namespace`), never from input data.
# ruff: noqa: S608

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from g2a_adapter._errors import LeaseLostError, StoreUnavailableError
from g2a_adapter.idempotency._base import (
    JSON,
    Claim,
    ClaimState,
    Finish,
    NonceClaim,
    Record,
    decide_claim,
)
from g2a_adapter.idempotency._codec import (
    RECORD_COLUMNS,
    SCHEMA_VERSION,
    OwnerIds,
    dump_json,
    record_from_row,
    record_row,
    retained,
)


class Tx(Protocol):
    """Statements inside one transaction that holds the write lock."""

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def count(self, sql: str, params: Sequence[Any]) -> int:
        """Run a change; the number of rows it changed."""


_CLAIM_ATTEMPTS = 5  # a row deleted between our INSERT and SELECT: try again
PRUNE_EVERY = 1000  # writes between two sweeps of expired nonces and records
# Rows per table per sweep: a sweep after a burst expires stays short (it may run on an event
# loop), and sweeps still outpace the writes (at most one row per table per write).
PRUNE_LIMIT = 2 * PRUNE_EVERY
_NO_DATA = (None, None, None)  # checkpoint, result, expires_at of a fresh claim
_BULK_ROWS = 200  # rows per multi-row statement: far below SQLite's limit on parameters
# A multi-row statement: template, placeholders per row, rows, leading and trailing params.
_BulkStatement = tuple[str, int, Sequence[tuple[Any, ...]], tuple[Any, ...], tuple[Any, ...]]


@functools.lru_cache(maxsize=256)
def _with_rows(template: str, width: int, count: int, placeholder: str) -> str:
    """`template` with `{rows}` as `count` groups of `width` placeholders."""
    group = "(" + ", ".join([placeholder] * width) + ")"
    return template.replace("{rows}", ", ".join([group] * count))


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
    release_forget: str
    release_keep: str
    add_nonce: str
    prune_nonces: str
    prune_records: str
    # Multi-row forms for batches; `{rows}` takes the rows' placeholder groups.
    add_nonces: str
    insert_fresh: str
    complete_owned: str


def _statements(
    namespace: str, placeholder: str, lock_clause: str, table_options: str
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
        release_forget=sql(f"DELETE FROM {records} {owned} AND checkpoint IS NULL"),
        release_keep=sql(f"UPDATE {records} SET owner = NULL, lease_expires_at = NULL {owned}"),
        add_nonce=sql(
            f"INSERT INTO {nonces} (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) "
            f"DO UPDATE SET expires_at = excluded.expires_at WHERE {nonces}.expires_at <= ?"
        ),
        add_nonces=sql(
            f"INSERT INTO {nonces} (nonce, expires_at) VALUES {{rows}} ON CONFLICT (nonce) "
            f"DO UPDATE SET expires_at = excluded.expires_at WHERE {nonces}.expires_at <= ?"
        ),
        insert_fresh=sql(
            f"INSERT INTO {records} (key, fingerprint, owner, lease_expires_at) VALUES {{rows}} "
            "ON CONFLICT (key) DO NOTHING"
        ),
        complete_owned=sql(  # a join on the primary key: `(key, owner) IN (…)` scans
            f"UPDATE {records} SET owner = NULL, lease_expires_at = NULL, result = ?, "
            "expires_at = ? FROM (VALUES {rows}) AS owned "
            f"WHERE {records}.key = owned.column1 AND {records}.owner = owned.column2 "
            f"AND {records}.result IS NULL"
        ),
        # The condition is repeated outside the subquery: PostgreSQL checks it again on a row
        # changed meanwhile, so a nonce or key used again since is not deleted.
        prune_nonces=sql(
            f"DELETE FROM {nonces} WHERE nonce IN (SELECT nonce FROM {nonces} "
            f"WHERE expires_at <= ? LIMIT {PRUNE_LIMIT}) AND expires_at <= ?"
        ),
        prune_records=sql(
            f"DELETE FROM {records} WHERE key IN (SELECT key FROM {records} "
            f"WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT {PRUNE_LIMIT}) "
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
    # Batches as a few multi-row statements instead of a few per item, when every item is
    # new (see `_claim_bulk`). Only where a transaction holds a database-wide write lock
    # (SQLite): there, statement order cannot deadlock concurrent batches, and a savepoint
    # undoes a bulk attempt cheaply; elsewhere rows are locked one by one in a fixed order.
    bulk_batches = False

    def __init__(self, namespace: str, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._namespace = namespace
        self._sql = _statements(namespace, self.placeholder, self.lock_clause, self.table_options)
        self._owners = OwnerIds()
        self._writes = 0

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[Tx]:
        """One transaction holding the write lock; driver errors → StoreUnavailableError."""

    @abc.abstractmethod
    def _change(self, sql: str, params: Sequence[Any]) -> int:
        """One autocommit statement; its row count. Driver errors → StoreUnavailableError."""

    @abc.abstractmethod
    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """One autocommit query; its rows. Driver errors → StoreUnavailableError."""

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

    def _maybe_prune(self, now: float, writes: int = 1) -> None:
        before, self._writes = self._writes, self._writes + writes
        if before // PRUNE_EVERY != self._writes // PRUNE_EVERY:
            self._change(self._sql.prune_nonces, (now, now))
            self._change(self._sql.prune_records, (now, now))

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        owner = self._owners.next()
        now = self._clock()
        if self.read_before_insert:
            claim = self._claim_without_writing(key, fingerprint, owner, now, lease_seconds)
            if claim is not None:
                return claim
        fresh = (key, fingerprint, owner, now + lease_seconds, *_NO_DATA)
        if self._change(self._sql.insert, fresh):
            return Claim(ClaimState.NEW, key, owner=owner)
        claim = self._claim_without_writing(key, fingerprint, owner, now, lease_seconds)
        if claim is not None:
            return claim
        with self._transaction() as tx:  # the claim must write over an existing row
            return self._claim_in(tx, key, fingerprint, owner, self._clock(), lease_seconds)

    def _claim_without_writing(
        self, key: str, fingerprint: str, owner: str, now: float, lease: float
    ) -> Claim | None:
        """Completed, in progress or mismatch, decided from a plain read (no write lock).

        None when the key is absent or the claim must write (takeover, retention over).
        """
        rows = self._query(self._sql.select, (key,))
        if not rows:
            return None
        decision = decide_claim(record_from_row(rows[0]), key, fingerprint, owner, now, lease)
        return decision.claim if decision.record is None else None

    def _claim_in(
        self, tx: Tx, key: str, fingerprint: str, owner: str, now: float, lease: float
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

    def claim_many(self, claims: Sequence[NonceClaim]) -> list[Claim | None]:
        if not claims:
            return []
        with self._transaction() as tx:
            now = self._clock()
            claimed = self._claim_bulk(tx, claims, now) if self.bulk_batches else None
            if claimed is None:
                claimed = self._claim_in_order(tx, claims, now)
        self._maybe_prune(now, len(claims))
        return claimed

    def _claim_in_order(
        self, tx: Tx, claims: Sequence[NonceClaim], now: float
    ) -> list[Claim | None]:
        """The nonces in nonce order, then the claims in key order, one row at a time.

        Concurrent batches lock rows in the same order, so they cannot deadlock
        (PostgreSQL); the stable sorts keep the batch's own order among equal nonces and
        keys, which is all that decides the outcome of in-order application.
        """
        claimed: list[Claim | None] = [None] * len(claims)
        accepted = [
            i
            for i in sorted(range(len(claims)), key=lambda i: claims[i].nonce)
            if tx.count(
                self._sql.add_nonce, (claims[i].nonce, now + claims[i].nonce_ttl_seconds, now)
            )
        ]
        for i in sorted(accepted, key=lambda i: claims[i].key):
            c = claims[i]
            owner = self._owners.next()
            claimed[i] = self._claim_in(tx, c.key, c.fingerprint, owner, now, c.lease_seconds)
        return claimed

    def _claim_bulk(
        self, tx: Tx, claims: Sequence[NonceClaim], now: float
    ) -> list[Claim | None] | None:
        """The common batch, every nonce and key new, in two statements; else None.

        Row counts tell: every nonce row written (none live) and every key inserted (none
        stored) means each item is a new claim. Anything else (a replay, a redelivery, a
        nonce or key repeated in the batch) is undone to the savepoint, and the caller
        applies the items one by one. No `RETURNING`: each returned row is one more step
        of the SQLite library, and each step hands the GIL over.
        """
        nonces = [(c.nonce, now + c.nonce_ttl_seconds) for c in claims]
        owners = [self._owners.next() for _ in claims]
        fresh = [
            (c.key, c.fingerprint, owner, now + c.lease_seconds)
            for c, owner in zip(claims, owners, strict=True)
        ]
        applied = self._all_or_nothing(
            tx,
            [
                (self._sql.add_nonces, 2, nonces, (), (now,)),
                (self._sql.insert_fresh, 4, fresh, (), ()),
            ],
        )
        if not applied:
            return None
        return [Claim(ClaimState.NEW, c.key, owner=o) for c, o in zip(claims, owners, strict=True)]

    def _all_or_nothing(self, tx: Tx, statements: Sequence[_BulkStatement]) -> bool:
        """Run multi-row statements in a savepoint; keep them only if each changed every row."""
        tx.count("SAVEPOINT bulk", ())
        for template, width, rows, head, tail in statements:
            if self._bulk(tx, template, width, rows, head=head, tail=tail) != len(rows):
                tx.count("ROLLBACK TO bulk", ())
                tx.count("RELEASE bulk", ())
                return False
        tx.count("RELEASE bulk", ())
        return True

    def _bulk(
        self,
        tx: Tx,
        template: str,
        width: int,
        rows: Sequence[tuple[Any, ...]],
        *,
        head: tuple[Any, ...] = (),
        tail: tuple[Any, ...] = (),
    ) -> int:
        """Run a multi-row statement over `rows` in chunks; the rows it changed."""
        changed = 0
        for start in range(0, len(rows), _BULK_ROWS):
            chunk = rows[start : start + _BULK_ROWS]
            sql = _with_rows(template, width, len(chunk), self.placeholder)
            changed += tx.count(sql, [*head, *(value for row in chunk for value in row), *tail])
        return changed

    def finish_many(self, finishes: Sequence[Finish]) -> list[bool]:
        if not finishes:
            return []
        with self._transaction() as tx:
            now = self._clock()
            if self.bulk_batches and self._complete_bulk(tx, finishes, now):
                done = [True] * len(finishes)
            else:  # one by one, rows changed in key order (see `_claim_in_order`)
                done = [False] * len(finishes)
                for i in sorted(range(len(finishes)), key=lambda i: finishes[i].key):
                    done[i] = self._finish_in(tx, finishes[i], now)
        self._maybe_prune(now, len(finishes))
        return done

    def _complete_bulk(self, tx: Tx, finishes: Sequence[Finish], now: float) -> bool:
        """The common batch, every lease completed and still held: one statement per
        distinct result and TTL. False (nothing changed) when any item is a release, a
        key repeats, or a lease was lost: the caller then goes one by one.
        """
        if any(f.result is None for f in finishes) or len({f.key for f in finishes}) < len(
            finishes
        ):
            return False
        groups: dict[tuple[str, float], list[tuple[str, str]]] = {}
        texts: dict[int, str] = {}  # one encoding per result object of this batch
        for f in finishes:
            if id(f.result) not in texts:
                texts[id(f.result)] = str(dump_json(f.result))
            groups.setdefault((texts[id(f.result)], f.ttl_seconds), []).append((f.key, f.owner))
        return self._all_or_nothing(
            tx,
            [
                (self._sql.complete_owned, 2, owned, (text, now + ttl), ())
                for (text, ttl), owned in groups.items()
            ],
        )

    def _finish_in(self, tx: Tx, finish: Finish, now: float) -> bool:
        sql, owned = self._sql, (finish.key, finish.owner)
        if finish.result is not None:
            params = (dump_json(finish.result), now + finish.ttl_seconds, *owned)
            return bool(tx.count(sql.complete, params))
        return bool(tx.count(sql.release_forget, owned) or tx.count(sql.release_keep, owned))

    def _owned_change(self, sql: str, params: Sequence[Any], key: str) -> None:
        if not self._change(sql, params):
            raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        lease = self._clock() + lease_seconds
        self._owned_change(self._sql.checkpoint, (dump_json(data), lease, key, owner), key)

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        now = self._clock()
        params = (dump_json(result), now + ttl_seconds, key, owner)
        self._owned_change(self._sql.complete, params, key)
        self._maybe_prune(now)

    def release(self, key: str, owner: str) -> None:
        """Forget a key without progress; keep one with a checkpoint, without an owner."""
        if not self._change(self._sql.release_forget, (key, owner)):
            self._owned_change(self._sql.release_keep, (key, owner), key)

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        now = self._clock()
        accepted = bool(self._change(self._sql.add_nonce, (nonce, now + ttl_seconds, now)))
        self._maybe_prune(now)
        return accepted

    def get(self, key: str) -> Record | None:
        rows = self._query(self._sql.select, (key,))
        return retained(record_from_row(rows[0]) if rows else None, self._clock())

    def ping(self) -> None:
        self._query("SELECT 1", ())
