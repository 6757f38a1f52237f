"""The Redis store's guard against times computed by one server's clock reaching another.

A connection opened since a call computed its times may reach a server with another clock (a
failover), whichever thread opened it: when the pool hands it to the call, the call is refused
before its command is sent, and measures the server's clock again. Here two threads interleave
deterministically (the other thread runs to its end while this one holds times it computed), on
a fake server clock and a fake connection: no Redis server is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from thread_support import in_another_thread

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency._redis import RedisStore
from g2a_adapter.idempotency._server_clock import ServerClock

OLD_SERVER, NEW_SERVER = 1_000.0, 4_600.0  # the clocks of the servers before and after


class PooledConnection:
    """A connection in the store's pool, closed until a command takes it (as one the failover
    closed, or one not yet opened)."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._open = False

    def on_connect(self) -> None:
        """redis-py's handshake: nothing to do here."""

    def take(self) -> None:
        """What the store's pool does as it hands the connection to a command: opens it if it
        is closed (redis-py's handshake, then the store's), then lets the store refuse it. A
        connection refused stays open, back in the pool."""
        if not self._open:
            self._open = True
            self._store._on_connect(self)
        self._store._check_opened_before_measured(self)


class FailoverServer:
    """The server's clock as the store reads it: the old server's until `fail_over()`."""

    def __init__(self) -> None:
        self.now = OLD_SERVER

    def fail_over(self) -> None:
        self.now = NEW_SERVER

    def read(self) -> float:
        return self.now


@pytest.fixture
def server() -> FailoverServer:
    return FailoverServer()


@pytest.fixture
def store(server: FailoverServer, monkeypatch: pytest.MonkeyPatch) -> RedisStore:
    """A store on the server's clock (a frozen host: times are exact), measured once."""
    monkeypatch.setattr(RedisStore, "_check_schema", lambda self: None)
    monkeypatch.setattr(RedisStore, "_server_time", lambda self: server.read())
    opened = RedisStore("redis://127.0.0.1:1/0")
    clock = ServerClock("redis", local=lambda: OLD_SERVER, monotonic=lambda: 0.0)
    monkeypatch.setattr(opened, "_clock", clock)
    monkeypatch.setattr(opened, "_server_clock", clock)
    opened._measured_call(lambda: None)
    return opened


def _sent_over(
    store: RedisStore, connection: PooledConnection, meanwhile: Callable[[], Any]
) -> list[float]:
    """The times a call sends over `connection`, which it takes after it computed them and
    after `meanwhile` ran in another thread (once: the call is sent again as it is)."""
    sent: list[float] = []
    pending = [meanwhile]

    def command() -> None:
        now = store._clock()
        while pending:
            in_another_thread(pending.pop())
        connection.take()
        sent.append(now)

    store._measured_call(command)
    return sent


def test_a_connection_refused_to_another_thread_is_refused_to_a_call_timed_before(
    store: RedisStore, server: FailoverServer
) -> None:
    """Another thread's command met the connection closed by the failover, opened again (it
    reaches the new server): refused, its call measured again and went out on another pooled
    connection. This call's times, computed before, reach the new server only once measured
    again; the connection refused once was let through to them, timed by the old server."""
    closed = PooledConnection(store)

    def another_call() -> None:
        server.fail_over()
        taken = [False]

        def command() -> None:
            if not taken[0]:  # first sent: meets the closed connection
                taken[0] = True
                closed.take()
            # sent again: on another pooled connection, still open

        store._measured_call(command)

    assert _sent_over(store, closed, another_call) == [NEW_SERVER]


def test_a_new_connection_after_another_threads_call_failed_is_refused_to_a_call_timed_before(
    store: RedisStore, server: FailoverServer
) -> None:
    """Another thread's call failed as the old server went away (the clock expired, not yet
    measured again): a connection opened now reaches the new server, and this call's times,
    computed before, were let through to it because no measurement was held."""

    def another_call_fails() -> None:
        server.fail_over()

        def gone() -> None:
            raise redis.ConnectionError("the server went away")

        with pytest.raises(StoreUnavailableError, match="ConnectionError: the server went away"):
            store._call(gone)

    assert _sent_over(store, PooledConnection(store), another_call_fails) == [NEW_SERVER]


def test_a_connection_opened_again_is_let_through_to_the_call_measured_again(
    store: RedisStore, server: FailoverServer
) -> None:
    """The call that met the connection opened again is sent again once measured, on the
    same connection: it goes out, timed by the new server (not refused for ever)."""
    closed = PooledConnection(store)
    server.fail_over()

    assert _sent_over(store, closed, lambda: None) == [NEW_SERVER]


def test_a_connection_another_thread_opened_again_is_refused_to_a_call_timed_before(
    store: RedisStore, server: FailoverServer
) -> None:
    """Another thread's command met the connection closed by the failover and opened it again:
    refused, its call measured again and went out on it, and it went back to the pool, open to
    the new server. The pool hands it to this call as it is (no handshake): this call's times,
    computed before, went out on it, timed by the old server."""
    closed = PooledConnection(store)

    def another_call() -> None:
        server.fail_over()
        store._measured_call(closed.take)

    assert _sent_over(store, closed, another_call) == [NEW_SERVER]
