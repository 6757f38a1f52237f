"""Hosts whose clocks disagree share one Redis or PostgreSQL store: leases, retention and nonces
follow the server's clock. A host running a minute ahead took a live lease over (two pods ran
the same purchase), and one running behind wrote leases and expiries already past."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from _store_fixtures import Backend
from thread_support import in_another_thread

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import ClaimState, IdempotencyStore, open_store, replay_guard_of

SKEW = 60.0
_LOCAL_TIME = "g2a_adapter.idempotency._server_clock.local_time"  # taken by each store opened
SERVER_BACKENDS = [
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
# (first host's skew, second host's skew): the second ahead, or the first behind
SKEWS = pytest.mark.parametrize(
    ("first_skew", "second_skew"), [(0.0, SKEW), (-SKEW, 0.0)], ids=["ahead", "behind"]
)
on_server_backends = pytest.mark.parametrize("shared_backend", SERVER_BACKENDS, indirect=True)


def _host(skew: float) -> Callable[[], float]:
    """This host's clock, `skew` seconds off the server's (the server runs on this machine)."""
    return lambda: time.time() + skew


def _open_on(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, local: Callable[[], float]
) -> IdempotencyStore:
    """A store with no clock injected, on a host whose own clock reads `local`."""
    with monkeypatch.context() as patched:
        patched.setattr(_LOCAL_TIME, local)
        return backend.open_on_server_clock()


@on_server_backends
@SKEWS
def test_a_live_lease_is_not_taken_over_by_a_host_whose_clock_is_off(
    shared_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    first_skew: float,
    second_skew: float,
) -> None:
    holder = _open_on(shared_backend, monkeypatch, _host(first_skew))
    claimant = _open_on(shared_backend, monkeypatch, _host(second_skew))

    held = holder.claim("purchase-1", "fp", 10.0)
    assert held.state is ClaimState.NEW
    assert claimant.claim("purchase-1", "fp", 10.0).state is ClaimState.IN_PROGRESS

    record = claimant.get("purchase-1")
    assert record is not None
    assert record.owner == held.owner
    assert record.lease_expires_at == pytest.approx(time.time() + 10.0, abs=1.0)


@on_server_backends
@SKEWS
def test_a_completed_record_is_kept_for_its_retention_by_the_servers_clock(
    shared_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    first_skew: float,
    second_skew: float,
) -> None:
    writer = _open_on(shared_backend, monkeypatch, _host(first_skew))
    reader = _open_on(shared_backend, monkeypatch, _host(second_skew))
    claim = writer.claim("purchase-1", "fp", 10.0)
    writer.complete("purchase-1", claim.owner or "", {"order_id": "1"}, 30.0)

    record = reader.get("purchase-1")
    assert record is not None
    assert record.expires_at == pytest.approx(time.time() + 30.0, abs=1.0)
    again = reader.claim("purchase-1", "fp", 10.0)
    assert (again.state, again.result) == (ClaimState.COMPLETED, {"order_id": "1"})


@on_server_backends
@SKEWS
def test_a_nonce_is_remembered_for_its_ttl_by_the_servers_clock(
    shared_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    first_skew: float,
    second_skew: float,
) -> None:
    first = replay_guard_of(_open_on(shared_backend, monkeypatch, _host(first_skew)))
    second = replay_guard_of(_open_on(shared_backend, monkeypatch, _host(second_skew)))

    assert first.add_nonce("nonce-1", 30.0) is True
    assert second.add_nonce("nonce-1", 30.0) is False  # a replay, on either host


@on_server_backends
def test_expiry_comes_when_the_server_says_even_on_a_host_behind(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a minute late: a host whose clock runs behind sees a lease, a retention and a
    nonce end when the server's clock passes them."""
    honest = _open_on(shared_backend, monkeypatch, _host(0.0))
    behind = _open_on(shared_backend, monkeypatch, _host(-SKEW))
    honest.claim("leased", "fp", 0.5)
    done = honest.claim("done", "fp", 10.0)
    honest.complete("done", done.owner or "", {"ok": True}, 0.5)
    assert replay_guard_of(honest).add_nonce("nonce-1", 0.5) is True

    time.sleep(0.6)

    takeover = behind.claim("leased", "fp", 10.0)
    assert (takeover.state, takeover.taken_over) == (ClaimState.NEW, True)
    assert behind.get("done") is None
    assert behind.claim("done", "other-fp", 10.0).state is ClaimState.NEW
    assert replay_guard_of(behind).add_nonce("nonce-1", 0.5) is True


