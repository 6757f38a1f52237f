"""The checkpointed purchase: create → pay → poll details → key, never twice per key.

A purchase is keyed by the caller's idempotency key and claimed in the idempotency store with
a fingerprint of its arguments. Progress is written to the store *before* each
non-idempotent call and *after* each step, so a re-run after a crash knows exactly where it
stands. The one exception is the first create of a purchase with nothing recorded yet: only
the lease is renewed before it (the fence), so a create G2A refuses outright leaves no
checkpoint and the release frees the key (another try, even with other arguments, starts
afresh); a lease taken over without a checkpoint is therefore read as `creating`. That errs on
the safe side: a holder that died after its claim but before sending its create is also counted
as an abandoned order of unknown id.

| checkpoint `step` | meaning on resume |
|---|---|
| (none) | start: create the order (a lease taken over without a checkpoint: as `creating`) |
| `creating` | a create was sent and its answer lost: record it as abandoned, create again |
| `created` | order exists, unpaid: pay it |
| `paying` | a pay was sent and its answer lost: pay again only if details say `new` |
| `paid` | poll details until complete |
| `ready` | fetch the key |
| `fetching_key` | fetch the key; ORD004 then means an earlier attempt got it and lost it |
| `key_lost` | the key was handed to an answer that never arrived: `KeyDeliveryLostError` at once |

The stepping is pure (`next_step`); store calls and sleeps are actions of the flow.

**Retention.** A completed purchase's result is kept `RESULT_TTL_SECONDS` (30 days): within
them a re-run with its key returns it (`resumed=True`) and never buys again; after them the
key is forgotten and the same key buys again.

**Price limit.** G2A takes `max_price` in EUR and should refuse to create an order above it;
an order it creates in EUR above `max_price` anyway is never paid: it is logged and counted as
abandoned and the purchase ends in `ResponseFormatError` (an order in another currency cannot be
compared). As after a refused create, the key is then free again (for a higher `max_price`,
say) unless earlier orders of the purchase were recorded as abandoned: then it is recorded with
them. An empty key in the key answer is an unreadable answer, like any other.

**Unknown outcomes.** G2A did nothing when it answers 429 (its rate limiter refuses before the
call runs) or when the request never left (connect errors); the client retries those. Any 5xx,
a reset or a timeout after the request was sent, or an unreadable 2xx, leave a create, pay or
key fetch *ambiguous*: the purchase then resolves the question itself instead of guessing:
- create: a new order is created (at most `MAX_CREATES` per run). This cannot charge twice:
  G2A charges only on the explicit pay call and a purchase pays only an order whose id it has
  recorded; the given-up create is recorded in the checkpoint's `abandoned_orders` (its order
  id when known), logged and counted in `g2a_purchase_orders_abandoned_total`; its
  reservation lapses (30 minutes, docs/g2a-api.md §1).
- pay: order details decide; an order they show as paid (a known word: `paid`, `pending`,
  `complete`) is reported as paid (any answer that means "already paid" is resolved the same
  way), with the transaction id when it is known; only one they show `new` is paid again.
  An order G2A will no longer take payment for (`ORD114`, its 30-minute reservation lapsed,
  e.g. on a re-run long after an ambiguous pay) is recorded as abandoned, whatever word its
  details show unless a paid one, and the purchase starts again from a new order, once per run.
  Details in a word G2A publishes for neither (`expired`, say) end the run in
  `UnknownOrderStatusError`: such an order is neither paid again nor waited on as paid.
- key: the key is asked for once more at once; G2A either hands it over (the first answer
  never left) or answers ORD004, and then the key is lost: `KeyDeliveryLostError`, counted in
  `g2a_key_delivery_lost_total`, logged at ERROR; the key is stored in the step that receives it.

**Leases.** The claim's lease is short and renewed (`LeaseKeeper`) while the purchase runs, so a
crashed holder frees the key within `G2A_PURCHASE_LEASE_MS` (default 15 s); every checkpoint
write is fenced by the lease's owner token, so a holder whose lease was taken over stops before
sending anything else.

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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from g2a_adapter._errors import (
    ClientClosedError,
    ConfigError,
    G2AApiError,
    G2AError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    KeyDeliveryLostError,
    LeaseLostError,
    OutcomeUnknownError,
    PurchasePendingError,
    RequestValidationError,
    ResponseFormatError,
    TransportError,
    UnknownOrderStatusError,
)
from g2a_adapter._logging import key_digest
from g2a_adapter._metrics import Metrics
from g2a_adapter.client._core import Flow, PurchaseStep, Sleep, StoreCall
from g2a_adapter.client._models import (
    CreateOrderRequest,
    OrderCreated,
    OrderDetails,
    OrderKey,
    PaymentResult,
    PurchaseResult,
)
from g2a_adapter.client._purchase_results import result_of
from g2a_adapter.idempotency._base import JSON, Claim, ClaimState, IdempotencyStore, Record
from g2a_adapter.idempotency._codec import lease_holder
from g2a_adapter.idempotency._heartbeat import LeaseKeeper


class OrderSteps(Protocol):
    """The four order calls a purchase drives (`_orders.OrderCalls` provides them)."""

    def create(
        self, request: CreateOrderRequest, *, purchase: PurchaseStep | None = None
    ) -> Flow[OrderCreated]: ...
    def pay(
        self, order_id: str, *, purchase: PurchaseStep | None = None
    ) -> Flow[PaymentResult]: ...
    def details(
        self, order_id: str, *, purchase: PurchaseStep | None = None
    ) -> Flow[OrderDetails]: ...
    def key(self, order_id: str, *, purchase: PurchaseStep | None = None) -> Flow[OrderKey]: ...


RESULT_TTL_SECONDS = 30 * 24 * 3600.0
CLAIM_POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 200
MAX_CREATES = 3  # creates per run when their outcomes stay unknown
KEY_ALREADY_DOWNLOADED = "ORD004"
ORDER_EXPIRED = "ORD114"  # "Payment too late": the reservation lapsed (docs/g2a-api.md §1)

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
    "key_lost": "key",
}


def next_step(progress: JSON) -> str:
    """What to do next given the stored checkpoint."""
    return _NEXT_STEP[progress.get("step")]


class _Unrecorded(Exception):
    """An order was created and nothing in the store says so: the claim is not released (a
    release without a checkpoint would forget the key), so its lease lapses and the next run
    reads the key as `creating` (`progress_of`) and records the order as abandoned."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def progress_of(claim: Claim) -> JSON:
    """Where the claim's earlier holders stopped. A holder that lost its lease before
    recording anything may have sent its first create (fenced, not recorded: see `_create`)."""
    if claim.checkpoint is None and claim.taken_over:
        return {"step": "creating"}
    return dict(claim.checkpoint or {})


