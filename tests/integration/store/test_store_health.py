"""`/healthz` of a store that stopped answering: the body names the backend and the class of
its driver's error, never the driver's text (hosts, ports, paths); the whole text, masked, is
logged at WARNING. Neither ever shows the password of the store's URL."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from _freezable_proxy import FreezableProxy
from _store_fixtures import Backend

from g2a_adapter.idempotency import IdempotencyStore, SqliteStore, open_store
from g2a_adapter.receiver import HealthChecker, store_check

PASSWORD = "s3cr3t-Pa55w0rd"
GENEROUS_SECONDS = 10.0  # a refused connection fails at once; this only bounds a hang
CHECK_FAILED = "g2a.health.check_failed check=store error="
on_server_backends = pytest.mark.parametrize(
    ("shared_backend", "driver_error"),
    [
        pytest.param("redis", "ConnectionError", marks=pytest.mark.redis),
        pytest.param("postgres", "OperationalError", marks=pytest.mark.postgres),
    ],
    indirect=["shared_backend"],
)


@contextlib.contextmanager
def _redis_user(url: str) -> Iterator[str]:
    """A Redis user whose password is `PASSWORD` (the server's default user has none)."""
    import redis

    name = f"g2a-health-{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(url)
    try:
        admin.acl_setuser(
            name, enabled=True, passwords=[f"+{PASSWORD}"], keys=["*"], commands=["+@all"]
        )
        yield name
    finally:
        admin.acl_deluser(name)
        admin.close()


def _with_password(url: str, user: str, port: int) -> str:
    """`url` logging in as `user` with `PASSWORD`, through 127.0.0.1:`port`."""
    return urlsplit(url)._replace(netloc=f"{user}:{PASSWORD}@127.0.0.1:{port}").geturl()


@contextlib.contextmanager
def _store_behind_a_proxy(backend: Backend) -> Iterator[tuple[IdempotencyStore, FreezableProxy]]:
    """A store whose URL holds a password, reaching its server through a proxy the test
    closes (the server then refuses connections)."""
    proxy = FreezableProxy(urlsplit(backend.url).port or 0)
    with contextlib.ExitStack() as stack:
        stack.callback(proxy.close)
        if backend.name == "redis":
            user = stack.enter_context(_redis_user(backend.url))
        else:
            user = urlsplit(backend.url).username or ""  # trust: the password is not asked
        store = open_store(
            _with_password(backend.url, user, proxy.port), namespace=backend.namespace
        )
        stack.callback(store.close)
        yield store, proxy


def _store_health(store: IdempotencyStore) -> dict[str, Any]:
    """The body of `/healthz` for this store, but its latency (a float)."""
    body = HealthChecker({"store": store_check(store)}, GENEROUS_SECONDS).run().as_json()
    assert isinstance(body["checks"]["store"].pop("latency_ms"), float)
    return body


def _failed(error: str) -> dict[str, Any]:
    return {
        "status": "fail",
        "failed": ["store"],
        "checks": {"store": {"status": "fail", "error": error}},
    }


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith(CHECK_FAILED)
    ]


@on_server_backends
def test_a_store_refusing_connections_fails_health_naming_its_drivers_error_class(
    shared_backend: Backend, driver_error: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The body held the driver's text, naming the server's host and port, to whoever can
    reach `/healthz`."""
    with _store_behind_a_proxy(shared_backend) as (store, proxy):
        assert _store_health(store)["status"] == "ok"
        proxy.close()

        with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
            bodies = [_store_health(store) for _ in range(2)]  # the connection lost, then refused

    unavailable = f"idempotency store '{shared_backend.name}' unavailable: {driver_error}"
    assert bodies == [_failed(unavailable)] * 2
    logged = _logged(caplog)
    assert [line.startswith(f"{CHECK_FAILED}{unavailable}: ") for line in logged] == [True, True]
    assert f"127.0.0.1:{proxy.port}" in logged[1].replace('", port ', ":")  # psycopg's spelling
    assert "refused" in logged[1]
    assert PASSWORD not in "".join(logged) + repr(bodies)


def test_a_sqlite_store_failing_health_does_not_show_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "store.sqlite3"
    store = SqliteStore(str(path))
    try:
        store._change("PRAGMA query_only = ON", ())  # writes refused, as on a read-only disk
        with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
            body = _store_health(store)
    finally:
        store.close()

    unavailable = "idempotency store 'sqlite' unavailable"
    assert body == _failed(f"{unavailable}: OperationalError")
    assert _logged(caplog) == [
        f"{CHECK_FAILED}{unavailable}: {str(path)!r}: attempt to write a readonly database"
    ]
