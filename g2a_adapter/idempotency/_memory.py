"""In-process store: for tests and single-process tools. Thread-safe, not shared.

Stored checkpoints and results are deep copies, and so is what a claim or a read hands out
(other backends serialize them): a caller changing a dict, at any depth, never changes a
record. A closed store refuses every call, as the other backends do.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from g2a_adapter._errors import LeaseLostError, StoreUnavailableError
from g2a_adapter.idempotency._base import JSON, Claim, Record, decide_claim
from g2a_adapter.idempotency._codec import (
    OwnerIds,
    check_key,
    check_seconds,
    dump_json,
    dump_object,
    load_json,
    retained,
)

_PRUNE_FLOOR = 1000  # sweep expired nonces when the set doubled since the last sweep


def _kept(value: JSON) -> JSON:
    """A copy of a checkpoint or result to keep, refused as the other backends refuse it."""
    copy: JSON = json.loads(dump_object(value))
    return copy


def _copy(value: JSON | None) -> JSON | None:
    """What a serializing backend would give back: a deep copy, JSON types only."""
    return load_json(dump_json(value))


class MemoryStore:
    """An `IdempotencyStore` and `ReplayGuard` in this process's memory."""

    backend = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._records: dict[str, Record] = {}
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()
        self._prune_at = _PRUNE_FLOOR
        self._owners = OwnerIds()
        self._closed = False

    def _live(self) -> None:
        if self._closed:
            raise StoreUnavailableError(self.backend, "the store was closed")

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        check_seconds("lease_seconds", lease_seconds)
        check_key(key, fingerprint)
        with self._lock:
            self._live()
            decision = decide_claim(
                self._records.get(key),
                key,
                fingerprint,
                self._owners.next(),
                self._clock(),
                lease_seconds,
            )
            if decision.record is not None:
                self._records[key] = decision.record
            claim = decision.claim
            return claim._replace(checkpoint=_copy(claim.checkpoint), result=_copy(claim.result))

    def _owned(self, key: str, owner: str) -> Record:
        self._live()
        record = self._records.get(key)
        if record is None or record.owner != owner or record.completed:
            raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")
        return record

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        with self._lock:
            record = self._owned(key, owner)
            lease = self._clock() + lease_seconds
            self._records[key] = replace(record, checkpoint=_kept(data), lease_expires_at=lease)

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        with self._lock:
            record = self._owned(key, owner)
            self._records[key] = replace(record, lease_expires_at=self._clock() + lease_seconds)

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        check_seconds("ttl_seconds", ttl_seconds)
        with self._lock:
            record = self._owned(key, owner)
            expires_at = self._clock() + ttl_seconds
            self._records[key] = Record(
                key, record.fingerprint, None, None, record.checkpoint, _kept(result), expires_at
            )

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            record = self._owned(key, owner)
            if record.checkpoint is None:
                del self._records[key]
            else:
                self._records[key] = replace(record, owner=None, lease_expires_at=None)

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        check_seconds("ttl_seconds", ttl_seconds)
        check_key(nonce)
        now = self._clock()
        with self._lock:
            self._live()
            if self._nonces.get(nonce, 0.0) > now:
                return False
            self._nonces[nonce] = now + ttl_seconds
            if len(self._nonces) >= self._prune_at:
                self._prune_nonces(now)
            return True

    def _prune_nonces(self, now: float) -> None:
        self._nonces = {n: t for n, t in self._nonces.items() if t > now}
        self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._nonces))

    def get(self, key: str) -> Record | None:
        with self._lock:
            self._live()
            record = retained(self._records.get(key), self._clock())
        if record is None:
            return None
        return replace(record, checkpoint=_copy(record.checkpoint), result=_copy(record.result))

    def ping(self) -> None:
        with self._lock:
            self._live()

    def close(self) -> None:
        with self._lock:
            self._closed = True
