"""Row <-> Record conversion and names shared by the SQL and Redis backends."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import uuid
from typing import Any

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter.idempotency._base import JSON, MAX_TTL_SECONDS, Record

SCHEMA_VERSION = 1
DEFAULT_NAMESPACE = "g2a_idempotency"
# Lower case only: SQL folds identifiers' case (`Shop` and `shop` would share tables) while
# Redis key prefixes keep it, so a capital would mean one namespace on one backend and two
# on the other.
_NAMESPACE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")

# Column order of the records table, and of `record_row` / `record_from_row`.
RECORD_COLUMNS = (
    "key",
    "fingerprint",
    "owner",
    "lease_expires_at",
    "checkpoint",
    "result",
    "expires_at",
)


def checked_namespace(backend: str, namespace: str) -> str:
    """Namespaces become table names and key prefixes: lower-case identifiers only."""
    if not _NAMESPACE.fullmatch(namespace):
        raise StoreUnavailableError(
            backend,
            f"namespace {namespace!r} must be a lower-case identifier"
            " (a-z, 0-9 and _, not starting with a digit, at most 41 characters)",
        )
    return namespace


def lease_holder(owner: str | None) -> str:
    """Who holds a lease, for messages: `host/pid` of its owner id (never the fencing token)."""
    if not owner or owner.count("/") < 2:
        return "another caller"
    host, pid, _ = owner.split("/", 2)
    return f"{host} pid {pid}"


class OwnerIds:
    """Lease owner ids: `host/pid/` + a random per-store part and a counter.

    Unique across processes, forked ones included (a child starts a series of its own, or it
    would repeat its parent's ids and pass its fencing); the host and pid tell an operator who
    holds a key. Cheaper than a `uuid4` per claim on the hot claim path.
    """

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count(1)

    def next(self) -> str:
        if os.getpid() != self._pid:  # new, or a forked copy
            self._pid = os.getpid()
            self._prefix = f"{socket.gethostname()}/{self._pid}/{uuid.uuid4().hex}"
            self._counter = itertools.count(1)
        return f"{self._prefix}-{next(self._counter)}"


_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)  # built once: reused


def dump_json(value: JSON | None) -> str | None:
    return None if value is None else _ENCODER.encode(value)


MAX_KEY_BYTES = 2048  # under PostgreSQL's limit for one b-tree index entry (2704 bytes)


def check_seconds(name: str, seconds: float) -> None:
    """Refuse, before anything is written, a lease or retention every backend would not keep
    alike: it must be positive, finite and at most `MAX_TTL_SECONDS` (NaN fails it too)."""
    if not 0 < seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"{name} must be more than 0 and at most {MAX_TTL_SECONDS:g} seconds")


def check_key(key: str, fingerprint: str = "") -> None:
    """Refuse, before anything is written, a key (or nonce) every backend would not keep alike:
    over MAX_KEY_BYTES of UTF-8 (PostgreSQL's index refuses it), not UTF-8, or holding NUL
    (PostgreSQL's text refuses it), as in the fingerprint. PostgreSQL answered those with
    `StoreUnavailableError`, which a receiver turns into a 503 retried for good."""
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("an idempotency key must be UTF-8 text (no lone surrogate)") from None
    if size > MAX_KEY_BYTES or "\x00" in key or "\x00" in fingerprint:
        raise ValueError(
            f"an idempotency key must be at most {MAX_KEY_BYTES} bytes of UTF-8, and it and "
            "its fingerprint free of NUL"
        )


def dump_object(value: JSON) -> str:
    """A checkpoint or result to keep: a JSON object. Anything else is refused before it is
    written (a list made every later read of the key fail; None read as unfinished work, so
    the work ran again)."""
    if not isinstance(value, dict):
        raise TypeError(f"a checkpoint or result must be a dict, not {type(value).__name__}")
    return _ENCODER.encode(value)


def load_json(text: str | None) -> JSON | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("stored checkpoint/result is not a JSON object")
    return value


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def record_row(record: Record) -> tuple[Any, ...]:
    return (
        record.key,
        record.fingerprint,
        record.owner,
        record.lease_expires_at,
        dump_json(record.checkpoint),
        dump_json(record.result),
        record.expires_at,
    )


def record_from_row(row: tuple[Any, ...] | list[Any]) -> Record:
    key, fingerprint, owner, lease, checkpoint, result, expires = row
    return Record(
        key=str(key),
        fingerprint=str(fingerprint),
        owner=None if owner is None else str(owner),
        lease_expires_at=_float(lease),
        checkpoint=load_json(checkpoint),
        result=load_json(result),
        expires_at=_float(expires),
    )


def retained(record: Record | None, now: float) -> Record | None:
    """The record as readers see it: None once its retention is over."""
    if record is None or (record.expires_at is not None and record.expires_at <= now):
        return None
    return record
