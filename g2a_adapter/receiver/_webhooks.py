"""Inbound signed webhooks: verification (pure, no I/O but the nonce store) and handling.

Verification runs before any JSON parsing, in this order: body size, headers present and
well formed, signature (constant-time, any configured secret: rotation), timestamp within
±tolerance, nonce never seen (recorded only once the signature is valid), then the body.
The handler claims the event id in the idempotency store, so a redelivered event is
acknowledged without running the service's handler twice.
"""

from __future__ import annotations

import collections
import contextvars
import functools
import hashlib
import hmac
import itertools
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from hmac import compare_digest
from typing import Literal, NamedTuple

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from g2a_adapter import _tracing
from g2a_adapter._errors import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    LeaseLostError,
    WebhookRejectedError,
)
from g2a_adapter._observability import Metrics
from g2a_adapter.idempotency._base import (
    JSON,
    ClaimState,
    Finish,
    IdempotencyStore,
    NonceClaim,
)
from g2a_adapter.wire import (
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
    """A verified order event (this project's signed webhook, docs/g2a-api.md §5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(pattern=_EVENT_ID.pattern)
    type: Literal["order.paid", "order.complete"]
    created_at: datetime
    data: OrderEventData


def _headers_any_case(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """The four `X-G2A-*` headers, stripped, looked up case-insensitively."""
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


def _any_match(
    macs: tuple[_Hmac, ...], head: bytes, body: bytes, provided: tuple[str, ...]
) -> bool:
    """Constant-time: every expected digest (one per secret) meets every provided one."""
    matched = False
    for mac in macs:
        expected = mac.hexdigest(head, body)
        for candidate in provided:
            matched |= compare_digest(expected, candidate)
    return matched


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
        clock: Callable[[], float] | None = None,
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
        self.nonce_ttl_seconds = 2 * tolerance_seconds + 1

    def __repr__(self) -> str:
        return (
            f"WebhookVerifier(secrets=<{len(self._macs)} hidden>, "
            f"tolerance_seconds={self.tolerance_seconds}, max_body_bytes={self.max_body_bytes})"
        )

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> str:
        """Every check but parsing the body; records the nonce once the rest passed.

        Returns the delivery's event id.
        """
        event_id, nonce = self._check(headers, body)
        self._record_nonce(nonce)
        return event_id

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        return self._parse(body, self.authenticate(headers, body))

    def verify_deferring_nonce(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """`verify`, leaving a valid event's nonce for the caller to record with its claim.

        The caller passes `Delivery.nonce_key` to the store with the event's claim
        (`NonceClaim`), so one store call does both. A delivery rejected here gets the same
        answer as from `verify`: a malformed body still records its nonce first.
        """
        event_id, nonce = self._check(headers, body)
        try:
            event = self._parse(body, event_id)
        except WebhookRejectedError:
            self._record_nonce(nonce)
            raise
        return Delivery(event, NONCE_PREFIX + nonce)

    def _check(self, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
        """Size, headers, signature, timestamp: the delivery's event id and nonce.

        The hot path is inlined: this runs per request.
        """
        if len(body) > self.max_body_bytes:
            raise reject("oversized_body", f"more than {self.max_body_bytes} bytes")
        get = headers.get  # the four headers as the signing helper names them, stripped
        event_id, timestamp, nonce, signature = (
            get(HEADER_EVENT_ID, ""),
            get(HEADER_TIMESTAMP, ""),
            get(HEADER_NONCE, ""),
            get(HEADER_SIGNATURE, ""),
        )
        event_id, timestamp = event_id.strip(), timestamp.strip()
        nonce, signature = nonce.strip(), signature.strip()
        if not (event_id and timestamp and nonce and signature):
            event_id, timestamp, nonce, signature = _headers_any_case(headers)
        if len(signature) == 67 and signature.startswith(_SIGNATURE_PREFIX) and signature.isascii():
            provided: tuple[str, ...] = (signature[3:],)  # the common case, inlined
        else:
            provided = _signatures(signature)
        if _FORMATS.fullmatch(f"{timestamp}\n{nonce}\n{event_id}") is None:
            raise _malformed(timestamp, nonce)
        head = f"{timestamp}.{nonce}.".encode()
        if len(self._macs) == 1 and len(provided) == 1:  # the common case, inlined
            matched = compare_digest(self._macs[0].hexdigest(head, body), provided[0])
        else:
            matched = _any_match(self._macs, head, body, provided)
        if not matched:
            for candidate in provided:
                _require_hex(candidate)
            raise reject("bad_signature")
        now = time.time() if self._clock is None else self._clock()  # time.time: freezegun
        skew = now - int(timestamp)
        if skew > self.tolerance_seconds:
            raise reject("stale_timestamp", f"{int(skew)} s old")
        if -skew > self.tolerance_seconds:
            raise reject("future_timestamp", f"{int(-skew)} s ahead")
        return event_id, nonce

    def _record_nonce(self, nonce: str) -> None:
        if not self._add_nonce(NONCE_PREFIX + nonce, self.nonce_ttl_seconds):
            raise reject("replayed_nonce")

    def _parse(self, body: bytes, event_id: str) -> WebhookEvent:
        try:
            event = WebhookEvent.model_validate_json(body)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) or "body" for e in exc.errors()})
            raise reject("malformed_body", ", ".join(fields)) from None
        if event.event_id != event_id:
            raise reject("malformed_header", f"{HEADER_EVENT_ID} differs from the signed body")
        return event


class Delivery(NamedTuple):
    """A verified event whose nonce is still to be recorded (with its claim)."""

    event: WebhookEvent
    nonce_key: str


class HandleResult(NamedTuple):
    status: Literal["processed", "duplicate"]
    event_id: str


class OnceJob(NamedTuple):
    """One action of a `ProcessOnce.run_many` batch, gated by its delivery's nonce."""

    key: str
    payload: bytes
    action: Callable[[], None]
    nonce: str
    nonce_ttl_seconds: float
    context: contextvars.Context | None = None  # the delivery's trace, for the claim's span


# What `run_many` gives per job: True ran now, False duplicate, None nonce replayed, or the
# exception that job ended with.
OnceOutcome = bool | None | Exception
_PROCESSED: JSON = {"status": "processed"}


class ProcessOnce:
    """Runs an action at most once per key across processes, using the idempotency store.

    A key already completed is a duplicate; a key held by a concurrent delivery is waited
    for briefly (then `IdempotencyInProgressError`); a failing action releases the claim so
    the sender's retry can succeed; another payload under the same key is a conflict.
    `run_many` does the same for a batch with two store calls (claim all, finish all).
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
                raise _conflict(key)
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
        self._store.complete(key, owner, _PROCESSED, self._retention)
        return True

    def run_many(self, jobs: Sequence[OnceJob]) -> list[OnceOutcome]:
        """Each job as `run` would, its nonce recorded with its claim; outcomes in order.

        Jobs sharing a key run in successive rounds, so each sees the earlier one's
        outcome exactly as sequential deliveries would.
        """
        outcomes: list[OnceOutcome] = [None] * len(jobs)
        pending = list(range(len(jobs)))
        while pending:
            keys: set[str] = set()
            this_round: list[int] = []
            later: list[int] = []
            for i in pending:
                (later if jobs[i].key in keys else this_round).append(i)
                keys.add(jobs[i].key)
            self._round([jobs[i] for i in this_round], this_round, outcomes)
            pending = later
        return outcomes

    def _round(self, jobs: list[OnceJob], slots: list[int], outcomes: list[OnceOutcome]) -> None:
        """Jobs with distinct keys: claim all, run the new ones, finish all."""
        requests = [
            NonceClaim(
                j.nonce, j.nonce_ttl_seconds, j.key, hashlib.sha256(j.payload).hexdigest(),
                self._lease,
            )
            for j in jobs
        ]  # fmt: skip
        try:
            with _tracing.child_spans([j.context for j in jobs], "G2A webhook claim") as spans:
                claims = self._store.claim_many(requests)
                for span, claim in zip(spans, claims, strict=True):
                    state = "replayed_nonce" if claim is None else claim.state.value
                    _tracing.annotate(span, "g2a.claim.state", state)
        except Exception as exc:
            for i in slots:
                outcomes[i] = exc
            return
        owned: list[tuple[int, OnceJob, str]] = []
        waiting: list[tuple[int, OnceJob]] = []
        for i, job, claim in zip(slots, jobs, claims, strict=True):
            if claim is None or claim.state is ClaimState.COMPLETED:
                outcomes[i] = None if claim is None else False
            elif claim.state is ClaimState.MISMATCH:
                outcomes[i] = _conflict(job.key)
            elif claim.state is ClaimState.NEW:
                owned.append((i, job, claim.owner or ""))
            else:
                waiting.append((i, job))
        self._run_owned(owned, outcomes)
        for i, job in waiting:  # held by another delivery: wait for it, as `run` does
            try:
                outcomes[i] = self.run(job.key, job.payload, job.action)
            except Exception as exc:
                outcomes[i] = exc

    def _run_owned(
        self, owned: list[tuple[int, OnceJob, str]], outcomes: list[OnceOutcome]
    ) -> None:
        """Run the claimed actions; complete the ones that succeeded, release the rest."""
        finishes: list[Finish] = []
        try:
            for i, job, owner in owned:
                try:
                    job.action()
                except Exception as exc:
                    outcomes[i] = exc
                    finishes.append(Finish(job.key, owner, None))
                else:
                    outcomes[i] = True
                    finishes.append(Finish(job.key, owner, _PROCESSED, self._retention))
        finally:  # also when an action raised BaseException: release what did not run
            finishes += [Finish(job.key, owner, None) for _, job, owner in owned[len(finishes) :]]
            self._finish(owned, finishes, outcomes)

    def _finish(
        self,
        owned: list[tuple[int, OnceJob, str]],
        finishes: list[Finish],
        outcomes: list[OnceOutcome],
    ) -> None:
        failure: Exception | None = None
        try:
            held = self._store.finish_many(finishes)
        except Exception as exc:  # the results were not recorded: the sender must retry
            held, failure = [False] * len(finishes), exc
        for (i, job, _), finish, ok in zip(owned, finishes, held, strict=True):
            if not ok and finish.result is not None:
                outcomes[i] = failure or LeaseLostError(
                    f"lease on {job.key!r} was taken over before its result was recorded"
                )


def _conflict(key: str) -> IdempotencyConflictError:
    return IdempotencyConflictError(f"{key!r} was already used with another payload")


class Inbound(NamedTuple):
    """One delivery as received; `context` carries its trace into the worker (receiver)."""

    headers: Mapping[str, str]
    body: bytes
    context: contextvars.Context | None = None


Deliveries = Sequence[Inbound | tuple[Mapping[str, str], bytes]]


def record_rejection(metrics: Metrics, exc: WebhookRejectedError) -> None:
    """Count a rejected delivery and log it, with its reason, once."""
    metrics.webhook_validation_failures_total.labels(exc.reason).inc()
    logger.warning("g2a.webhook.rejected reason=%s", exc.reason, extra={"reason": exc.reason})


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

    def _count(self, event_type: str, outcome: str, amount: int) -> None:
        if not outcome:  # a replayed nonce: counted as a validation failure instead
            return
        counter = self._counters.get((event_type, outcome))
        if counter is None:
            counter = self._metrics.webhook_events_total.labels(event_type, outcome)
            self._counters[(event_type, outcome)] = counter
        counter.inc(amount)

    def _rejected(self, exc: WebhookRejectedError) -> WebhookRejectedError:
        record_rejection(self._metrics, exc)
        return exc

    def handle(self, headers: Mapping[str, str], body: bytes) -> HandleResult:
        """One delivery: its result, or the exception it ended with, raised."""
        (outcome,) = self.handle_many([(headers, body)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def handle_many(self, deliveries: Deliveries) -> list[HandleResult | Exception]:
        """Several deliveries with two store calls; a result or an exception for each.

        Rejections are `WebhookRejectedError`; a failing handler's own exception, or
        `IdempotencyInProgressError` / `IdempotencyConflictError`, as `handle` raises them.
        """
        outcomes: dict[int, HandleResult | Exception] = {}
        jobs: list[OnceJob] = []
        accepted: list[tuple[int, WebhookEvent]] = []
        ttl = self.verifier.nonce_ttl_seconds
        for slot, item in enumerate(deliveries):
            headers, body, context = Inbound(*item)
            try:
                delivery = self.verifier.verify_deferring_nonce(headers, body)
            except WebhookRejectedError as exc:
                outcomes[slot] = self._rejected(exc)
                continue
            event = delivery.event
            accepted.append((slot, event))
            handler = functools.partial(self._handler, event)
            action = _tracing.in_context(context, "G2A webhook handler", handler)
            key = EVENT_KEY_PREFIX + event.event_id
            jobs.append(OnceJob(key, body, action, delivery.nonce_key, ttl, context))
        counts: collections.Counter[tuple[str, str]] = collections.Counter()
        for (slot, event), outcome in zip(accepted, self._once.run_many(jobs), strict=True):
            outcomes[slot], label = self._result(event, outcome)
            counts[event.type, label] += 1
        for (event_type, label), count in counts.items():
            self._count(event_type, label, count)
        return [outcomes[slot] for slot in range(len(deliveries))]

    def _result(
        self, event: WebhookEvent, outcome: OnceOutcome
    ) -> tuple[HandleResult | Exception, str]:
        """The delivery's answer, and its `result` label for the events counter."""
        if outcome is None:
            return self._rejected(reject("replayed_nonce")), ""
        if isinstance(outcome, IdempotencyInProgressError):
            return outcome, "in_progress"
        if isinstance(outcome, IdempotencyConflictError):
            return outcome, "conflict"
        if isinstance(outcome, Exception):
            return outcome, "failed"
        status: Literal["processed", "duplicate"] = "processed" if outcome else "duplicate"
        return HandleResult(status, event.event_id), status
