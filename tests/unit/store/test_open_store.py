"""open_store: URL parsing, and clear typed errors that never show a password."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from port_support import refusing_port
from psycopg.conninfo import conninfo_to_dict

from g2a_adapter import StoreUnavailableError
from g2a_adapter._url_secrets import redacted_url, url_passwords
from g2a_adapter.idempotency import (
    ClaimState,
    MemoryStore,
    SqliteStore,
    open_store,
    parse_store_url,
)


@pytest.mark.parametrize(
    ("url", "backend", "target", "namespace"),
    [
        ("memory://", "memory", "", "g2a_idempotency"),
        ("sqlite:///./g2a.sqlite3", "sqlite", "./g2a.sqlite3", "g2a_idempotency"),
        (
            "sqlite:////var/lib/g2a/db.sqlite3",
            "sqlite",
            "/var/lib/g2a/db.sqlite3",
            "g2a_idempotency",
        ),
        ("sqlite:///rel.db?namespace=shop_a", "sqlite", "rel.db", "shop_a"),
        ("redis://127.0.0.1:6379/0", "redis", "redis://127.0.0.1:6379/0", "g2a_idempotency"),
        ("rediss://h:6380/1?namespace=n1", "redis", "rediss://h:6380/1", "n1"),
        (
            "postgresql://u:pw@db:5432/app?sslmode=require&namespace=svc",
            "postgres",
            "postgresql://u:pw@db:5432/app?sslmode=require",
            "svc",
        ),
        ("postgres://db/app", "postgres", "postgres://db/app", "g2a_idempotency"),
    ],
)
def test_urls_are_parsed(url: str, backend: str, target: str, namespace: str) -> None:
    spec = parse_store_url(url)
    assert (spec.backend, spec.target, spec.namespace) == (backend, target, namespace)


def test_a_redis_unix_socket_url_is_parsed_and_shown_without_its_password() -> None:
    spec = parse_store_url("unix://:s3cr3t-pw@/run/redis/redis.sock?db=2&namespace=shop")
    assert (spec.backend, spec.target, spec.namespace) == (
        "redis",
        "unix://:s3cr3t-pw@/run/redis/redis.sock?db=2",
        "shop",
    )
    assert spec.redacted == "unix://:***@/run/redis/redis.sock?db=2&namespace=shop"
    assert "s3cr3t-pw" not in repr(spec)


def test_a_redis_store_is_built_on_the_unix_socket_its_url_names(tmp_path: Path) -> None:
    """No Redis listens on a socket here: the store goes to the socket's path (redis-py's
    `UnixDomainSocketConnection`) and says so, without the password."""
    socket_path = tmp_path / "redis.sock"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(f"unix://:s3cr3t-pw@{socket_path}?db=0&password=s3cr3t-pw")
    assert caught.value.backend == "redis"
    assert str(caught.value) == (
        "idempotency store 'redis' unavailable: ConnectionError: Error 2 connecting to "
        f"{socket_path}. No such file or directory."
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [  # the password of the client's TLS key: redis-py's `ssl_password`, libpq's `sslpassword`
        ("rediss://h:6380/0?ssl_password=k3y-s3cr3t", "rediss://h:6380/0?ssl_password=***"),
        ("postgresql://h/db?sslpassword=k3y-s3cr3t", "postgresql://h/db?sslpassword=***"),
    ],
)
def test_a_tls_key_password_in_the_query_is_masked_as_any_password(url: str, shown: str) -> None:
    assert url_passwords(url) == ["k3y-s3cr3t"]
    assert redacted_url(url) == shown
    assert parse_store_url(url).redacted == shown


def test_repr_of_a_parsed_url_hides_the_password() -> None:
    spec = parse_store_url("postgresql://app:s3cr3t-pw@db/app")
    assert "s3cr3t-pw" not in repr(spec)
    assert spec.redacted == "postgresql://app:***@db/app"


@pytest.mark.parametrize(
    ("url", "backend", "message"),
    [
        ("mysql://root:s3cr3t-pw@db/x", "unknown", "unsupported scheme 'mysql'"),
        ("/tmp/plain/path", "unknown", "unsupported scheme '(none)'"),
        ("sqlite://host/x.db", "sqlite", "is not sqlite:///relative/path"),
        ("sqlite:///", "sqlite", "takes a file's path, not an empty one"),
        ("sqlite:///?namespace=shop", "sqlite", "takes a file's path, not an empty one"),
        ("redis:///0", "redis", "names no host"),
        ("postgresql://:s3cr3t-pw@/db", "postgres", "names no host"),
        ("redis://h/0?namespace=bad-name;drop", "redis", "must be a lower-case identifier"),
        ("sqlite:///x.db?namespace=Shop_A", "sqlite", "must be a lower-case identifier"),
        ("redis://:s3cr3t-pw@h:notaport/0", "redis", "has no valid port"),
        # an empty namespace was read as the default one, another service's tables
        *(
            (url, backend, "the store refuses ?namespace=: it is empty")
            for url, backend in (
                ("postgresql://h/db?namespace=", "postgres"),
                ("redis://h/0?namespace", "redis"),
                ("redis://h/0?%6Eamespace=", "redis"),
            )
        ),
        *(
            (url, "postgres", "the store refuses ?namespace=: the URL gives it 2 times")
            for url in (
                "postgresql://h/db?namespace=shop&namespace=",
                "postgresql://h/db?namespace=shop&namespace=shop",
                "postgresql://h/db?namespace=shop&%6Eamespace=other",
            )
        ),
        # refused as the URL is read, not by the driver as the store opens
        ("redis://:s3cr3t-pw@h/0?timeout=5", "redis", "unexpected keyword argument 'timeout'"),
        ("postgresql://h/db?timeout=5", "postgres", 'invalid URI query parameter: "timeout")'),
    ],
)
def test_bad_urls_raise_a_typed_error_naming_the_backend(
    url: str, backend: str, message: str
) -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(url)
    assert caught.value.backend == backend
    assert message in str(caught.value)
    assert "s3cr3t-pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("template", "backend"),
    [
        ("redis://:s3cr3t-pw@127.0.0.1:{port}/0", "redis"),
        ("postgresql://app:s3cr3t-pw@127.0.0.1:{port}/db", "postgres"),
    ],
)
def test_unreachable_servers_fail_fast_without_the_password(template: str, backend: str) -> None:
    started = time.monotonic()
    with refusing_port() as port, pytest.raises(StoreUnavailableError) as caught:
        open_store(template.format(port=port))
    assert caught.value.backend == backend
    assert str(caught.value).startswith(f"idempotency store '{backend}' unavailable: ")
    assert "s3cr3t-pw" not in str(caught.value)
    assert caught.value.__cause__ is None  # the driver's exception (and its URL) is dropped
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("namespace", ["Shop", "shop;drop table x", "1shop", "s" * 42, ""])
def test_a_store_built_directly_checks_its_namespace_too(tmp_path: Path, namespace: str) -> None:
    # Tables and key prefixes are named after it; SQL folds case where Redis keeps it.
    with pytest.raises(StoreUnavailableError, match="must be a lower-case identifier"):
        SqliteStore(str(tmp_path / "db.sqlite3"), namespace=namespace)
    assert not (tmp_path / "db.sqlite3").exists()
    from g2a_adapter.idempotency._redis import RedisStore  # builds without connecting

    with pytest.raises(StoreUnavailableError, match="must be a lower-case identifier"):
        RedisStore("redis://127.0.0.1:6379/0", namespace=namespace)


def test_a_sqlite_store_built_directly_refuses_the_empty_path_as_open_store_does() -> None:
    """SQLite reads an empty path as a temporary database of each connection: a store that
    would keep nothing, and share nothing with other processes."""
    with pytest.raises(StoreUnavailableError) as built:
        SqliteStore("")
    with pytest.raises(StoreUnavailableError) as opened:
        open_store("sqlite:///")
    assert (
        str(built.value)
        == str(opened.value)
        == (
            "idempotency store 'sqlite' unavailable: the SQLite store takes a file's path, not an "
            "empty one (as a URL: sqlite:///relative/path or sqlite:////abs/path): SQLite would "
            "open a temporary database for each connection, deleted as it closes"
        )
    )


def test_a_driver_refusing_the_url_never_shows_any_form_of_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import g2a_adapter.idempotency._redis as redis_backend

    def refuse(url: str, **_: object) -> None:
        raise ValueError("bad URL with password 's3cr3t-pw+/'")  # decoded, as drivers do

    monkeypatch.setattr(redis_backend, "RedisStore", refuse)
    with pytest.raises(StoreUnavailableError) as caught:
        open_store("redis://h:6379/0?password=s3cr3t-pw%2B%2F")
    assert str(caught.value) == (
        "idempotency store 'redis' unavailable: invalid URL: bad URL with password '***'"
    )


def test_unwritable_sqlite_path_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(f"sqlite:///{tmp_path}/missing-dir/db.sqlite3")
    assert caught.value.backend == "sqlite"


def test_sqlite_uses_wal_and_the_namespace_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "db.sqlite3"
    store = open_store(f"sqlite:///{path}?namespace=shop_a")
    assert isinstance(store, SqliteStore)
    store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"shop_a_records", "shop_a_nonces", "shop_a_schema"}
        assert conn.execute("SELECT version FROM shop_a_schema").fetchall() == [(1,)]
    finally:
        conn.close()


def test_closed_sqlite_store_reports_unavailable(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.close()
    with pytest.raises(StoreUnavailableError):
        store.ping()


def test_memory_url_uses_the_given_clock() -> None:
    now = [100.0]
    store = open_store("memory://", clock=lambda: now[0])
    assert isinstance(store, MemoryStore)
    claim = store.claim("k", "fp", 10.0)
    now[0] = 110.0
    assert store.claim("k", "fp", 10.0).state is ClaimState.NEW
    assert claim.owner is not None


@pytest.mark.parametrize(
    ("url", "driver", "private_module"),
    [
        ("redis://127.0.0.1:6379/0", "redis", "g2a_adapter.idempotency._redis"),
        ("postgresql://me@127.0.0.1/test", "psycopg", "g2a_adapter.idempotency._postgres"),
    ],
)
def test_a_missing_driver_is_a_module_error_naming_the_extra_when_the_client_is_built(
    monkeypatch: pytest.MonkeyPatch, url: str, driver: str, private_module: str
) -> None:
    """An adapter installed without `[redis]`/`[postgres]`: a `StoreUnavailableError` at the
    first purchase read as an outage a service retries; it is an installation error, found
    when the client is built."""
    from g2a_adapter import G2AClient, Settings

    monkeypatch.setitem(sys.modules, driver, None)  # `import redis` fails as if not installed
    monkeypatch.delitem(sys.modules, private_module, raising=False)
    backend = "redis" if driver == "redis" else "postgres"
    settings = Settings(
        api_url="https://sandboxapi.g2a.com/v1",
        api_hash="qdaiciDiyMaTjxMt",
        api_key="74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875",
        idempotency_url=url,
    )
    expected = rf"the {backend} store needs {driver}: install g2a-adapter\[{backend}\]"

    with pytest.raises(ModuleNotFoundError, match=expected) as opening:
        open_store(url)
    with pytest.raises(ModuleNotFoundError, match=expected) as building:
        G2AClient(settings)
    assert opening.value.name == building.value.name == driver


@pytest.mark.parametrize(
    ("url", "passwords", "shown"),
    [
        (
            "redis://:Xk9/pQ2+s3cr3t-pw@127.0.0.1:6379/0",
            ["Xk9/pQ2+s3cr3t-pw", "Xk9/pQ2 s3cr3t-pw"],
            "redis://:***@127.0.0.1:6379/0",
        ),
        ("redis://:s3cr?3t-pw@h/0", ["s3cr?3t-pw"], "redis://:***@h/0"),
        ("redis://:s3cr#3t-pw@h/0", ["s3cr#3t-pw"], "redis://:***@h/0"),
        ("postgresql://app:s3cr/3t@pw@h/db", ["s3cr/3t@pw"], "postgresql://app:***@h/db"),
        (
            "redis://:s3cr?3t-pw@h/0?password=other-pw",
            ["s3cr?3t-pw", "other-pw"],
            "redis://:***@h/0?password=***",
        ),
        ("redis://:s3cr3t-pw@[::1/0", ["s3cr3t-pw"], "redis://:***@[::1/0"),
        (  # an `@` in the query is not the user info's: every parser reads this one alike
            "postgresql://app:s3cr3t-pw@127.0.0.1/db?options=a@b",
            ["s3cr3t-pw"],
            "postgresql://app:***@127.0.0.1/db?options=a@b",
        ),
        ("sqlite:///./data@2026:s3cr3t.sqlite3", [], "sqlite:///./data@2026:s3cr3t.sqlite3"),
        (
            "postgresql:///db?host=/run/pg&user=me@corp",
            [],
            "postgresql:///db?host=/run/pg&user=me@corp",
        ),
    ],
)
def test_the_user_info_ends_at_the_last_at_sign(url: str, passwords: list[str], shown: str) -> None:
    """A generated password may hold `/`, `?` or `#`, where `urlsplit` ends the host."""
    assert url_passwords(url) == passwords
    assert redacted_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "redis://:Xk9/pQ2+s3cr3t-pw@127.0.0.1:6379/0",
        "redis://:s3cr?3t-pw@127.0.0.1:6379/0?password=s3cr3t-pw",
        "postgresql://app:s3cr3t-pw#x@127.0.0.1/db",
        # libpq ends the user info at the first `@`, urlsplit and redis-py at the last
        "postgresql://app:s3cr3t@pw@127.0.0.1/db",
        "redis://:s3cr3t@pw@127.0.0.1:6379/0",
    ],
)
def test_a_url_read_two_ways_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        parse_store_url(url)
    assert "percent-encode" in str(caught.value)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "Xk9" not in str(caught.value)


def test_an_unparseable_url_never_shows_its_password() -> None:
    with pytest.raises(StoreUnavailableError, match="unparseable store URL") as caught:
        parse_store_url("redis://:s3cr3t\uff0fpw@h:6379/0")  # a full-width solidus
    assert "s3cr3t" not in str(caught.value)


def test_a_postgres_unix_socket_is_named_by_the_host_parameter() -> None:
    spec = parse_store_url("postgresql:///test?host=/var/run/postgresql&user=postgres")
    assert spec.backend == "postgres"
    assert conninfo_to_dict(spec.target) == {
        "dbname": "test",
        "host": "/var/run/postgresql",
        "user": "postgres",
    }


@pytest.mark.parametrize(
    ("url", "backend"),
    [("postgresql:///test?host=&user=postgres", "postgres"), ("redis:///0?host=h", "redis")],
)
def test_an_empty_host_parameter_or_one_redis_does_not_read_names_no_host(
    url: str, backend: str
) -> None:
    with pytest.raises(StoreUnavailableError, match="names no host") as caught:
        parse_store_url(url)
    assert caught.value.backend == backend


@pytest.mark.parametrize("codec", ["rot13", "base64", "hex", "zlib", "utf-16", "cp500", "idna"])
def test_a_redis_encoding_no_text_in_ascii_is_a_typed_store_error(codec: str) -> None:
    """redis-py looks a codec up only as it encodes (`LookupError`, or a command the server
    cannot read): `open_store` says so, typed, before it connects."""
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(f"redis://127.0.0.1:6379/0?encoding={codec}")
    assert str(caught.value) == (
        f"idempotency store 'redis' unavailable: the store refuses ?encoding=…: {codec!r} is "
        "not a text encoding that keeps ASCII as it is, as the Redis protocol needs"
    )


@pytest.mark.parametrize(
    ("url", "target"),
    [  # libpq reads `+` as itself: a re-encoded `%20` would reach it as `+`
        (
            "postgresql://h/db?options=-c%20statement_timeout%3D1234&namespace=shop",
            "postgresql://h/db?options=-c%20statement_timeout%3D1234",
        ),
        (
            "postgresql://h/db?namespace=shop&application_name=my%20app&sslmode=require",
            "postgresql://h/db?application_name=my%20app&sslmode=require",
        ),
        ("redis://h:6379/0?client_name=a%2Fb&namespace=n", "redis://h:6379/0?client_name=a%2Fb"),
        ("postgresql://h/db?%6Eamespace=shop&sslmode=require", "postgresql://h/db?sslmode=require"),
    ],
)
def test_the_driver_gets_the_query_as_written_but_namespace(url: str, target: str) -> None:
    spec = parse_store_url(url)
    assert (spec.target, spec.namespace) == (target, "n" if "namespace=n" in url else "shop")


@pytest.mark.parametrize(
    ("url", "passwords", "shown"),
    [  # libpq reads no fragment: a `#` is part of the value; redis-py ends the query there
        (
            "postgresql://app@h/db?password=pa#ss-WORD",
            ["pa#ss-WORD", "pa"],
            "postgresql://app@h/db?password=***",
        ),
        (
            "postgresql://h/db?application_name=x#&password=ss-WORD",
            ["ss-WORD"],
            "postgresql://h/db?application_name=x#&password=***",
        ),
    ],
)
def test_a_query_password_is_masked_past_a_raw_hash(
    url: str, passwords: list[str], shown: str
) -> None:
    """Such a PostgreSQL URL is refused (`parse_store_url`); a conninfo given to the store
    directly is still masked in its errors."""
    assert url_passwords(url) == passwords
    assert redacted_url(url) == shown
    with pytest.raises(StoreUnavailableError, match="percent-encode it as %23") as caught:
        parse_store_url(url)
    assert "ss-WORD" not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("key", ["oauth_client_secret", "scram_client_key", "scram_server_key"])
def test_a_libpq_secret_in_the_query_is_masked_as_a_password(key: str) -> None:
    url = f"postgresql://h/db?{key}=k3y-s3cr3t&sslmode=require"
    assert url_passwords(url) == ["k3y-s3cr3t"]
    assert redacted_url(url) == f"postgresql://h/db?{key}=***&sslmode=require"
    assert "k3y-s3cr3t" not in repr(parse_store_url(url))


class _ConnectSeen(Exception):
    """Raised by the fake connect, so the store stops there."""


def _record_connect(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """psycopg's connect replaced: it records its keywords and fails."""
    import psycopg

    seen: dict[str, object] = {}

    def connect(cls: type, conninfo: str = "", **kwargs: object) -> None:
        seen.update(kwargs, conninfo=conninfo)
        raise psycopg.OperationalError("refused here")

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(connect))
    return seen