@on_server_backends
def test_the_offset_is_measured_again_after_a_fork(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child measures the server's clock again on its first call (seen here because its
    host's clock stepped a minute ahead meanwhile), instead of keeping its parent's offset."""
    _open_on(shared_backend, monkeypatch, _host(0.0)).claim("purchase-1", "fp", 10.0)
    skew = [0.0]
    store = _open_on(shared_backend, monkeypatch, lambda: time.time() + skew[0])
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            skew[0] = SKEW
            store.get("warm-up")  # the first call after the fork measures
            os.write(write, store.claim("purchase-1", "fp", 10.0).state.value.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        assert pipe.read() == ClaimState.IN_PROGRESS.value


@on_server_backends
def test_a_skew_over_a_second_is_logged_once_without_the_url(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
        _open_on(shared_backend, monkeypatch, _host(0.0)).claim("honest", "fp", 10.0)
        skewed = _open_on(shared_backend, monkeypatch, _host(SKEW))
        for n in range(3):
            skewed.claim(f"k-{n}", "fp", 10.0)

    messages = [r.getMessage() for r in caplog.records if "clock_skew" in r.getMessage()]
    assert len(messages) == 1, messages
    assert f"{shared_backend.name} server" in messages[0]
    assert "60" in messages[0]
    assert "ahead" in messages[0]
    assert shared_backend.url not in messages[0]


FAILOVER_JUMP = 3600.0  # the server reached after the failover reads an hour ahead
# How each store reads its server's clock, replaced to make it jump (as `_LOCAL_TIME` above)
_REDIS_SERVER_TIME = "g2a_adapter.idempotency._redis.RedisStore._server_time"
_POSTGRES_SERVER_TIME = "g2a_adapter.idempotency._postgres._server_time"
_POSTGRES_TIME = "SELECT extract(epoch FROM clock_timestamp())::float8"


def _servers_clock_jumps(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the server answers clock readings an hour ahead (a failover to a server
    whose clock differs): a store reads it only when it measures again. The readings are
    taken as the stores take them (Redis `TIME`, PostgreSQL `clock_timestamp()`)."""
    if backend.name == "redis":

        def redis_time(store: Any) -> float:  # on the store's own connection, as it reads it
            seconds, microseconds = store._client.time()
            return float(seconds) + float(microseconds) / 1e6 + FAILOVER_JUMP

        monkeypatch.setattr(_REDIS_SERVER_TIME, redis_time)
        return

    def postgres_time(conn: Any) -> float:
        (seconds,) = conn.execute(_POSTGRES_TIME).fetchone()
        return float(seconds) + FAILOVER_JUMP

    monkeypatch.setattr(_POSTGRES_SERVER_TIME, postgres_time)


def _loses_its_connection(
    backend: Backend, store: IdempotencyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One call of `store` fails as the old server goes away (the store's real failure path)."""
    if backend.name == "redis":
        import redis

        def gone(*args: object) -> None:
            raise redis.ConnectionError("the server went away")

        with monkeypatch.context() as patched:
            patched.setattr(store._client, "hgetall", gone)  # type: ignore[attr-defined]
            with pytest.raises(StoreUnavailableError, match="went away"):
                store.get("probe")
        return
    import psycopg

    pid = store._conn.info.backend_pid  # type: ignore[attr-defined]
    with psycopg.connect(backend.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreUnavailableError):
        store.get("probe")


def _failed_over(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> tuple[IdempotencyStore, IdempotencyStore]:
    """A store measured on the old server that just lost its connection, and another host's
    store on the new server."""
    store = backend.open_on_server_clock()
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW  # measured: old server
    _servers_clock_jumps(backend, monkeypatch)
    _loses_its_connection(backend, store, monkeypatch)
    return store, backend.open_on_server_clock()


@on_server_backends
def test_the_first_claim_after_a_failover_is_timed_by_the_new_servers_clock(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its lease was timed by the old server's clock: an hour off, it had already expired, so
    another host took the key over at once and the handler ran twice."""
    store, other_host = _failed_over(shared_backend, monkeypatch)

    held = store.claim("purchase-1", "fp", 15.0)

    assert held.state is ClaimState.NEW
    _leased_by_the_new_servers_clock(other_host)
    assert other_host.claim("purchase-1", "fp", 15.0).state is ClaimState.IN_PROGRESS


@on_server_backends
@pytest.mark.parametrize("operation", ["renew", "checkpoint", "complete", "add_nonce"])
def test_every_time_written_after_a_failover_follows_the_new_servers_clock(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    """Lease ends, retention and nonce expiries alike: the first write after the failover
    measures the new server's clock before it computes its time."""
    store = shared_backend.open_on_server_clock()
    owner = store.claim("purchase-1", "fp", 15.0).owner or ""
    _servers_clock_jumps(shared_backend, monkeypatch)
    _loses_its_connection(shared_backend, store, monkeypatch)
    other_host = shared_backend.open_on_server_clock()
    new_server_now = time.time() + FAILOVER_JUMP

    if operation == "add_nonce":
        assert replay_guard_of(store).add_nonce("nonce-1", 30.0) is True
        assert replay_guard_of(other_host).add_nonce("nonce-1", 30.0) is False
        return
    if operation == "renew":
        store.renew("purchase-1", owner, 30.0)
    elif operation == "checkpoint":
        store.checkpoint("purchase-1", owner, {"step": 1}, 30.0)
    else:
        store.complete("purchase-1", owner, {"order_id": "1"}, 30.0)
    record = other_host.get("purchase-1")
    assert record is not None
    written = record.expires_at if operation == "complete" else record.lease_expires_at
    assert written == pytest.approx(new_server_now + 30.0, abs=1.0)


on_redis = pytest.mark.parametrize(
    "shared_backend", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)


def _client_id(connection: Any) -> int:
    connection.send_command("CLIENT", "ID")
    return int(connection.read_response())


def _kill(backend: Backend, client_ids: list[int]) -> None:
    """The server closes these connections (as a failover closes the old server's)."""
    import redis

    admin = redis.Redis.from_url(backend.url)
    try:
        for client_id in client_ids:
            assert admin.client_kill_filter(_id=str(client_id)) == 1
    finally:
        admin.close()


def _leased_by_the_new_servers_clock(other_host: IdempotencyStore) -> None:
    """The claim of `purchase-1` (15 s) was timed by the clock of the server reached now."""
    record = other_host.get("purchase-1")
    assert record is not None
    assert record.lease_expires_at == pytest.approx(time.time() + FAILOVER_JUMP + 15.0, abs=1.0)


@on_redis
def test_a_connection_redis_py_opens_again_by_itself_measures_the_new_servers_clock_first(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that closes the connection (a failover that ends the old server's clients)
    is not a failed call: redis-py connects again when the next command takes the connection,
    and the first lease went out timed by the old server's clock."""
    store = shared_backend.open_on_server_clock()
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    connection_id = store._client.client_id()  # type: ignore[attr-defined]
    _servers_clock_jumps(shared_backend, monkeypatch)
    _kill(shared_backend, [connection_id])
    other_host = shared_backend.open_on_server_clock()

    assert store.claim("purchase-1", "fp", 15.0).state is ClaimState.NEW

    _leased_by_the_new_servers_clock(other_host)
    assert other_host.claim("purchase-1", "fp", 15.0).state is ClaimState.IN_PROGRESS


@on_redis
def test_a_call_meeting_connections_opened_again_more_than_once_still_goes_out(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failover closed every pooled connection. The call's command meets one, opened again:
    the server's clock is measured again and the command sent again, and meets another (a
    thread took the connection just measured on). It still goes out, timed by the new
    server's clock, instead of failing once (a spurious 503)."""
    store = shared_backend.open_on_server_clock()
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    pool = store._client.connection_pool  # type: ignore[attr-defined]
    pooled = [pool.get_connection()]  # while a thread's call holds the pooled connection,
    assert store.get("warm-up") is not None  # another call opens a second one
    pooled.append(pool.get_connection())
    client_ids = [_client_id(connection) for connection in pooled]
    for connection in pooled:
        pool.release(connection)
    _servers_clock_jumps(shared_backend, monkeypatch)
    _kill(shared_backend, client_ids)
    other_host = shared_backend.open_on_server_clock()
    sent, taken = [0], []
    script = store._claim  # type: ignore[attr-defined]

    def claim_script(**kwargs: Any) -> Any:
        sent[0] += 1
        if sent[0] == 2:  # another thread takes the connection the clock was measured on
            taken.append(pool.get_connection())
        return script(**kwargs)

    monkeypatch.setattr(store, "_claim", claim_script)
    try:
        held = store.claim("purchase-1", "fp", 15.0)
    finally:
        for connection in taken:
            pool.release(connection)

    assert (held.state, sent[0]) == (ClaimState.NEW, 3)
    _leased_by_the_new_servers_clock(other_host)


@on_redis
def test_a_connection_newly_opened_as_the_server_fails_over_measures_the_new_servers_clock(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread's call holds the pooled connection as the failover closes it, so this
    call opens a new one, which reaches the new server: before any connection was opened
    again, the clock still held the old server's measurement."""
    store = shared_backend.open_on_server_clock()
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    pool = store._client.connection_pool  # type: ignore[attr-defined]
    busy = pool.get_connection()
    _servers_clock_jumps(shared_backend, monkeypatch)
    _kill(shared_backend, [_client_id(busy)])
    other_host = shared_backend.open_on_server_clock()

    try:
        held = store.claim("purchase-1", "fp", 15.0)
    finally:
        pool.release(busy)

    assert held.state is ClaimState.NEW
    _leased_by_the_new_servers_clock(other_host)


@on_redis
def test_a_call_whose_connections_keep_being_opened_again_fails_after_three_measurements(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded: a server that closes every connection before each command is an outage,
    not a clock to measure again forever."""
    store = shared_backend.open_on_server_clock()
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    pool = store._client.connection_pool  # type: ignore[attr-defined]
    sent = [0]
    script = store._claim  # type: ignore[attr-defined]

    def claim_script(**kwargs: Any) -> Any:
        sent[0] += 1
        pool.disconnect()  # the command's connection is opened again
        return script(**kwargs)

    monkeypatch.setattr(store, "_claim", claim_script)

    with pytest.raises(StoreUnavailableError, match="measured again"):
        store.claim("purchase-1", "fp", 15.0)
    assert sent[0] == 4  # sent, then sent again after each of three measurements
    monkeypatch.undo()
    assert store.get("purchase-1") is None
    assert store.claim("purchase-1", "fp", 15.0).state is ClaimState.NEW


@on_redis
def test_a_connection_another_thread_opened_again_is_refused_to_a_call_timed_before(
    shared_backend: Backend, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """This call had computed its lease by the old server's clock when another thread's call
    met the pooled connection the failover closed: opened again, refused, the clock measured
    again, let through, then back in the pool, connected to the new server. The pool handed
    it to this call as it was (no handshake runs): the lease went out timed by the old clock.
    One connection in all: the one refused goes back to the pool, for the call sent again."""
    store = open_store(
        f"{shared_backend.url}?max_connections=1", namespace=shared_backend.namespace
    )
    request.addfinalizer(store.close)
    assert store.claim("warm-up", "fp", 10.0).state is ClaimState.NEW
    connection_id = store._client.client_id()  # type: ignore[attr-defined]
    script, sent = store._claim, [0]  # type: ignore[attr-defined]

    def another_threads_call_after_the_failover() -> None:
        _servers_clock_jumps(shared_backend, monkeypatch)
        _kill(shared_backend, [connection_id])
        assert store.get("warm-up") is not None

    def claim_script(**kwargs: Any) -> Any:  # given the times computed
        sent[0] += 1
        if sent[0] == 1:
            in_another_thread(another_threads_call_after_the_failover)
        return script(**kwargs)

    monkeypatch.setattr(store, "_claim", claim_script)
    held = store.claim("purchase-1", "fp", 15.0)

    assert held.state is ClaimState.NEW
    _leased_by_the_new_servers_clock(shared_backend.open_on_server_clock())
    assert sent[0] == 2  # refused, measured again, sent again
