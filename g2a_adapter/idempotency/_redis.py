"""Redis backend: every transition is one Lua script, atomic on the server.

The scripts implement exactly the rules of `decide_claim` (`_base.py`); times are computed here
and passed in as strings (never float arithmetic in Lua): by the server's clock as this host
reads it (`_server_clock`: local time plus the offset to Redis `TIME`, measured before the times
of an operation are computed, again after a failed call or a connection opened), or by an
injected clock, so tests can move time. Redis TTLs only garbage-collect completed records and
nonces; the stored expiry times decide.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from g2a_adapter._errors import LeaseLostError, StoreUnavailableError
from g2a_adapter._masking import SecretMasker
from g2a_adapter._url_secrets import url_passwords
from g2a_adapter.idempotency._base import JSON, Claim, ClaimState, Record
from g2a_adapter.idempotency._codec import (
    DEFAULT_NAMESPACE,
    SCHEMA_VERSION,
    OwnerIds,
    check_key,
    check_seconds,
    checked_namespace,
    dump_object,
    load_json,
    retained,
)
from g2a_adapter.idempotency._server_clock import chosen_clock

# KEYS[1] record hash; ARGV: fingerprint, owner, now, lease_expires_at
_CLAIM = """
local rec = redis.call('HMGET', KEYS[1], 'fp', 'owner', 'lease', 'checkpoint', 'result', 'expires')
local now = tonumber(ARGV[3])
if rec[1] and rec[6] and tonumber(rec[6]) <= now then
  redis.call('DEL', KEYS[1])
  rec = {false, false, false, false, false, false}
end
if not rec[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'owner', ARGV[2], 'lease', ARGV[4])
  return {'new', '', '0'}
end
if rec[1] ~= ARGV[1] then return {'mismatch', '', '0'} end
if rec[5] then return {'completed', rec[5], '0'} end
if rec[2] and tonumber(rec[3]) > now then return {'in_progress', '', '0'} end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[4])
return {'new', rec[4] or '', '1'}
"""

# Shared guard: the caller must hold the lease on a record that is not completed.
_OWNED = """
local held = redis.call('HMGET', KEYS[1], 'owner', 'result')
if held[1] ~= ARGV[1] or held[2] then
  return 0
end
"""

# ARGV: owner, checkpoint json, lease_expires_at
_CHECKPOINT = (
    _OWNED + "redis.call('HSET', KEYS[1], 'checkpoint', ARGV[2], 'lease', ARGV[3])\nreturn 1\n"
)

# ARGV: owner, lease_expires_at
_RENEW = _OWNED + "redis.call('HSET', KEYS[1], 'lease', ARGV[2])\nreturn 1\n"

# ARGV: owner, result json, expires_at, ttl in ms (garbage collection only)
_COMPLETE = (
    _OWNED
    + """
redis.call('HDEL', KEYS[1], 'owner', 'lease')
redis.call('HSET', KEYS[1], 'result', ARGV[2], 'expires', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""
)

# ARGV: owner
_RELEASE = (
    _OWNED
    + """
if redis.call('HEXISTS', KEYS[1], 'checkpoint') == 1 then
  redis.call('HDEL', KEYS[1], 'owner', 'lease')
else
  redis.call('DEL', KEYS[1])
end
return 1
"""
)

