"""Idempotency store throughput vs. the bare database operations it builds on.

- SQLite: `claim` + `complete` of fresh keys vs. a bare `INSERT` + `UPDATE` (autocommit)
  on a table in the same WAL database file.
- Redis: `claim` + `complete` (two Lua scripts) vs. bare pipelines `SET NX` + `SET` (each a
  round trip), on the same server. Skipped (no ratio) when Redis is not reachable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks._core import Ratio, alternating_median
from g2a_adapter.errors import StoreUnavailableError
from g2a_adapter.idempotency import open_store

TARGET = 0.6
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def _store_rate(url: str, namespace: str, n: int) -> float:
    store = open_store(url, namespace=namespace)
    try:
        prefix = uuid.uuid4().hex
        started = time.perf_counter()
        for i in range(n):
            claim = store.claim(f"{prefix}-{i}", "fp", 30.0)
            store.complete(f"{prefix}-{i}", claim.owner or "", {"ok": True}, 3600.0)
        return n / (time.perf_counter() - started)
    finally:
        store.close()


def _sqlite_bare_rate(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS bare (key TEXT PRIMARY KEY, result TEXT)")
        prefix = uuid.uuid4().hex
        started = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO bare (key) VALUES (?)", (f"{prefix}-{i}",))
            conn.execute(
                "UPDATE bare SET result = ? WHERE key = ?", ('{"ok":true}', f"{prefix}-{i}")
            )
        return n / (time.perf_counter() - started)
    finally:
        conn.close()


def _redis_bare_rate(n: int, namespace: str) -> float:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        prefix = f"{namespace}:bare:{uuid.uuid4().hex}"
        started = time.perf_counter()
        for i in range(n):
            pipe = client.pipeline(transaction=False)
            pipe.set(f"{prefix}-{i}", "claimed", nx=True)
            pipe.execute()
            pipe = client.pipeline(transaction=False)
            pipe.set(f"{prefix}-{i}", '{"ok":true}', ex=3600)
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


def run(quick: bool) -> list[Ratio]:
    n, rounds = (300, 3) if quick else (2_000, 7)
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        figure, baseline = alternating_median(
            lambda: _store_rate(f"sqlite:///{path}", "bench", n),
            lambda: _sqlite_bare_rate(path, n),
            rounds,
        )
        ratios.append(
            Ratio(
                "sqlite claim+complete",
                figure,
                baseline,
                "ops/s",
                TARGET,
                True,
                "baseline: bare INSERT + UPDATE in the same WAL database",
            )
        )
    namespace = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        figure, baseline = alternating_median(
            lambda: _store_rate(REDIS_URL, namespace, n),
            lambda: _redis_bare_rate(n, namespace),
            rounds,
        )
        ratios.append(
            Ratio(
                "redis claim+complete",
                figure,
                baseline,
                "ops/s",
                TARGET,
                True,
                "baseline: bare SET NX + SET pipelines, one round trip each",
            )
        )
    except StoreUnavailableError as exc:
        print(f"redis benchmark skipped: {exc}", file=sys.stderr)
    finally:
        try:
            _drop_redis(namespace)
        except Exception as exc:
            print(f"redis cleanup skipped: {type(exc).__name__}", file=sys.stderr)
    return ratios


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
