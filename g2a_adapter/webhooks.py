"""Inbound signed webhooks: verification (pure, no I/O but the nonce store) and handling.

Verification runs before any JSON parsing, in this order: body size, headers present and
well formed, signature (constant-time, any configured secret: rotation), timestamp within
±tolerance, nonce never seen (recorded only once the signature is valid), then the body.
The handler claims the event id in the idempotency store, so a redelivered event is
acknowledged without running the service's handler twice.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from hmac import compare_digest
from typing import Literal

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from g2a_adapter.errors import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    WebhookRejectedError,
)
from g2a_adapter.idempotency.base import ClaimState, IdempotencyStore
from g2a_adapter.observability import Metrics
from g2a_adapter.signing import (
    HEADER_EVENT_ID,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    WEBHOOK_HEADERS,
    WEBHOOK_SIGNATURE_VERSION,
)

logger = logging.getLogger("g2a_adapter")

# Rejection reasons (the `reason` metrics label) and the HTTP status each one maps to.
REJECTION_STATUS: dict[str, int] = {
    "missing_header": 401,
    "malformed_header": 400,
    "bad_signature": 401,
    "stale_timestamp": 401,
    "future_timestamp": 401,
    "replayed_nonce": 401,
    "malformed_body": 400,
    "oversized_body": 413,
}

_TIMESTAMP = r"[0-9]{1,12}"  # unix seconds
_NONCE = r"[A-Za-z0-9._~-]{8,128}"
_EVENT_ID_CHARS = r"[A-Za-z0-9._:-]{1,128}"
_EVENT_ID = re.compile(rf"^{_EVENT_ID_CHARS}$")
# The three formats in one match (one regex call per request): "{timestamp}\n{nonce}\n{id}".
_FORMATS = re.compile(rf"{_TIMESTAMP}\n{_NONCE}\n{_EVENT_ID_CHARS}")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")  # anchored by match() at the start
_MAX_SIGNATURES = 8
_SIGNATURE_PREFIX = f"{WEBHOOK_SIGNATURE_VERSION}="
NONCE_PREFIX = "webhook-nonce:"
EVENT_KEY_PREFIX = "webhook-event:"


def reject(reason: str, detail: str = "") -> WebhookRejectedError:
    return WebhookRejectedError(reason, REJECTION_STATUS[reason], detail)


class OrderEventData(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    order_id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    price: float
    currency: str = Field(min_length=3, max_length=3)


class WebhookEvent(BaseModel):
    """A verified order event (design.md: Signed webhook)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(pattern=_EVENT_ID.pattern)
    type: Literal["order.paid", "order.complete"]
    created_at: datetime
    data: OrderEventData


def _wall_clock() -> float:
    return time.time()  # looked up at call time, so freezegun applies


