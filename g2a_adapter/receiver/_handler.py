"""Handling a signed delivery: verify → claim the event id → the service's handler → complete.

A completed event is never handled again. A plain handler (`EventHandler`) runs at least once
per event id: a crash between the handler and the completion runs it again after the claim's
lease; while its process lives, it runs once. A `TransactionalHandler` writes inside the
claim's transaction of a SQL store, so its writes and the completion commit together: exactly
once for effects in that database.

`handle_each` takes the same steps for a batch of deliveries, a step at a time, with the
store's writes grouped (its docstring tells how).
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from g2a_adapter._errors import (
    ConfigError,
    IdempotencyInProgressError,
    StoreUnavailableError,
)
from g2a_adapter.idempotency import (
    Claim,
    IdempotencyStore,
    ProcessOnce,
    ProcessOnceInTransaction,
    SqlStore,
    SqlTransaction,
    write_group,
)
from g2a_adapter.receiver._events import WebhookEvent
from g2a_adapter.receiver._plain_calls import call_plain, refuse_async
from g2a_adapter.receiver._webhooks import WebhookVerifier, nonce_of

EVENT_KEY_PREFIX = "webhook-event:"
COMPLETION_GROUP_SECONDS = 0.01

EventHandler = Callable[[WebhookEvent], None]


@dataclass(frozen=True)
class TransactionalHandler:
    """A handler whose own writes commit together with the event's completion (SQL stores).

    `handle(event, tx)` writes through `tx` (`tx.count(sql, params)`, `tx.rows(sql, params)`,
    placeholders in the store's style: `?` for SQLite, `%s` for PostgreSQL) inside the
    transaction that claims the event; if it raises or the process dies, neither its writes
    nor the completion are kept and the next delivery runs it again.
    """

    handle: Callable[[WebhookEvent, SqlTransaction], None]


class HandleResult(NamedTuple):
    status: Literal["processed", "duplicate"]
    event_id: str


def processed_or_duplicate(ran: bool) -> Literal["processed", "duplicate"]:
    """A once-only run's status: `processed` if the action ran now, else `duplicate`."""
    return "processed" if ran else "duplicate"


class Delivery(NamedTuple):
    """A signed delivery as received; `context` is the one its steps run in (the caller's
    tracing span, say), a copy of the current one when None."""

    headers: Mapping[str, str]
    body: bytes
    context: contextvars.Context | None = None


class Outcome(NamedTuple):
    """What became of a delivery in `handle_each`: what `handle` would have returned, or the
    exception it would have raised; `event` once the delivery was verified."""

    event: WebhookEvent | None
    result: HandleResult | Exception


Settled = tuple[int, Outcome]  # a delivery's place in its batch, and its final outcome


@dataclass
class _Flight:
    """One delivery on its way through `handle_each`; `index` is its place in the batch."""

    index: int
    delivery: Delivery
    context: contextvars.Context
    event: WebhookEvent | None = None
    claim: Claim | None = None  # won, and not yet completed or released
    held: IdempotencyInProgressError | None = None  # another delivery holds the event (so far)
    alone: bool = False  # a TransactionalHandler's: processed on its own, after the batch
    result: HandleResult | None = None
    error: Exception | None = None

    def outcome(self) -> Outcome:
        if self.error is not None:
            return Outcome(self.event, self.error)
        assert self.result is not None  # every step ends with a result or an error
        return Outcome(self.event, self.result)


class WebhookHandler:
    """verify → claim the event id → the service's handler → complete, without HTTP.

    `once` tunes the claim of a plain handler (lease, waiting for a concurrent delivery).
    A `TransactionalHandler` needs a SQL store (`ConfigError` otherwise).
    """

    def __init__(
        self,
        verifier: WebhookVerifier,
        store: IdempotencyStore,
        handler: EventHandler | TransactionalHandler,
        *,
        once: ProcessOnce | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        refuse_async(
            handler.handle if isinstance(handler, TransactionalHandler) else handler,
            "the webhook handler",
        )
        self.verifier = verifier
        self._store = store
        self._handler = handler
        self._once = once or ProcessOnce(store)
        self._in_transaction = _in_transaction(store, handler)
        self._clock = clock  # times a batch's completion groups

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The verified event; raises `WebhookRejectedError`."""
        return self.verifier.verify(headers, body)

    def process(self, event: WebhookEvent, body: bytes) -> bool:
        """Run the handler unless the event was handled before: True if it ran now.

        Raises the handler's own exception (the claim released), or
        `IdempotencyInProgressError` / `IdempotencyConflictError`.
        """
        key, handler = _event_key(event), self._handler
        if isinstance(handler, TransactionalHandler):
            assert self._in_transaction is not None  # built with the handler
            action = functools.partial(call_plain, handler.handle, event)
            return self._in_transaction.run(key, body, action)
        return self._once.run(key, body, functools.partial(call_plain, handler, event))

    def handle(self, headers: Mapping[str, str], body: bytes) -> HandleResult:
        """One delivery: `verify`, then `process`."""
        event = self.verify(headers, body)
        ran = self.process(event, body)
        return HandleResult(processed_or_duplicate(ran), event.event_id)

    def handle_each(self, deliveries: Sequence[Delivery]) -> Iterator[list[Settled]]:
        """`handle` for each delivery, in their order, with the store's writes grouped; yields
        the outcomes in groups, each group as soon as its outcomes are final.

        Verify and claim every delivery (one commit on a SQL store), run the handler for each
        claim won (outside any transaction), complete or release them in groups (one more
        commit each). A group writes its rows in the order of their keys (nonces in nonce
        order, then events in event id order), so two receivers given the same deliveries in
        other orders never deadlock on one database; the handlers run in arrival order.
        Refusals and duplicates are final once the claims commit, a handled delivery once its
        group of completions commits. Every claim keeps its lease until its completion, while
        it waits behind other handlers and while its own handler runs, however long
        (`ProcessOnce` renews the leases of a process together, a commit every third of a
        lease), so a redelivery cannot take a live event over and run it a second time. A
        group closes when its handlers have run for `COMPLETION_GROUP_SECONDS`: fast handlers
        complete a whole batch with one commit, and a slow handler's delivery is answered when
        it ends instead of waiting for its batch-mates' handlers. Deliveries whose event
        another delivery holds (another process, or a redelivery in the same batch) are
        waited for together, after the rest: their claims are tried again as one group after
        each of the engine's pauses (`ProcessOnce.pauses`), so a batch waits for them once,
        not once per delivery. A `TransactionalHandler`'s deliveries are processed one at a
        time after the batch, each in its own transaction.
        """
        flights = [
            _Flight(index, d, d.context or contextvars.copy_context())
            for index, d in enumerate(deliveries)
        ]
        try:
            self._grouped(flights, self._verify, self._claim_verified)
            yield from self._settle(flights)
            yield from self._wait_for_held([f for f in flights if f.held is not None])
            for flight in flights:
                if flight.alone:
                    flight.context.run(self._process_alone, flight)
                    yield _settled([flight])
        finally:  # closed early (its consumer gone): no claim is left held, nor kept alive
            self._grouped(_holding(flights), self._end)

    def handle_many(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """`handle_each`'s outcomes, in the order of the deliveries."""
        outcomes = dict(o for group in self.handle_each(deliveries) for o in group)
        return [outcomes[index] for index in range(len(deliveries))]

    def _settle(self, flights: list[_Flight]) -> Iterator[list[Settled]]:
        """After a group of claims: give out the refused and the known, then handle and
        complete the claims won."""
        if refused_or_known := _settled(f for f in flights if f.claim is None and _final(f)):
            yield refused_or_known
        for completed in self._act_and_complete([f for f in flights if f.claim is not None]):
            yield _settled(completed)

    def _wait_for_held(self, held: list[_Flight]) -> Iterator[list[Settled]]:
        """Deliveries whose event another delivery holds, waited for together: after each of
        `once`'s pauses their claims are tried again, as one group, until each is won (and
        handled), known or refused; those still held when the pauses are over get
        `IdempotencyInProgressError`."""
        if not held:
            return
        for _ in self._once.pauses():
            self._grouped(held, self._claim)
            yield from self._settle(held)
            held = [f for f in held if f.held is not None]
            if not held:
                return
        for flight in held:
            flight.error, flight.held = flight.held, None
        yield _settled(held)

    def _act_and_complete(self, acting: list[_Flight]) -> Iterator[list[_Flight]]:
        """Run the handler of each claim won; complete (or release) the claims in groups
        that close once their handlers have run for `COMPLETION_GROUP_SECONDS`."""
        group: list[_Flight] = []
        started = self._clock()
        try:
            for flight in acting:
                flight.context.run(self._act, flight)
                group.append(flight)
                if self._clock() - started >= COMPLETION_GROUP_SECONDS:
                    self._grouped(_holding(group), self._end)
                    completed, group, started = group, [], self._clock()
                    yield completed
        finally:  # an interrupt in a handler still completes or releases every claim
            self._grouped(_holding(acting), self._end)
        if group:
            yield group

    def _grouped(self, flights: list[_Flight], *steps: Callable[[_Flight], None]) -> None:
        """Each step for each flight, a step at a time, the store's writes in one group; if
        the group cannot commit, every flight it wrote for fails with the store's error.

        The flights go in the order of the rows they write (`_row_key`): two groups holding
        rows of the same deliveries, in two receivers on one database, then never wait for
        each other's rows in a cycle, whatever order their deliveries came in (PostgreSQL
        would break the deadlock by failing one whole group).
        """
        if not flights:
            return
        try:
            with write_group(self._store):
                for step in steps:
                    for flight in sorted(flights, key=_row_key):  # stable: redeliveries after
                        flight.context.run(step, flight)
        except StoreUnavailableError as exc:  # nothing of the group was kept, nonces included
            for flight in flights:
                if flight.error is None:  # verified or not: an outage, not a refusal
                    flight.claim, flight.held, flight.alone = None, None, False
                    flight.result, flight.error = None, exc

    def _verify(self, flight: _Flight) -> None:
        headers, body, _ = flight.delivery
        try:
            flight.event = self.verify(headers, body)
        except Exception as exc:  # refused, the nonce not recorded, or a bug: this one only
            flight.error = exc

    def _claim_verified(self, flight: _Flight) -> None:
        if flight.event is None:  # refused
            return
        if self._in_transaction is not None:
            flight.alone = True  # its claim and handler share a transaction of their own
            return
        self._claim(flight)

    def _claim(self, flight: _Flight) -> None:
        """Claim the flight's event, without waiting for a delivery that holds it."""
        assert flight.event is not None
        flight.held = None
        try:
            flight.claim = self._once.begin(
                _event_key(flight.event), flight.delivery.body, wait=False
            )
        except IdempotencyInProgressError as exc:
            flight.held = exc  # waited for with the others, after the claims won are handled
            return
        except Exception as exc:  # another payload, an outage, or a bug: this delivery only
            flight.error = exc
            return
        if flight.claim is None:
            flight.result = HandleResult("duplicate", flight.event.event_id)

    def _act(self, flight: _Flight) -> None:
        handler = self._handler
        assert flight.event is not None
        assert flight.claim is not None
        assert not isinstance(handler, TransactionalHandler)  # those are processed alone
        try:
            self._once.act(flight.claim, functools.partial(call_plain, handler, flight.event))
        except Exception as exc:
            flight.error = exc
            return
        flight.result = HandleResult("processed", flight.event.event_id)

    def _end(self, flight: _Flight) -> None:
        assert flight.claim is not None
        claim, flight.claim = flight.claim, None
        succeeded = flight.result is not None  # not when it failed, or never ran
        try:
            self._once.end(claim, succeeded=succeeded)
        except Exception as exc:  # the lease lost, an outage, or a bug: this delivery only
            if succeeded:
                flight.result, flight.error = None, exc

    def _process_alone(self, flight: _Flight) -> None:
        assert flight.event is not None
        try:
            ran = self.process(flight.event, flight.delivery.body)
        except Exception as exc:
            flight.error = exc
            return
        flight.result = HandleResult(processed_or_duplicate(ran), flight.event.event_id)


def _event_key(event: WebhookEvent) -> str:
    """The idempotency key an event is claimed and completed under."""
    return EVENT_KEY_PREFIX + event.event_id


def _row_key(flight: _Flight) -> str:
    """What orders a group's flights: the key of the row their step writes, the nonce until
    the delivery is verified (verifying records it), then the event id."""
    return nonce_of(flight.delivery.headers) if flight.event is None else flight.event.event_id


def _final(flight: _Flight) -> bool:
    """Whether a flight without a claim has its outcome (it is neither held nor alone)."""
    return flight.held is None and not flight.alone


def _holding(flights: Iterable[_Flight]) -> list[_Flight]:
    """The flights that still hold their claim (to complete or release)."""
    return [flight for flight in flights if flight.claim is not None]


def _settled(flights: Iterable[_Flight]) -> list[Settled]:
    return [(flight.index, flight.outcome()) for flight in flights]


def _in_transaction(
    store: IdempotencyStore, handler: EventHandler | TransactionalHandler
) -> ProcessOnceInTransaction | None:
    """The engine of a `TransactionalHandler` (None for a plain handler)."""
    if not isinstance(handler, TransactionalHandler):
        return None
    if not isinstance(store, SqlStore):
        raise ConfigError(
            "a TransactionalHandler needs a SQL idempotency store (sqlite or postgres), "
            f"not {store.backend}"
        )
    return ProcessOnceInTransaction(store)
