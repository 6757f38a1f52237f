"""The idempotency store port: one protocol, interchangeable backends.

A *record* is keyed by the caller's idempotency key (or a webhook event id) and holds the
fingerprint of the payload that claimed it, the owner of its lease, an optional checkpoint
(progress of a multi-step operation) and, once completed, the stored result.

The state transitions are decided here, by `decide_claim`, a pure function; backends only
store records atomically and call it (or implement the same rules in one atomic server-side
step, e.g. a Redis Lua script or a PostgreSQL transaction with a row lock).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

JSON = dict[str, Any]
# The longest lease, retention or TTL a store is asked to hold: ten years, which every backend
# holds (Redis counts it in 64-bit milliseconds).
MAX_TTL_SECONDS = 10 * 366 * 24 * 3600.0


class ClaimState(enum.Enum):
    NEW = "new"  # the caller owns the lease now (fresh, or taken over from an expired lease)
    IN_PROGRESS = "in_progress"  # someone else holds a live lease
    COMPLETED = "completed"  # done before: `result` holds the stored result
    MISMATCH = "mismatch"  # same key, other payload fingerprint


@dataclass(frozen=True)
class Record:
    key: str
    fingerprint: str
    owner: str | None  # lease holder; None once completed or released
    lease_expires_at: float | None
    checkpoint: JSON | None = None
    result: JSON | None = None
    expires_at: float | None = None  # retention of a completed record

    @property
    def completed(self) -> bool:
        return self.result is not None


class Claim(NamedTuple):
    """The outcome of a claim (a named tuple: one is built per claim, on the hot path)."""

    state: ClaimState
    key: str
    owner: str | None = None  # set when state is NEW: pass it to checkpoint/complete/release
    checkpoint: JSON | None = None  # progress left by an earlier owner (resume from here)
    result: JSON | None = None  # set when state is COMPLETED
    taken_over: bool = False


@dataclass(frozen=True)
class ClaimDecision:
    claim: Claim
    record: Record | None = field(default=None)  # the record to write, None = leave as is


def decide_claim(
    existing: Record | None,
    key: str,
    fingerprint: str,
    owner: str,
    now: float,
    lease_seconds: float,
) -> ClaimDecision:
    """Apply the claim rules to what is stored now; pure, shared by every backend."""
    if existing is not None and existing.expires_at is not None and existing.expires_at <= now:
        existing = None  # retention over: as if never seen
    if existing is None:
        record = Record(key, fingerprint, owner, now + lease_seconds)
        return ClaimDecision(Claim(ClaimState.NEW, key, owner=owner), record)
    if existing.fingerprint != fingerprint:
        return ClaimDecision(Claim(ClaimState.MISMATCH, key))
    if existing.completed:
        return ClaimDecision(Claim(ClaimState.COMPLETED, key, result=existing.result))
    lease_live = existing.owner is not None and (existing.lease_expires_at or 0.0) > now
    if lease_live:
        return ClaimDecision(Claim(ClaimState.IN_PROGRESS, key))
    record = Record(key, fingerprint, owner, now + lease_seconds, checkpoint=existing.checkpoint)
    claim = Claim(ClaimState.NEW, key, owner=owner, checkpoint=existing.checkpoint, taken_over=True)
    return ClaimDecision(claim, record)


@runtime_checkable
class IdempotencyStore(Protocol):
    """Synchronous store port; every backend passes the shared store contract suite
    (`tests/integration/store/test_store_contract.py`)."""

    backend: str

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        """Claim `key` (at most 2048 bytes of UTF-8, no NUL in it or `fingerprint`:
        ValueError otherwise, on every backend)."""

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        """Save progress (a dict: TypeError otherwise) and extend the lease; raises
        LeaseLostError if not the owner."""

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        """Extend the lease only (a heartbeat); raises LeaseLostError if not the owner."""

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        """Store the result (a dict: TypeError otherwise) for `ttl_seconds`; raises
        LeaseLostError if not the owner."""

    def release(self, key: str, owner: str) -> None:
        """Give the lease up after a failure; the checkpoint (if any) is kept for resume."""

    def get(self, key: str) -> Record | None: ...

    def ping(self) -> None:
        """Raise StoreUnavailableError if the backend cannot be reached."""

    def close(self) -> None: ...