def in_progress_error(
    key: str, record: Record | None, lease_seconds: float
) -> IdempotencyInProgressError:
    """Who holds the purchase and until when, as far as the store knows."""
    holder = lease_holder(record.owner if record else None)
    until = record.lease_expires_at if record else None
    when = "" if until is None else " until " + datetime.fromtimestamp(until, UTC).isoformat()
    return IdempotencyInProgressError(
        f"purchase {key!r} is in progress: held by {holder}{when} (renewed while it runs; "
        "the lease of a holder that crashed or was cancelled lapses "
        f"within {lease_seconds:g} s); try again after that",
        holder,
        until,
    )


class _OrderExpired(Exception):
    """G2A refused to pay an order whose reservation lapsed (`ORD114`): the purchase starts
    again from a new order with `progress` (the expired one recorded as abandoned)."""

    def __init__(self, error: G2AApiError, progress: JSON) -> None:
        super().__init__(str(error))
        self.error = error
        self.progress = progress


def _with_abandoned(progress: JSON, abandoned: list[JSON]) -> JSON:
    return {**progress, "abandoned_orders": abandoned} if abandoned else progress


def _note_abandoned(error: Exception, abandoned: list[JSON]) -> None:
    """Tell the caller, on the error that ends the purchase, of the creates it gave up: each
    may be an unpaid order holding stock (the last unit, say) until its reservation lapses."""
    if abandoned:
        error.add_note(
            f"this purchase gave up {len(abandoned)} order create(s) whose answer was lost: "
            "G2A may hold them as unpaid orders reserving stock for up to 30 minutes (see the "
            "purchase's checkpoint, `abandoned_orders`, and g2a_purchase_orders_abandoned_total)"
        )