def test_the_url_s_connect_timeout_is_the_store_s(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record_connect(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        open_store("postgresql://127.0.0.1/test?connect_timeout=7")
    assert seen["connect_timeout"] == 7


@pytest.mark.parametrize(
    ("conninfo", "timeout"),
    [
        ("postgresql://127.0.0.1/test", 3),  # the keyword, as given
        ("postgresql://127.0.0.1/test?connect_timeout=%207", 7),  # what the operator wrote wins
        ("host=127.0.0.1 dbname=test connect_timeout=9", 9),
    ],
)
def test_a_postgres_store_s_connect_timeout_is_its_url_s_else_its_keyword(
    monkeypatch: pytest.MonkeyPatch, conninfo: str, timeout: int
) -> None:
    from g2a_adapter.idempotency._postgres import PostgresStore

    seen = _record_connect(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        PostgresStore(conninfo, connect_timeout_seconds=3)
    assert seen["connect_timeout"] == timeout


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
def test_a_postgres_store_refuses_a_connect_timeout_with_no_bound(value: str) -> None:
    from g2a_adapter.idempotency._postgres import PostgresStore

    with pytest.raises(ValueError, match=f"connect_timeout '{value}'"):
        PostgresStore(f"postgresql://127.0.0.1/test?connect_timeout={value}")
