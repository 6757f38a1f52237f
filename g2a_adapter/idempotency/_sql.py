"""The SQL store core shared by SQLite and PostgreSQL.

Both dialects run the same statements (`?` placeholders rewritten per driver) in one
transaction per operation: `INSERT … ON CONFLICT DO NOTHING` for a fresh key, otherwise the
row is read under a write lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL `SELECT … FOR UPDATE`)
and `decide_claim` decides. Subclasses only provide connections and transactions.
"""

# Table names come from a validated identifier (`valid_namespace`), never from input data.
# ruff: noqa: S608

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from g2a_adapter.errors import LeaseLostError, StoreUnavailableError
from g2a_adapter.idempotency._codec import (
    RECORD_COLUMNS,
    SCHEMA_VERSION,
    new_owner,
    record_from_row,
    record_row,
    retained,
)
from g2a_adapter.idempotency.base import JSON, Claim, Record, decide_claim

Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

_CLAIM_ATTEMPTS = 5  # a row deleted between our INSERT and SELECT: try again
PRUNE_EVERY = 1000  # writes between two sweeps of expired nonces and records


@dataclass(frozen=True)
class _Statements:
    schema: tuple[str, ...]
    select_version: str
    insert_version: str
    select: str
    select_locked: str
    insert: str
    update: str
    delete: str
    add_nonce: str
    prune_nonces: str
    prune_records: str


def _statements(namespace: str, placeholder: str, lock_clause: str) -> _Statements:
    records, nonces, schema = f"{namespace}_records", f"{namespace}_nonces", f"{namespace}_schema"
    columns = ", ".join(RECORD_COLUMNS)
    marks = ", ".join("?" for _ in RECORD_COLUMNS)
    assignments = ", ".join(f"{c} = ?" for c in RECORD_COLUMNS[1:])
    select = f"SELECT {columns} FROM {records} WHERE key = ?"

    def sql(text: str) -> str:
        return text.replace("?", placeholder)

    return _Statements(
        schema=(
            f"CREATE TABLE IF NOT EXISTS {schema} (version INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {records} (key TEXT PRIMARY KEY, "
            "fingerprint TEXT NOT NULL, owner TEXT, lease_expires_at DOUBLE PRECISION, "
            "checkpoint TEXT, result TEXT, expires_at DOUBLE PRECISION)",
            f"CREATE TABLE IF NOT EXISTS {nonces} (nonce TEXT PRIMARY KEY, "
            "expires_at DOUBLE PRECISION NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {nonces}_expiry ON {nonces} (expires_at)",
            f"CREATE INDEX IF NOT EXISTS {records}_expiry ON {records} (expires_at)",
        ),
        select_version=f"SELECT version FROM {schema}",
        insert_version=sql(f"INSERT INTO {schema} (version) VALUES (?)"),
        select=sql(select),
        select_locked=sql(f"{select} {lock_clause}".strip()),
        insert=sql(
            f"INSERT INTO {records} ({columns}) VALUES ({marks}) "
            "ON CONFLICT (key) DO NOTHING RETURNING key"
        ),
        update=sql(f"UPDATE {records} SET {assignments} WHERE key = ?"),
        delete=sql(f"DELETE FROM {records} WHERE key = ?"),
        add_nonce=sql(
            f"INSERT INTO {nonces} (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) "
            f"DO UPDATE SET expires_at = excluded.expires_at WHERE {nonces}.expires_at <= ? "
            "RETURNING nonce"
        ),
        prune_nonces=sql(f"DELETE FROM {nonces} WHERE expires_at <= ?"),
        prune_records=sql(
            f"DELETE FROM {records} WHERE expires_at IS NOT NULL AND expires_at <= ?"
        ),
    )


class SqlStore(abc.ABC):
    """An `IdempotencyStore` over a SQL database; see the module docstring."""

    backend: str
    placeholder = "?"
    lock_clause = ""
    schema_lock: str | None = None  # statement serializing schema creation, if needed

    def __init__(self, namespace: str, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._namespace = namespace
        self._sql = _statements(namespace, self.placeholder, self.lock_clause)
        self._writes = 0

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[Run]:
        """One transaction holding the write lock; driver errors → StoreUnavailableError."""

    def _create_schema(self) -> None:
        with self._transaction() as run:
            if self.schema_lock is not None:
                run(self.schema_lock.replace("?", self.placeholder), (self._namespace,))
            for statement in self._sql.schema:
                run(statement, ())
            rows = run(self._sql.select_version, ())
            if not rows:
                run(self._sql.insert_version, (SCHEMA_VERSION,))
            elif int(rows[0][0]) > SCHEMA_VERSION:
                raise StoreUnavailableError(
                    self.backend,
                    f"schema version {rows[0][0]} is newer than this adapter "
                    f"(supports {SCHEMA_VERSION})",
                )

    def _write(self, run: Run, record: Record, *, exists: bool) -> None:
        row = record_row(record)
        if exists:
            run(self._sql.update, (*row[1:], record.key))
        else:
            run(self._sql.insert, row)

    def _locked(self, run: Run, key: str) -> Record | None:
        rows = run(self._sql.select_locked, (key,))
        return record_from_row(rows[0]) if rows else None

    def _owned(self, run: Run, key: str, owner: str) -> Record:
        record = self._locked(run, key)
        if record is None or record.owner != owner or record.completed:
            raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")
        return record

    def _maybe_prune(self, run: Run, now: float) -> None:
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            run(self._sql.prune_nonces, (now,))
            run(self._sql.prune_records, (now,))

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        owner = new_owner()
        with self._transaction() as run:
            now = self._clock()
            fresh = decide_claim(None, key, fingerprint, owner, now, lease_seconds)
            assert fresh.record is not None
            for _ in range(_CLAIM_ATTEMPTS):
                if run(self._sql.insert, record_row(fresh.record)):
                    return fresh.claim
                existing = self._locked(run, key)
                if existing is not None:
                    decision = decide_claim(existing, key, fingerprint, owner, now, lease_seconds)
                    if decision.record is not None:
                        self._write(run, decision.record, exists=True)
                    return decision.claim
        raise StoreUnavailableError(self.backend, f"claim on {key!r} kept racing with deletes")

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        with self._transaction() as run:
            record = self._owned(run, key, owner)
            lease = self._clock() + lease_seconds
            self._write(run, replace(record, checkpoint=data, lease_expires_at=lease), exists=True)

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        with self._transaction() as run:
            record = self._owned(run, key, owner)
            now = self._clock()
            done = replace(
                record,
                owner=None,
                lease_expires_at=None,
                result=result,
                expires_at=now + ttl_seconds,
            )
            self._write(run, done, exists=True)
            self._maybe_prune(run, now)

    def release(self, key: str, owner: str) -> None:
        with self._transaction() as run:
            record = self._owned(run, key, owner)
            if record.checkpoint is None:
                run(self._sql.delete, (key,))
            else:
                self._write(run, replace(record, owner=None, lease_expires_at=None), exists=True)

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        with self._transaction() as run:
            now = self._clock()
            accepted = bool(run(self._sql.add_nonce, (nonce, now + ttl_seconds, now)))
            self._maybe_prune(run, now)
            return accepted

    def get(self, key: str) -> Record | None:
        with self._transaction() as run:
            rows = run(self._sql.select, (key,))
            return retained(record_from_row(rows[0]) if rows else None, self._clock())

    def ping(self) -> None:
        with self._transaction() as run:
            run("SELECT 1", ())
