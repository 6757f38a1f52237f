"""Idempotency store throughput vs. the bare database operations it builds on.

    python -m benchmarks.bench_store [--quick]

The figure is "claim+complete per second": `claim` of a fresh key then `complete` of it
through `open_store(url)`, one pair per key, on one connection.
- SQLite: vs. a bare `INSERT` + `UPDATE` (autocommit) on a table in the same WAL file.
- Redis: vs. bare pipelines `SET NX` + `SET` (one round trip each) on the same server.
- PostgreSQL: vs. a bare `INSERT` + `UPDATE` (autocommit) on a table in the same database.
A server that is not reachable is skipped (no ratio) with a note on stderr.
"""

# Table names are generated here (a random namespace), never taken from input.
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks._core import Measured, Ratio, alternating_median
from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import open_store

TARGET = 0.6
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RESULT = {"ok": True}
RESULT_JSON = '{"ok":true}'


def _store_rate(url: str, namespace: str, n: int) -> float:
    store = open_store(url, namespace=namespace)
    try:
        keys = [f"{uuid.uuid4().hex}-{i}" for i in range(n)]
        started = time.perf_counter()
        for key in keys:
            claim = store.claim(key, "fp", 30.0)
            store.complete(key, claim.owner or "", RESULT, 3600.0)
        return n / (time.perf_counter() - started)
    finally:
        store.close()


def _sqlite_bare_rate(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS bare (key TEXT PRIMARY KEY, result TEXT)")
        keys = [f"{uuid.uuid4().hex}-{i}" for i in range(n)]
        started = time.perf_counter()
        for key in keys:
            conn.execute("INSERT INTO bare (key) VALUES (?)", (key,))
            conn.execute("UPDATE bare SET result = ? WHERE key = ?", (RESULT_JSON, key))
        return n / (time.perf_counter() - started)
    finally:
        conn.close()


def _postgres_bare_rate(table: str, n: int) -> float:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, result TEXT)")
        insert = f"INSERT INTO {table} (key) VALUES (%s)"
        update = f"UPDATE {table} SET result = %s WHERE key = %s"
        keys = [f"{uuid.uuid4().hex}-{i}" for i in range(n)]
        started = time.perf_counter()
        for key in keys:
            conn.execute(insert, (key,), prepare=True)
            conn.execute(update, (RESULT_JSON, key), prepare=True)
        return n / (time.perf_counter() - started)


def _redis_bare_rate(namespace: str, n: int) -> float:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [f"{namespace}:bare:{uuid.uuid4().hex}-{i}" for i in range(n)]
        started = time.perf_counter()
        for key in keys:
            pipe = client.pipeline(transaction=False)
            pipe.set(key, "claimed", nx=True)
            pipe.execute()
            pipe = client.pipeline(transaction=False)
            pipe.set(key, RESULT_JSON, ex=3600)
            pipe.execute()
        return n / (time.perf_counter() - started)
    finally:
        client.close()


def _drop_redis(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _drop_postgres(namespace: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for table in ("records", "nonces", "schema", "bare"):
            conn.execute(f"DROP TABLE IF EXISTS {namespace}_{table}")


def _ratio(name: str, measured: Measured, baseline_note: str) -> Ratio:
    return Ratio(
        name, measured.figure, measured.baseline, "claim+complete/s", TARGET, True,
        baseline_note, measured.spread,
    )  # fmt: skip


def _server(name: str, run: Callable[[], Ratio], cleanup: Callable[[], None]) -> list[Ratio]:
    try:
        return [run()]
    except (StoreUnavailableError, OSError) as exc:
        print(f"{name} benchmark skipped: {exc}", file=sys.stderr)
        return []
    finally:
        try:
            cleanup()
        except Exception as exc:
            print(f"{name} cleanup skipped: {type(exc).__name__}", file=sys.stderr)


def run(quick: bool) -> list[Ratio]:
    n, rounds = (2_000, 5) if quick else (10_000, 7)
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        measured = alternating_median(
            lambda: _store_rate(f"sqlite:///{path}", "bench", n),
            lambda: _sqlite_bare_rate(path, n),
            rounds,
        )
        ratios.append(
            _ratio(
                "sqlite claim+complete", measured, "baseline: bare INSERT + UPDATE, same WAL file"
            )
        )
    namespace = f"bench_{uuid.uuid4().hex[:8]}"
    ratios += _server(
        "redis",
        lambda: _ratio(
            "redis claim+complete",
            alternating_median(
                lambda: _store_rate(REDIS_URL, namespace, n),
                lambda: _redis_bare_rate(namespace, n),
                rounds,
            ),
            "baseline: bare SET NX + SET pipelines, one round trip each",
        ),
        lambda: _drop_redis(namespace),
    )
    pg_n = n // 2  # each operation is a network round trip: fewer keeps the run short
    ratios += _server(
        "postgres",
        lambda: _ratio(
            "postgres claim+complete",
            alternating_median(
                lambda: _store_rate(POSTGRES_URL, namespace, pg_n),
                lambda: _postgres_bare_rate(f"{namespace}_bare", pg_n),
                rounds,
            ),
            "baseline: bare INSERT + UPDATE (autocommit, prepared), same database",
        ),
        lambda: _drop_postgres(namespace),
    )
    return ratios


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
