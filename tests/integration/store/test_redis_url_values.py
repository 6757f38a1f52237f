"""The values of a Redis store URL the store refuses, refused where the server, or redis-py,
would fail on them as the store connects or at its first command: a `?client_name=` (redis-py
names each connection with CLIENT SETNAME as it connects, and a refused name fails every
command), a database (SELECT), `?max_connections=` (redis-py's pool fails a call past it at
once); and the numbers at their bounds, taken."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from _store_fixtures import Backend

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import open_store, parse_store_url

if TYPE_CHECKING:
    import redis

# Every Latin-1 character, and a few past it (a letter, a wide space, an emoji)
CHARACTERS = [chr(code) for code in range(256)] + ["ł", "\u3000", "\U0001f600"]


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _server_takes(client: redis.Redis, name: str) -> bool:
    import redis

    try:
        client.client_setname(name)
    except redis.ResponseError:
        return False
    return True


def _url_refusal(redis_url: str, name: str) -> str | None:
    """How a store URL naming its connections `name` is refused, None if it is taken."""
    try:
        parse_store_url(_with_query(redis_url, f"client_name={quote(name, safe='')}"))
    except StoreUnavailableError as refusal:
        return str(refusal)
    return None


@pytest.mark.redis
def test_the_url_takes_a_client_name_exactly_where_the_server_does(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        refused_by_server, refused_by_url = set(), set()
        for character in CHARACTERS:
            name = f"g2a{character}svc"
            if not _server_takes(client, name):
                refused_by_server.add(character)
            refusal = _url_refusal(redis_url, name)
            if refusal is not None:
                assert refusal == (
                    "idempotency store 'redis' unavailable: the store refuses ?client_name=…: "
                    "Redis takes a client name of printable ASCII characters but the space "
                    f"(! to ~), not {name!r}"
                )
                refused_by_url.add(character)
    finally:
        client.close()
    assert refused_by_url == refused_by_server
    assert len(refused_by_server) == len(CHARACTERS) - 94  # all but '!' to '~'


@pytest.mark.redis
@pytest.mark.parametrize("shared_backend", ["redis"], indirect=True)
def test_a_store_opened_with_a_client_name_the_url_takes_names_its_connections(
    shared_backend: Backend,
) -> None:
    import redis

    name = "g2a-store!~{}"
    url = _with_query(shared_backend.url, f"client_name={quote(name, safe='')}")
    store = open_store(url, namespace=shared_backend.namespace)
    client = redis.Redis.from_url(shared_backend.url)
    try:
        store.ping()
        assert name in {connection["name"] for connection in client.client_list()}
    finally:
        client.close()
        store.close()


@pytest.mark.redis
@pytest.mark.filterwarnings(  # redis-py warns of both keys (its `driver_info` replaces them)
    "ignore:Call to '__init__' function with deprecated usage:DeprecationWarning"
)
@pytest.mark.parametrize("shared_backend", ["redis"], indirect=True)
def test_a_store_opened_with_a_library_name_and_version_the_url_takes_works_on_any_redis(
    shared_backend: Backend,
) -> None:
    """redis-py sends them with CLIENT SETINFO, which Redis before 7.2 does not know, and
    swallows the refusal: the store works; the value is dropped there, as it would be by a
    later Redis for a value the URL refuses."""
    url = _with_query(shared_backend.url, "lib_name=g2a-store%21%7E&lib_version=1.2.3")
    store = open_store(url, namespace=shared_backend.namespace)
    try:
        store.ping()
    finally:
        store.close()


def _server_reads_as_a_database(client: redis.Redis, db: int) -> bool:
    """Whether Redis reads `db` as a database number: past its integer type, SELECT refuses
    the value itself; within it, only a number past the server's `databases`."""
    import redis

    try:
        client.execute_command("SELECT", db)
    except redis.ResponseError as refusal:
        return "DB index is out of range" in str(refusal)
    return True


def _url_takes(url: str) -> bool:
    try:
        parse_store_url(url)
    except StoreUnavailableError:
        return False
    return True


@pytest.mark.redis
def test_the_url_takes_a_database_exactly_where_the_server_reads_one(redis_url: str) -> None:
    import redis

    numbers = (0, 15, 2**31 - 1, 2**31, 10**20)
    client = redis.Redis.from_url(redis_url, single_connection_client=True)
    try:
        server_reads = {db: _server_reads_as_a_database(client, db) for db in numbers}
    finally:
        client.close()
    assert server_reads == {0: True, 15: True, 2**31 - 1: True, 2**31: False, 10**20: False}
    base = redis_url.rpartition("/")[0]
    assert {db: _url_takes(f"{base}/{db}") for db in numbers} == server_reads
    assert {db: _url_takes(f"{base}/0?db={db}") for db in numbers} == server_reads


TIMEOUT_BOUND = f"{threading.TIMEOUT_MAX:.0f}"  # 9223372036 on Linux


@pytest.mark.redis
@pytest.mark.parametrize("shared_backend", ["redis"], indirect=True)
def test_a_store_opened_with_each_number_at_its_bound_serves(shared_backend: Backend) -> None:
    url = _with_query(
        shared_backend.url,
        f"socket_timeout={TIMEOUT_BOUND}&socket_connect_timeout={TIMEOUT_BOUND}"
        f"&health_check_interval={TIMEOUT_BOUND}&socket_read_size=16777216",
    )
    store = open_store(url, namespace=shared_backend.namespace)
    try:
        store.ping()
    finally:
        store.close()


@pytest.mark.redis
def test_redis_py_fails_a_call_past_max_connections_at_once(redis_url: str) -> None:
    """What the README says of `?max_connections=`: redis-py's pool, the store's, does not
    wait for a connection in use; it fails the call."""
    from redis import ConnectionPool
    from redis.exceptions import MaxConnectionsError

    pool = ConnectionPool.from_url(_with_query(redis_url, "max_connections=1"))
    held = pool.get_connection()
    try:
        with pytest.raises(MaxConnectionsError, match="Too many connections"):
            pool.get_connection()
    finally:
        pool.release(held)
        pool.disconnect()
    assert _url_takes(_with_query(redis_url, "max_connections=1"))