def _required_headers(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """The four `X-G2A-*` headers, stripped; looked up as sent, then case-insensitively."""
    get = headers.get
    found = get(HEADER_EVENT_ID), get(HEADER_TIMESTAMP), get(HEADER_NONCE), get(HEADER_SIGNATURE)
    if found[0] and found[1] and found[2] and found[3]:
        values = found[0].strip(), found[1].strip(), found[2].strip(), found[3].strip()
        if values[0] and values[1] and values[2] and values[3]:
            return values
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    for name in WEBHOOK_HEADERS:
        if not lowered.get(name.lower()):
            raise reject("missing_header", name)
    event_id, timestamp, nonce, signature = (lowered[name.lower()] for name in WEBHOOK_HEADERS)
    return event_id, timestamp, nonce, signature


def _signatures(header: str) -> tuple[str, ...]:
    """The `v1=` values of `X-G2A-Signature`; other versions are ignored.

    The common case (one `v1=` value of hex length, inlined in `authenticate`) skips the hex
    check: a value that matches an expected digest is hex, and `_require_hex` classifies the
    ones that did not match.
    """
    parts = [p.strip() for p in header.split(",")]
    if len(parts) > _MAX_SIGNATURES:
        raise reject("malformed_header", f"{HEADER_SIGNATURE}: over {_MAX_SIGNATURES} values")
    found = []
    for part in parts:
        version, sep, value = part.partition("=")
        if not sep or not version:
            raise reject("malformed_header", HEADER_SIGNATURE)
        if version == WEBHOOK_SIGNATURE_VERSION:
            _require_hex(value)
            found.append(value)
    if not found:
        raise reject("malformed_header", f"{HEADER_SIGNATURE}: no {_SIGNATURE_PREFIX} value")
    return tuple(found)


def _malformed(timestamp: str, nonce: str) -> WebhookRejectedError:
    """Which of the timestamp, nonce and event id headers broke `_FORMATS`."""
    if re.fullmatch(_TIMESTAMP, timestamp) is None:
        return reject("malformed_header", f"{HEADER_TIMESTAMP} is not unix seconds")
    if re.fullmatch(_NONCE, nonce) is None:
        return reject("malformed_header", f"{HEADER_NONCE} must be 8-128 URL-safe chars")
    return reject("malformed_header", HEADER_EVENT_ID)


def _require_hex(value: str) -> None:
    if not _HEX64.match(value):
        raise reject("malformed_header", f"{HEADER_SIGNATURE} is not hex SHA-256")


_SHA256_BLOCK = 64


class _Hmac:
    """HMAC-SHA256 (RFC 2104) of one secret, with its key schedule computed once.

    Gives exactly `hmac.new(secret, message, sha256).hexdigest()` (a test pins this for any
    key and message); each call copies the two precomputed SHA-256 states (key XOR ipad,
    key XOR opad) instead of deriving them from the key again, the way `hmac` does per call.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, secret: bytes) -> None:
        if len(secret) > _SHA256_BLOCK:
            secret = hashlib.sha256(secret).digest()
        key = secret.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(hmac.trans_36))
        self._outer = hashlib.sha256(key.translate(hmac.trans_5C))

    def hexdigest(self, head: bytes, body: bytes) -> str:
        """The MAC of `head + body`, without concatenating them."""
        inner = self._inner.copy()
        inner.update(head)
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class WebhookVerifier:
    """Verifies `X-G2A-*` signed deliveries; `verify` raises `WebhookRejectedError(reason)`."""

    def __init__(
        self,
        secrets: list[str],
        store: IdempotencyStore,
        *,
        tolerance_seconds: int = 300,
        max_body_bytes: int = 65536,
        clock: Callable[[], float] = _wall_clock,
    ) -> None:
        if not secrets or not all(secrets):
            raise ValueError("at least one non-empty webhook secret is required")
        if tolerance_seconds <= 0 or max_body_bytes <= 0:
            raise ValueError("tolerance_seconds and max_body_bytes must be positive")
        self._macs = tuple(_Hmac(s.encode()) for s in secrets)
        self._add_nonce = store.add_nonce
        self.tolerance_seconds = tolerance_seconds
        self.max_body_bytes = max_body_bytes
        self._clock = clock
        # A timestamp is valid for 2 x tolerance; a nonce kept that long cannot be replayed.
        self._nonce_ttl = 2 * tolerance_seconds + 1

    def __repr__(self) -> str:
        return (
            f"WebhookVerifier(secrets=<{len(self._macs)} hidden>, "
            f"tolerance_seconds={self.tolerance_seconds}, max_body_bytes={self.max_body_bytes})"
        )

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> str:
        """Every check but parsing the body; records the nonce once the rest passed.

        Returns the delivery's event id. The hot path is inlined: this runs per request.
        """
        if len(body) > self.max_body_bytes:
            raise reject("oversized_body", f"more than {self.max_body_bytes} bytes")
        event_id, timestamp, nonce, signature = _required_headers(headers)
        if len(signature) == 67 and signature.startswith(_SIGNATURE_PREFIX) and signature.isascii():
            provided: tuple[str, ...] = (signature[3:],)  # the common case, inlined
        else:
            provided = _signatures(signature)
        if _FORMATS.fullmatch(f"{timestamp}\n{nonce}\n{event_id}") is None:
            raise _malformed(timestamp, nonce)
        head = f"{timestamp}.{nonce}.".encode()
        matched = False  # constant-time: every expected digest meets every provided one
        for mac in self._macs:
            expected = mac.hexdigest(head, body)
            for candidate in provided:
                matched |= compare_digest(expected, candidate)
        if not matched:
            for candidate in provided:
                _require_hex(candidate)
            raise reject("bad_signature")
        skew = self._clock() - int(timestamp)
        if skew > self.tolerance_seconds:
            raise reject("stale_timestamp", f"{int(skew)} s old")
        if -skew > self.tolerance_seconds:
            raise reject("future_timestamp", f"{int(-skew)} s ahead")
        if not self._add_nonce(NONCE_PREFIX + nonce, self._nonce_ttl):
            raise reject("replayed_nonce")
        return event_id

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        event_id = self.authenticate(headers, body)
        try:
            event = WebhookEvent.model_validate_json(body)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) or "body" for e in exc.errors()})
            raise reject("malformed_body", ", ".join(fields)) from None
        if event.event_id != event_id:
            raise reject("malformed_header", f"{HEADER_EVENT_ID} differs from the signed body")
        return event


@dataclass(frozen=True)
class HandleResult:
    status: Literal["processed", "duplicate"]
    event_id: str


class ProcessOnce:
    """Runs an action at most once per key across processes, using the idempotency store.

    A key already completed is a duplicate; a key held by a concurrent delivery is waited
    for briefly (then `IdempotencyInProgressError`); a failing action releases the claim so
    the sender's retry can succeed; another payload under the same key is a conflict.
    """

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        lease_seconds: float = 30.0,
        retention_seconds: float = 7 * 24 * 3600.0,
        in_progress_wait_seconds: float = 1.0,
        poll_seconds: float = 0.01,
    ) -> None:
        self._store = store
        self._lease = lease_seconds
        self._retention = retention_seconds
        self._wait = in_progress_wait_seconds
        self._poll = poll_seconds

    def run(self, key: str, payload: bytes, action: Callable[[], None]) -> bool:
        """True if `action` ran now, False for a duplicate."""
        fingerprint = hashlib.sha256(payload).hexdigest()
        polls = max(0, round(self._wait / self._poll)) if self._poll > 0 else 0
        for attempt in itertools.count():
            claim = self._store.claim(key, fingerprint, self._lease)
            if claim.state is ClaimState.COMPLETED:
                return False
            if claim.state is ClaimState.MISMATCH:
                raise IdempotencyConflictError(f"{key!r} was already used with another payload")
            if claim.state is ClaimState.NEW:
                break
            if attempt >= polls:
                raise IdempotencyInProgressError(f"{key!r} is being processed by another delivery")
            time.sleep(self._poll)
        owner = claim.owner or ""
        try:
            action()
        except BaseException:
            self._store.release(key, owner)
            raise
        self._store.complete(key, owner, {"status": "processed"}, self._retention)
        return True


class WebhookHandler:
    """verify → claim the event id → the service's handler → complete (exactly once)."""

    def __init__(
        self,
        verifier: WebhookVerifier,
        store: IdempotencyStore,
        handler: Callable[[WebhookEvent], None],
        metrics: Metrics,
        *,
        once: ProcessOnce | None = None,
    ) -> None:
        self.verifier = verifier
        self._handler = handler
        self._metrics = metrics
        self._once = once or ProcessOnce(store)
        # Prometheus children per (type, outcome): both are closed sets (a Literal type and
        # four outcomes), so the cache stays tiny and `labels()` is not looked up per event.
        self._counters: dict[tuple[str, str], Counter] = {}

    def _count(self, event_type: str, outcome: str) -> None:
        counter = self._counters.get((event_type, outcome))
        if counter is None:
            counter = self._metrics.webhook_events_total.labels(event_type, outcome)
            self._counters[(event_type, outcome)] = counter
        counter.inc()

    def handle(self, headers: Mapping[str, str], body: bytes) -> HandleResult:
        try:
            event = self.verifier.verify(headers, body)
        except WebhookRejectedError as exc:
            self._metrics.webhook_validation_failures_total.labels(exc.reason).inc()
            logger.warning("g2a.webhook.rejected", extra={"reason": exc.reason})
            raise
        outcome = "failed"
        try:
            ran = self._once.run(
                EVENT_KEY_PREFIX + event.event_id, body, lambda: self._handler(event)
            )
        except IdempotencyInProgressError:
            outcome = "in_progress"
            raise
        except IdempotencyConflictError:
            outcome = "conflict"
            raise
        else:
            status: Literal["processed", "duplicate"] = "processed" if ran else "duplicate"
            outcome = status
            return HandleResult(status, event.event_id)
        finally:
            self._count(event.type, outcome)
