"""The checkpointed purchase: create → pay → poll details → key, never twice per key.

A purchase is keyed by the caller's idempotency key and claimed in the idempotency store with
a fingerprint of its arguments. Progress is written to the store *before* each
non-idempotent call and *after* each step, so a re-run after a crash knows exactly where it
stands:

| checkpoint `step` | meaning on resume |
|---|---|
| (none) | start: create the order |
| `creating` | a create was sent and its answer lost: create again (see below) |
| `created` | order exists, unpaid: pay it |
| `paying` | a pay was sent and its answer lost: pay again only if details say `new` |
| `paid` | poll details until complete |
| `ready` | fetch the key |
| `fetching_key` | fetch the key; ORD004 then means an earlier attempt got it and lost it |

The stepping is pure (`next_step`); store calls and sleeps are actions of the flow.

A lost create answer is resumed by creating a new order. This cannot charge twice: G2A charges
only on the explicit pay call, and a purchase pays only an order whose id it has recorded, so
an order whose id was lost is never paid; it merely holds a stock reservation until G2A lets it
lapse (30 minutes, docs/g2a-api.md §1). A warning is logged so the orphan can be traced.

The create and pay requests of a purchase carry `X-Purchase-Key`, a digest of its idempotency
key (never the key itself, and always a valid header value), so the orders of one purchase can
be told apart on the other side (the twin records it; the load verdict counts paid orders per
key). G2A documents no such header (docs/g2a-api.md); like `X-Correlation-Id` it is an
extension header, which recipients that do not know it ignore (RFC 9110 §5.1). Its name is
deliberately not `Idempotency-Key`: a server implementing that draft standard would refuse the
pay for reusing the key of the create.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from g2a_adapter._errors import (
    G2AApiError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    OutcomeUnknownError,
    PurchasePendingError,
    RequestValidationError,
    TransportError,
)
from g2a_adapter.client._core import Flow, PurchaseStep, Sleep, StoreCall
from g2a_adapter.client._models import CreateOrderRequest, OrderKey, PurchaseResult
from g2a_adapter.idempotency._base import JSON, Claim, ClaimState, IdempotencyStore

if TYPE_CHECKING:
    from g2a_adapter.client._orders import OrderCalls

LEASE_SECONDS = 120.0
RESULT_TTL_SECONDS = 30 * 24 * 3600.0
CLAIM_POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 200
KEY_ALREADY_DOWNLOADED = "ORD004"
UNPAID_STATUS = "new"

logger = logging.getLogger("g2a_adapter.purchase")
Saver = Callable[[JSON], Flow[None]]

_NEXT_STEP = {
    None: "create",
    "creating": "recreate",
    "created": "pay",
    "paying": "reconcile_pay",
    "paid": "poll",
    "ready": "key",
    "fetching_key": "key",
}


def next_step(progress: JSON) -> str:
    """What to do next given the stored checkpoint."""
    return _NEXT_STEP[progress.get("step")]


def purchase_key_digest(idempotency_key: str) -> str:
    """128 bits of SHA-256: tells keys apart, reveals nothing, fits any header."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PurchaseRequest:
    order: CreateOrderRequest
    idempotency_key: str
    poll_interval: float
    poll_timeout: float
    wait_timeout: float

    def __post_init__(self) -> None:
        key = self.idempotency_key
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise RequestValidationError(
                f"idempotency_key must be a non-empty string of at most {MAX_KEY_LENGTH} chars"
            )
        if self.poll_interval < 0 or self.poll_timeout < 0 or self.wait_timeout < 0:
            raise RequestValidationError("poll and wait times must not be negative")

    def purchase_key(self) -> str:
        """The value of `X-Purchase-Key`: a digest of the idempotency key."""
        return purchase_key_digest(self.idempotency_key)

    def step(self, name: str) -> PurchaseStep:
        """What a call of step `name` carries into its log line and span."""
        return PurchaseStep(name, self.purchase_key())

    def fingerprint(self) -> str:
        """Hash of the arguments that define the purchase (same key + other args = conflict)."""
        canonical = json.dumps(self.order.body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class PurchaseFlow:
    def __init__(self, calls: OrderCalls, store: IdempotencyStore) -> None:
        self._calls = calls
        self._store = store

    def run(self, request: PurchaseRequest) -> Flow[PurchaseResult]:
        claim = yield from self._claim(request)
        if claim.state is ClaimState.COMPLETED:
            assert claim.result is not None
            return PurchaseResult(**claim.result, resumed=True)
        key, owner = request.idempotency_key, claim.owner
        assert owner is not None
        try:
            result = yield from self._advance(request, owner, dict(claim.checkpoint or {}))
        except Exception:
            yield from self._release(key, owner)
            raise
        try:
            yield StoreCall(partial(self._store.complete, key, owner, result, RESULT_TTL_SECONDS))
        except Exception as exc:  # the key is in hand: hand it over rather than lose it
            logger.error(
                "purchase idempotency_key=%s completed but its result could not be stored (%s); "
                "a re-run with this key cannot return it again",
                request.purchase_key(),
                type(exc).__name__,
            )
        return PurchaseResult(**result, resumed=claim.checkpoint is not None)

    def _claim(self, request: PurchaseRequest) -> Flow[Claim]:
        key = request.idempotency_key
        lease = LEASE_SECONDS + request.poll_timeout
        deadline = time.monotonic() + request.wait_timeout
        while True:
            claim: Claim = yield StoreCall(
                partial(self._store.claim, key, request.fingerprint(), lease)
            )
            if claim.state is ClaimState.MISMATCH:
                raise IdempotencyConflictError(
                    f"idempotency key {key!r} was already used with other purchase arguments"
                )
            if claim.state is not ClaimState.IN_PROGRESS:
                return claim
            if time.monotonic() >= deadline:
                raise IdempotencyInProgressError(
                    f"purchase {key!r} is in progress elsewhere; try again later"
                )
            yield Sleep(CLAIM_POLL_SECONDS)

    def _save(self, request: PurchaseRequest, owner: str, progress: JSON) -> Flow[None]:
        lease = LEASE_SECONDS + request.poll_timeout
        yield StoreCall(
            partial(self._store.checkpoint, request.idempotency_key, owner, progress, lease)
        )

    def _release(self, key: str, owner: str) -> Flow[None]:
        try:
            yield StoreCall(partial(self._store.release, key, owner))
        except Exception as exc:  # the lease expires on its own; keep the original error
            logger.warning(
                "could not release purchase lease idempotency_key=%s: %s",
                purchase_key_digest(key),
                type(exc).__name__,
            )

    def _advance(self, request: PurchaseRequest, owner: str, progress: JSON) -> Flow[JSON]:
        save = partial(self._save, request, owner)
        while True:
            step = next_step(progress)
            if step == "key":
                order_key = yield from self._fetch_key(request, progress, save)
                return {
                    "order_id": progress["order_id"],
                    "transaction_id": progress.get("transaction_id"),
                    "key": order_key.key,
                    "price": progress["price"],
                    "currency": progress["currency"],
                }
            progress = yield from self._step(step, request, progress, save)
            yield from save(progress)

    def _step(self, step: str, request: PurchaseRequest, progress: JSON, save: Saver) -> Flow[JSON]:
        """Run one step; return the progress to record after it."""
        if step == "recreate":
            logger.warning(
                "purchase idempotency_key=%s: an earlier order create lost its answer; creating "
                "a new order (the lost one, if it exists, is never paid and its reservation "
                "lapses)",
                request.purchase_key(),
            )
        if step in ("create", "recreate"):
            yield from save({"step": "creating"})
            try:
                created = yield from self._calls.create(
                    request.order, purchase=request.step("create")
                )
            except (G2AApiError, TransportError) as exc:
                if not isinstance(exc, OutcomeUnknownError):  # refused: nothing was created
                    yield from save({})
                raise
            return {
                "step": "created",
                "order_id": created.order_id,
                "price": created.price,
                "currency": created.currency,
            }
        order_id = progress["order_id"]
        if step == "reconcile_pay":
            details = yield from self._calls.details(order_id, purchase=request.step(step))
            if details.status == UNPAID_STATUS:  # only a certainly unpaid order is paid again
                return {**progress, "step": "created"}
            return {**progress, "step": "paid", "transaction_id": None}
        if step == "pay":
            yield from save({**progress, "step": "paying"})
            payment = yield from self._calls.pay(order_id, purchase=request.step("pay"))
            return {**progress, "step": "paid", "transaction_id": payment.transaction_id}
        yield from self._poll(order_id, request)
        return {**progress, "step": "ready"}

    def _fetch_key(self, request: PurchaseRequest, progress: JSON, save: Saver) -> Flow[OrderKey]:
        retried = progress.get("step") == "fetching_key"
        yield from save({**progress, "step": "fetching_key"})
        try:
            order_key: OrderKey = yield from self._calls.key(
                progress["order_id"], purchase=request.step("key")
            )
        except G2AApiError as exc:
            if retried and exc.code == KEY_ALREADY_DOWNLOADED:
                raise OutcomeUnknownError(
                    f"the key of order {progress['order_id']} was handed to an earlier attempt "
                    "that did not record it; look it up in G2A's dashboard"
                ) from exc
            raise
        return order_key

    def _poll(self, order_id: str, request: PurchaseRequest) -> Flow[None]:
        deadline = time.monotonic() + request.poll_timeout
        while True:
            details = yield from self._calls.details(order_id, purchase=request.step("poll"))
            if details.complete:
                return
            if time.monotonic() >= deadline:
                raise PurchasePendingError(
                    f"order {order_id} is {details.status!r}, not complete after "
                    f"{request.poll_timeout}s; re-run the purchase with the same key to resume"
                )
            yield Sleep(request.poll_interval)
