"""Two receivers on one PostgreSQL database given the same events in opposite orders: their
batches' claims never deadlock (PostgreSQL would end one transaction, and that receiver would
answer its whole batch 503 `store_unavailable` although the database is healthy)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from _receiver_fixtures import WEBHOOK_SECRET, delivery

from g2a_adapter import WebhookEvent, WebhookHandler, WebhookVerifier
from g2a_adapter.idempotency import (
    Claim,
    IdempotencyStore,
    ProcessOnce,
    open_store,
    replay_guard_of,
)
from g2a_adapter.receiver import Delivery, HandleResult

pytestmark = pytest.mark.postgres


class FirstClaimsMeet(ProcessOnce):
    """After its first claim, waits (up to 0.5 s) for the other receiver's first: in arrival
    order each would then claim the key the other holds in its open transaction."""

    def __init__(self, store: IdempotencyStore, mine: threading.Event, theirs: threading.Event):
        super().__init__(store, in_progress_wait_seconds=5.0)
        self.mine, self.theirs = mine, theirs

    def begin(self, key: str, payload: bytes, *, wait: bool = True) -> Claim | None:
        try:
            return super().begin(key, payload, wait=wait)
        finally:
            if not self.mine.is_set():
                self.mine.set()
                self.theirs.wait(timeout=0.5)


@pytest.fixture
def stores(postgres_url: str) -> Iterator[tuple[IdempotencyStore, IdempotencyStore]]:
    """Two connections to one store, as two receivers have."""
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    first, second = (open_store(postgres_url, namespace=namespace) for _ in range(2))
    yield first, second
    first.close()
    second.close()
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for table in ("records", "nonces", "schema"):
            conn.execute(f"DROP TABLE IF EXISTS {namespace}_{table}")


def test_two_receivers_claiming_the_same_events_in_opposite_orders_do_not_deadlock(
    stores: tuple[IdempotencyStore, IdempotencyStore],
) -> None:
    handled: list[str] = []

    def on_event(event: WebhookEvent) -> None:
        handled.append(event.event_id)

    events = ["evt-order-a", "evt-order-b"]
    ready = [threading.Event(), threading.Event()]
    batches = [
        [Delivery(*delivery(event_id)) for event_id in events],
        [Delivery(*delivery(event_id)) for event_id in reversed(events)],
    ]
    answers: list[list[str]] = [[], []]

    def receive(n: int) -> None:
        store = stores[n]
        once = FirstClaimsMeet(store, ready[n], ready[1 - n])
        handler = WebhookHandler(
            WebhookVerifier([WEBHOOK_SECRET], replay_guard_of(store)), store, on_event, once=once
        )
        for outcome in handler.handle_many(batches[n]):
            result = outcome.result
            answers[n].append(
                result.status if isinstance(result, HandleResult) else type(result).__name__
            )

    receivers = [threading.Thread(target=receive, args=(n,)) for n in (0, 1)]
    for receiver in receivers:
        receiver.start()
    for receiver in receivers:
        receiver.join(timeout=20)

    assert sorted(answers) == [["duplicate"] * 2, ["processed"] * 2]
    assert sorted(handled) == events
