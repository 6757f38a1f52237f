"""One store fixture, parametrized over every backend, each test in its own namespace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _store_fixtures import Backend, FakeClock

from g2a_adapter.idempotency import IdempotencyStore


def _drop_postgres(url: str, namespace: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # Every table of the namespace: the store's and the ones tests add (`_effects`).
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
            (namespace.replace("_", "\\_") + "\\_%",),
        ).fetchall()
        for (table,) in tables:
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')  # type: ignore[arg-type]


def _drop_redis(url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


SHARED_BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
ALL_BACKENDS = ["memory", *SHARED_BACKENDS]
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
UNGROUPED_BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name = request.param
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    clock = FakeClock()
    if name == "memory":
        url = "memory://"
    elif name == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    elif name == "redis":
        url = request.getfixturevalue("redis_url")
    else:
        url = request.getfixturevalue("postgres_url")
    backend = Backend(name, url, namespace, clock, shared=name != "memory")
    try:
        yield backend
    finally:
        backend.close_all()
        if name == "redis":
            _drop_redis(url, namespace)
        elif name == "postgres":
            _drop_postgres(url, namespace)


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request, tmp_path)


@pytest.fixture(params=SHARED_BACKENDS)
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request, tmp_path)


@pytest.fixture
def store(backend: Backend) -> IdempotencyStore:
    return backend.open()


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request, tmp_path)


@pytest.fixture(params=UNGROUPED_BACKENDS)
def ungrouped_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The backends that write each operation on its own (no `GroupedWrites`)."""
    yield from _backend(request, tmp_path)