def _is_duration(value: object) -> bool:
    """A finite, non-negative number of seconds (not a bool, not NaN or infinity)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


@dataclass(frozen=True)
class PurchaseRequest:
    order: CreateOrderRequest
    idempotency_key: str
    poll_interval: float
    poll_timeout: float
    wait_timeout: float

    def __post_init__(self) -> None:
        key = self.idempotency_key
        # Printable: no NUL (PostgreSQL text refuses it), no other control character and no
        # lone surrogate (not UTF-8), so every store backend keeps the same keys.
        if not (
            isinstance(key, str)
            and key.strip()
            and len(key) <= MAX_KEY_LENGTH
            and key.isprintable()
        ):
            raise RequestValidationError(
                f"idempotency_key must be 1 to {MAX_KEY_LENGTH} printable characters, not "
                "only spaces"
            )
        times = (self.poll_interval, self.poll_timeout, self.wait_timeout)
        if not all(_is_duration(t) for t in times):
            raise RequestValidationError(
                "poll_interval, poll_timeout and wait_timeout must be finite numbers of "
                "seconds, not negative"
            )

    def purchase_key(self) -> str:
        """The value of `X-Purchase-Key`: a digest of the idempotency key."""
        return key_digest(self.idempotency_key)

    def step(self, name: str) -> PurchaseStep:
        """What a call of step `name` carries into its log line and span."""
        return PurchaseStep(name, self.purchase_key())

    def fingerprint(self) -> str:
        """Hash of the arguments that define the purchase (same key + other args = conflict)."""
        canonical = json.dumps(self.order.body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class PurchaseFlow:
    def __init__(
        self, calls: OrderSteps, store: IdempotencyStore, metrics: Metrics, lease_seconds: float
    ) -> None:
        self._calls = calls
        self._store = store
        self._metrics = metrics
        self._lease = lease_seconds
        self._keeper = LeaseKeeper(store, lease_seconds)  # renews it while a purchase runs

    def run(self, request: PurchaseRequest) -> Flow[PurchaseResult]:
        """The purchase, counted in `g2a_purchases_total` by how it ended."""
        try:
            claim = yield from self._claim(request)
            if claim.state is ClaimState.COMPLETED:
                assert claim.result is not None
                ended, result = "replayed", PurchaseResult(**claim.result, resumed=True)
            else:
                ended, result = "completed", (yield from self._carry_out(request, claim))
        except Exception as exc:
            self._metrics.purchases_total.labels(result=result_of(exc)).inc()
            raise
        self._metrics.purchases_total.labels(result=ended).inc()
        return result

    def _carry_out(self, request: PurchaseRequest, claim: Claim) -> Flow[PurchaseResult]:
        """The purchase from its `claim` (new, or with a checkpoint to resume from) to its key."""
        key, owner = request.idempotency_key, claim.owner
        assert owner is not None
        try:
            self._keeper.keep(key, owner)  # no store call: it never blocks
            result = yield from self._advance(request, owner, progress_of(claim))
        except LeaseLostError as exc:  # fenced: the key is someone else's now, nothing to release
            raise LeaseLostError(
                f"purchase {key!r} was taken over after this caller's lease lapsed; "
                "stopped before sending anything else"
            ) from exc
        except _Unrecorded as unrecorded:  # not released: its lease lapses, read as `creating`
            raise unrecorded.error from None
        except ClientClosedError as exc:  # closed meanwhile, by another thread or task
            yield from self._release(key, owner)
            raise ClientClosedError(
                f"the client was closed while purchase {key!r} ran; it stopped before its next "
                "call to G2A, its progress recorded and its key let go: re-run it with the same "
                "idempotency key on a new client, which resumes it"
            ) from exc
        except Exception:
            yield from self._release(key, owner)
            raise
        finally:
            self._keeper.let_go(key, owner)
        return PurchaseResult(**result, resumed=claim.checkpoint is not None or claim.taken_over)

    def _claim(self, request: PurchaseRequest) -> Flow[Claim]:
        key = request.idempotency_key
        deadline = time.monotonic() + request.wait_timeout
        while True:
            claim: Claim = yield StoreCall(
                partial(self._store.claim, key, request.fingerprint(), self._lease)
            )
            if claim.state is ClaimState.MISMATCH:
                raise IdempotencyConflictError(
                    f"idempotency key {key!r} was already used with other purchase arguments"
                )
            if claim.state is not ClaimState.IN_PROGRESS:
                return claim
            if time.monotonic() >= deadline:
                record = yield StoreCall(partial(self._store.get, key))
                raise in_progress_error(key, record, self._lease)
            yield Sleep(CLAIM_POLL_SECONDS)

    def _save(self, request: PurchaseRequest, owner: str, progress: JSON) -> Flow[None]:
        """Record `progress` (fenced: LeaseLostError once the lease was taken over). With
        nothing to record (`{}`) the lease is only renewed, with the same fence, and no
        checkpoint is written: a release then frees the key."""
        key = request.idempotency_key
        if progress:
            yield StoreCall(partial(self._store.checkpoint, key, owner, progress, self._lease))
        else:
            yield StoreCall(partial(self._store.renew, key, owner, self._lease))

    def _release(self, key: str, owner: str) -> Flow[None]:
        try:
            yield StoreCall(partial(self._store.release, key, owner))
        except Exception as exc:  # the lease expires on its own; keep the original error
            logger.warning(
                "could not release purchase lease idempotency_key=%s: %s",
                key_digest(key),
                type(exc).__name__,
            )

    def _advance(self, request: PurchaseRequest, owner: str, progress: JSON) -> Flow[JSON]:
        save = partial(self._save, request, owner)
        started_again = False
        while True:
            step = next_step(progress)
            if step == "key":
                result: JSON = yield from self._deliver_key(request, owner, progress, save)
                return result
            try:
                progress = yield from self._step(step, request, progress, save)
            except _OrderExpired as expired:
                if started_again:  # once per run: G2A expiring every new order is not a race
                    raise expired.error from None
                started_again, progress = True, expired.progress
            try:
                yield from save(progress)
            except Exception as exc:
                if step in ("create", "recreate"):  # created, but its id is not recorded
                    recorded = yield from self._record_orphan(request, progress, save)
                    if not recorded:
                        raise _Unrecorded(exc) from exc
                raise

    def _record_orphan(self, request: PurchaseRequest, created: JSON, save: Saver) -> Flow[bool]:
        """An order created but not recorded (its checkpoint failed): logged and counted as
        abandoned, and recorded as such if the store takes this second write (True)."""
        orphan = self._abandon(request, created["order_id"], "its id could not be recorded")
        abandoned = [*created.get("abandoned_orders", []), orphan]
        try:
            yield from save(_with_abandoned({}, abandoned))
        except Exception as exc:  # the first failure is the one raised
            logger.warning(
                "purchase idempotency_key=%s: abandoned order %s not recorded either (%s)",
                request.purchase_key(),
                created["order_id"],
                type(exc).__name__,
            )
            return False
        return True

    def _step(self, step: str, request: PurchaseRequest, progress: JSON, save: Saver) -> Flow[JSON]:
        """Run one step; return the progress to record after it."""
        if step in ("create", "recreate"):
            created: JSON = yield from self._create(request, progress, save, step == "recreate")
            return created
        order_id = progress["order_id"]
        if step == "reconcile_pay":
            details = yield from self._calls.details(order_id, purchase=request.step(step))
            if details.unpaid:  # only a certainly unpaid order is paid again
                return {**progress, "step": "created"}
            if not details.paid:  # stays `paying`: a re-run asks again
                raise UnknownOrderStatusError(order_id, details.status)
            return {**progress, "step": "paid", "transaction_id": None}
        if step == "pay":
            paid: JSON = yield from self._pay(request, progress, save)
            return paid
        yield from self._poll(order_id, request)
        return {**progress, "step": "ready"}

    def _abandon(self, request: PurchaseRequest, order_id: str | None, reason: str) -> JSON:
        """Record, log and count a create given up after an unknown outcome (never paid)."""
        self._metrics.purchase_orders_abandoned_total.inc()
        logger.warning(
            "purchase idempotency_key=%s: order create abandoned (order id %s): %s; it is never "
            "paid and its reservation lapses",
            request.purchase_key(),
            order_id or "unknown",
            reason,
        )
        return {"order_id": order_id, "reason": reason, "at": time.time()}

    def _create(
        self, request: PurchaseRequest, progress: JSON, save: Saver, lost_before: bool
    ) -> Flow[JSON]:
        abandoned: list[JSON] = list(progress.get("abandoned_orders", []))
        if lost_before:
            abandoned.append(self._abandon(request, None, "an earlier run lost the answer"))
        for attempt in range(1, MAX_CREATES + 1):
            # nothing recorded yet: a fence only, so that a refused create leaves nothing behind
            yield from save(_with_abandoned({"step": "creating"}, abandoned) if abandoned else {})
            try:
                created = yield from self._calls.create(
                    request.order, purchase=request.step("create")
                )
            except OutcomeUnknownError as exc:
                if attempt == MAX_CREATES:
                    _note_abandoned(exc, abandoned)
                    raise
                abandoned.append(self._abandon(request, None, str(exc)))
                continue
            except (G2AApiError, TransportError, ConfigError) as exc:  # refused, or never sent
                # (no Export API configured): nothing was created
                yield from save(_with_abandoned({}, abandoned))
                _note_abandoned(exc, abandoned)
                raise
            if request.order.exceeded_by(created):
                yield from self._refuse_to_pay(request, created, abandoned, save)
            order = created.model_dump(mode="json", include={"order_id", "price", "currency"})
            progress = {"step": "created", **order}
            return _with_abandoned(progress, abandoned)
        raise AssertionError("unreachable: the last create returns or raises")

    def _refuse_to_pay(
        self, request: PurchaseRequest, created: OrderCreated, abandoned: list[JSON], save: Saver
    ) -> Flow[None]:
        """An order G2A created above `max_price` (it should have refused the create): never
        paid, logged and counted as abandoned, then `ResponseFormatError`. Like a refused
        create it leaves nothing behind unless earlier orders were recorded as abandoned, so
        the key is free again (a higher `max_price` may try it)."""
        over = (
            f"order {created.order_id} was created at {created.price:g} {created.currency}, "
            f"above max_price {request.order.max_price:g}"
        )
        refused = self._abandon(request, created.order_id, over)
        if abandoned:
            abandoned.append(refused)
        yield from save(_with_abandoned({}, abandoned))
        raise ResponseFormatError(f"POST /v1/order: {over}; it is not paid")

    def _pay(self, request: PurchaseRequest, progress: JSON, save: Saver) -> Flow[JSON]:
        order_id = progress["order_id"]
        yield from save({**progress, "step": "paying"})
        try:
            payment = yield from self._calls.pay(order_id, purchase=request.step("pay"))
        except (G2AApiError, TransportError) as exc:
            paid = yield from self._paid_after_all(order_id, exc)
            if paid:
                return {**progress, "step": "paid", "transaction_id": None}
            if isinstance(exc, G2AApiError) and exc.code == ORDER_EXPIRED:
                abandoned = list(progress.get("abandoned_orders", []))
                reason = f"its reservation lapsed unpaid ({exc.code})"
                abandoned.append(self._abandon(request, order_id, reason))
                raise _OrderExpired(exc, _with_abandoned({}, abandoned)) from exc
            raise
        return {**progress, "step": "paid", "transaction_id": payment.transaction_id}

    def _paid_after_all(self, order_id: str, error: G2AError) -> Flow[bool]:
        """Whether order details show as paid an order whose pay failed or was ambiguous."""
        try:
            details = yield from self._calls.details(order_id)
        except G2AError:
            return False  # the pay's own error says more
        if details.paid:
            logger.warning(
                "pay of order %s answered %s, but its details say %r: resolved as paid",
                order_id,
                type(error).__name__,
                details.status,
            )
        return details.paid

    def _deliver_key(
        self, request: PurchaseRequest, owner: str, progress: JSON, save: Saver
    ) -> Flow[JSON]:
        """Fetch the key and store the result in the same step; a lost key is a typed error.

        An ambiguous answer (reset, timeout, 5xx, unreadable body) is followed at once by one
        more fetch: G2A either hands the key over (it never left) or answers ORD004 (it was
        handed to the lost answer: `KeyDeliveryLostError`, also on every later re-run).
        """
        if progress["step"] == "key_lost":
            raise self._key_lost(request, progress)
        yield from save({**progress, "step": "fetching_key"})
        order_id = progress["order_id"]
        for ask in (1, 2):
            try:
                order_key = yield from self._calls.key(order_id, purchase=request.step("key"))
            except OutcomeUnknownError:
                if ask == 2:
                    raise
                continue
            except G2AApiError as exc:
                if exc.code != KEY_ALREADY_DOWNLOADED:
                    raise
                yield from save({**progress, "step": "key_lost"})
                self._metrics.key_delivery_lost_total.inc()
                lost = self._key_lost(request, progress)
                logged_as = f"idempotency_key={request.purchase_key()}"  # the digest, never the key
                logger.error("%s", lost.describe(logged_as, lost.order_id, lost.transaction_id))
                raise lost from exc
            result = {
                "order_id": order_id,
                "transaction_id": progress.get("transaction_id"),
                "key": order_key.key,
                "price": progress["price"],
                "currency": progress["currency"],
                "is_file": order_key.is_file,
            }
            yield from self._store_result(request, owner, result)
            return result
        raise AssertionError("unreachable: the second fetch returns or raises")

    @staticmethod
    def _key_lost(request: PurchaseRequest, progress: JSON) -> KeyDeliveryLostError:
        return KeyDeliveryLostError(
            request.idempotency_key, progress["order_id"], progress.get("transaction_id")
        )

    def _store_result(self, request: PurchaseRequest, owner: str, result: JSON) -> Flow[None]:
        key = request.idempotency_key
        try:
            yield StoreCall(partial(self._store.complete, key, owner, result, RESULT_TTL_SECONDS))
        except Exception as exc:  # the key is in hand: hand it over rather than lose it
            logger.error(
                "purchase idempotency_key=%s completed but its result could not be stored (%s); "
                "its caller receives the key now, but a re-run with this key cannot return it "
                "again: it will raise KeyDeliveryLostError for a key that was delivered",
                request.purchase_key(),
                type(exc).__name__,
            )

    def _poll(self, order_id: str, request: PurchaseRequest) -> Flow[None]:
        """Wait for `complete`; an unknown word is waited out too (it may be a step on the
        way), but one still shown at the deadline is no "pending, re-run" but a typed error."""
        deadline = time.monotonic() + request.poll_timeout
        while True:
            details = yield from self._calls.details(order_id, purchase=request.step("poll"))
            if details.complete:
                return
            if time.monotonic() >= deadline:
                if not (details.paid or details.unpaid):
                    raise UnknownOrderStatusError(order_id, details.status)
                raise PurchasePendingError(
                    f"order {order_id} is {details.status!r}, not complete after "
                    f"{request.poll_timeout}s; re-run the purchase with the same key to resume"
                )
            yield Sleep(request.poll_interval)