# KEYS[1] nonce key; ARGV: now, expires_at, ttl in ms
_NONCE = """
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class _Reconnected(redis.ConnectionError):
    """The connection handed to a call was opened since the measurement of the server's clock
    by which the call computed its times: it may reach another server, with another clock.
    Raised before the command was sent; `_measured_call` measures and sends it again."""


class _CheckedPool(redis.ConnectionPool):
    """redis-py's connection pool, which lets `check` refuse the connection it hands to a
    command (opened first if it was closed); the connection refused goes back to the pool."""

    def __init__(
        self, *, check: Callable[[redis.connection.AbstractConnection], None], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._check_connection = check

    def get_connection(self, *args: Any, **options: Any) -> Any:
        connection = super().get_connection(*args, **options)
        try:
            self._check_connection(connection)
        except BaseException:
            self.release(connection)
            raise
        return connection


_RECONNECTIONS = 3  # connections refused to one call, each measured again for; then it fails
_GC_GRACE_MS = 60_000  # Redis TTLs outlive the stored expiry a little; the stored time decides


def _ttl_ms(seconds: float) -> int:
    """Milliseconds for PEXPIRE (of a TTL `check_seconds` let through)."""
    return max(1, math.ceil(seconds * 1000)) + _GC_GRACE_MS


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


class RedisStore:
    """An `IdempotencyStore` and `ReplayGuard` on a Redis server."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], float] | None = None,
        socket_timeout_seconds: float = 2.0,
    ) -> None:
        """`clock`: injected, it computes every time as it is; by default the server's clock
        does (`_server_clock`)."""
        self._clock, self._server_clock = chosen_clock(self.backend, clock)
        self._owners = OwnerIds()
        self._prefix = f"{checked_namespace(self.backend, namespace)}:"
        self._mask = SecretMasker(url_passwords(url))
        # connection -> the number of the server clock's last measurement when it was opened
        self._opened_after: weakref.WeakKeyDictionary[redis.connection.AbstractConnection, int] = (
            weakref.WeakKeyDictionary()
        )
        self._timing = threading.local()  # `.measurement`: the one this thread's call times by
        pool = _CheckedPool.from_url(
            url,
            check=self._check_opened_before_measured,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
            socket_timeout=socket_timeout_seconds,
            socket_connect_timeout=socket_timeout_seconds,
            redis_connect_func=self._on_connect,
        )
        self._client: redis.Redis = redis.Redis.from_pool(pool)
        self._closed = False
        self._claim = self._client.register_script(_CLAIM)
        self._checkpoint = self._client.register_script(_CHECKPOINT)
        self._renew = self._client.register_script(_RENEW)
        self._complete = self._client.register_script(_COMPLETE)
        self._release = self._client.register_script(_RELEASE)
        self._nonce = self._client.register_script(_NONCE)
        try:
            self._check_schema()
        except BaseException:
            self._client.close()
            raise

    def _on_connect(self, connection: redis.connection.AbstractConnection) -> None:
        """redis-py's handshake, then the connection noted as opened after the server clock's
        last measurement: it may reach another server (redis-py opens one again by itself when
        the server closed it: a failover; or a new one, which may reach the new server before
        any pooled one is opened again)."""
        connection.on_connect()  # type: ignore[no-untyped-call]  # redis-py's own handshake
        if self._server_clock is not None:
            self._opened_after[connection] = self._server_clock.measurement

    def _check_opened_before_measured(
        self, connection: redis.connection.AbstractConnection
    ) -> None:
        """`_Reconnected` when the pool hands a call's command a connection opened since the
        measurement by which the call computes its times, whichever thread opened it: the
        times go out only once measured after it. The measuring of the clock takes any."""
        timed_by = getattr(self._timing, "measurement", None)
        if self._server_clock is None or timed_by is None:  # no server clock, or measuring it
            return
        if self._opened_after.get(connection, 0) < timed_by:
            return
        self._server_clock.expire()
        raise _Reconnected(
            "a connection opened since this call's times were computed: the server's clock "
            "is measured again"
        )

    def _call(self, action: Callable[[], Any]) -> Any:
        if self._closed:  # redis-py would quietly connect again
            raise StoreUnavailableError(self.backend, "the store was closed")
        try:
            return self._measured_call(action)
        except redis.RedisError as exc:
            if self._server_clock is not None:  # the next connection may reach another server
                self._server_clock.expire()
            detail = self._mask(f"{type(exc).__name__}: {exc}")
            raise StoreUnavailableError(self.backend, detail) from None

    def _measured_call(self, action: Callable[[], Any]) -> Any:
        """`action` once the server's clock is measured; measured and sent again for each
        connection opened under it (a failover closes every pooled one), `_RECONNECTIONS`
        times at most."""
        reconnections = 0
        while True:
            try:
                return self._call_measured_once(action)
            except _Reconnected:  # nothing was sent
                reconnections += 1
                if reconnections > _RECONNECTIONS:
                    raise

    def _call_measured_once(self, action: Callable[[], Any]) -> Any:
        """`action` once the server's clock is measured, noting for the pool's check the
        measurement by which this thread's call computes its times (or a later one)."""
        if self._server_clock is None:
            return action()
        self._server_clock.refresh(self._server_time)
        self._timing.measurement = self._server_clock.measurement
        try:
            return action()
        finally:
            self._timing.measurement = None

    def _timed_call(self, action: Callable[[float], Any]) -> Any:
        """`action` given the time now, read only once `_call` has measured the server's clock
        (again after a failure or a reconnection: it may reach a server with another clock)."""
        return self._call(lambda: action(self._clock()))

    def _server_time(self) -> float:
        seconds, microseconds = self._client.time()
        return seconds + microseconds / 1e6

    def _check_schema(self) -> None:
        key = self._schema_key()
        self._call(lambda: self._client.set(key, SCHEMA_VERSION, nx=True))
        stored = int(self._call(lambda: self._client.get(key)))
        if stored > SCHEMA_VERSION:
            raise StoreUnavailableError(
                self.backend,
                f"schema version {stored} is newer than this adapter (supports {SCHEMA_VERSION})",
            )

    def _schema_key(self) -> str:
        return f"{self._prefix}schema_version"

    def _key(self, key: str) -> str:
        return f"{self._prefix}rec:{key}"

    def _owned_call(
        self, script: Any, key: str, owner: str, args: Callable[[float], list[Any]]
    ) -> None:
        """`script` on a record `owner` must hold; `args` after the owner, from the time now."""
        held = self._timed_call(lambda now: script(keys=[self._key(key)], args=[owner, *args(now)]))
        if not held:
            raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        check_seconds("lease_seconds", lease_seconds)
        check_key(key, fingerprint)
        owner = self._owners.next()

        def claim_at(now: float) -> Any:
            args = [fingerprint, owner, repr(now), repr(now + lease_seconds)]
            return self._claim(keys=[self._key(key)], args=args)

        state, payload, taken_over = self._timed_call(claim_at)
        if state == "completed":
            return Claim(ClaimState.COMPLETED, key, result=load_json(payload))
        if state != "new":
            return Claim(ClaimState(state), key)
        return Claim(
            ClaimState.NEW,
            key,
            owner=owner,
            checkpoint=load_json(payload or None),
            taken_over=taken_over == "1",
        )

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        encoded = dump_object(data)
        self._owned_call(
            self._checkpoint, key, owner, lambda now: [encoded, repr(now + lease_seconds)]
        )

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        check_seconds("lease_seconds", lease_seconds)
        self._owned_call(self._renew, key, owner, lambda now: [repr(now + lease_seconds)])

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        check_seconds("ttl_seconds", ttl_seconds)
        encoded, ttl_ms = dump_object(result), _ttl_ms(ttl_seconds)
        self._owned_call(
            self._complete, key, owner, lambda now: [encoded, repr(now + ttl_seconds), ttl_ms]
        )

    def release(self, key: str, owner: str) -> None:
        self._owned_call(self._release, key, owner, lambda now: [])

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        check_seconds("ttl_seconds", ttl_seconds)
        check_key(nonce)
        key, ttl_ms = f"{self._prefix}nonce:{nonce}", _ttl_ms(ttl_seconds)

        def add_at(now: float) -> Any:
            return self._nonce(keys=[key], args=[repr(now), repr(now + ttl_seconds), ttl_ms])

        return bool(self._timed_call(add_at))

    def get(self, key: str) -> Record | None:
        fields: dict[str, str] = self._call(lambda: self._client.hgetall(self._key(key)))
        if not fields:
            return None
        record = Record(
            key=key,
            fingerprint=fields["fp"],
            owner=fields.get("owner"),
            lease_expires_at=_float(fields.get("lease")),
            checkpoint=load_json(fields.get("checkpoint")),
            result=load_json(fields.get("result")),
            expires_at=_float(fields.get("expires")),
        )
        return retained(record, self._clock())

    def ping(self) -> None:
        """A write that changes nothing (the schema version, set only if missing): a replica
        or a server out of memory refuses it, as it would refuse a claim."""
        self._call(lambda: self._client.set(self._schema_key(), SCHEMA_VERSION, nx=True))

    def close(self) -> None:
        self._closed = True
        self._client.close()
