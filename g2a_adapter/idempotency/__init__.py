"""Idempotency: the store port and its backends (chosen by URL, `G2A_IDEMPOTENCY_URL`), the
replay guard port the same backends implement, grouped writes (SQL stores), and the
exactly-once engine."""

from __future__ import annotations

import time
from collections.abc import Callable

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._masking import SecretMasker
from g2a_adapter.idempotency._base import (
    JSON,
    Claim,
    ClaimDecision,
    ClaimState,
    IdempotencyStore,
    Record,
    decide_claim,
)
from g2a_adapter.idempotency._groups import GroupedWrites, write_group
from g2a_adapter.idempotency._memory import MemoryStore
from g2a_adapter.idempotency._once import ProcessOnce, ProcessOnceInTransaction
from g2a_adapter.idempotency._replay import ReplayGuard, replay_guard_of
from g2a_adapter.idempotency._sql import SqlStore, SqlTransaction
from g2a_adapter.idempotency._sqlite import SqliteStore
from g2a_adapter.idempotency._url import StoreUrl, missing_driver, parse_store_url

__all__ = [
    "JSON",
    "Claim",
    "ClaimDecision",
    "ClaimState",
    "GroupedWrites",
    "IdempotencyStore",
    "MemoryStore",
    "ProcessOnce",
    "ProcessOnceInTransaction",
    "Record",
    "ReplayGuard",
    "SqlStore",
    "SqlTransaction",
    "SqliteStore",
    "StoreUrl",
    "decide_claim",
    "open_store",
    "parse_store_url",
    "replay_guard_of",
    "write_group",
]


def _wall_clock() -> float:
    return time.time()  # looked up at call time, so freezegun and monkeypatching apply


def open_store(
    url: str, *, clock: Callable[[], float] | None = None, namespace: str | None = None
) -> IdempotencyStore:
    """Open the backend `url` names; creates its schema on first use.

    `namespace` (or `?namespace=` in the URL) prefixes table names / keys, so several
    applications or test runs can share one server. Leases and expiries are timed by `clock`
    when one is given (tests move time with it); by default by this host's clock for memory
    and SQLite, and by the server's clock for Redis and PostgreSQL, which hosts share. Bad
    URLs and unreachable servers raise `StoreUnavailableError` naming the backend, never a
    password; a backend whose extra is not installed, `ModuleNotFoundError` naming it.
    """
    spec = parse_store_url(url, namespace)
    if spec.backend == "memory":
        return MemoryStore(clock=clock or _wall_clock)
    if spec.backend == "sqlite":
        return SqliteStore(spec.target, namespace=spec.namespace, clock=clock or _wall_clock)
    try:
        if spec.backend == "redis":
            from g2a_adapter.idempotency._redis import RedisStore

            return RedisStore(spec.target, namespace=spec.namespace, clock=clock)
        from g2a_adapter.idempotency._postgres import PostgresStore

        return PostgresStore(spec.target, namespace=spec.namespace, clock=clock)
    except ImportError as exc:
        raise missing_driver(spec.backend, exc.name) from None
    except (ValueError, TypeError) as exc:  # the driver refused the URL (an unknown parameter)
        detail = SecretMasker(spec.passwords)(str(exc))
        raise StoreUnavailableError(spec.backend, f"invalid URL: {detail}") from None
