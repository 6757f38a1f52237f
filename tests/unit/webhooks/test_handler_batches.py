"""WebhookHandler.handle_many: a batch answers each delivery exactly as `handle` would.

The receiver hands every delivery waiting at once to one `handle_many` call, so a batch can
hold anything: duplicates of one event, a replayed nonce, forgeries, failing handlers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from _signed import NOW, SECRET, event_body, signed_headers

from g2a_adapter import (
    LeaseLostError,
    Metrics,
    StoreUnavailableError,
    WebhookEvent,
    WebhookHandler,
    WebhookRejectedError,
    WebhookVerifier,
)
from g2a_adapter.idempotency import Claim, Finish, MemoryStore, NonceClaim
from g2a_adapter.receiver._webhooks import HandleResult, ProcessOnce


class Recorder:
    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.seen: list[str] = []
        self.failing = failing

    def __call__(self, event: WebhookEvent) -> None:
        self.seen.append(event.event_id)
        if event.event_id in self.failing:
            raise RuntimeError(f"downstream failed for {event.event_id}")


def make(
    recorder: Recorder, store: MemoryStore | None = None
) -> tuple[WebhookHandler, Metrics, MemoryStore]:
    store = store or MemoryStore(clock=lambda: float(NOW))
    metrics = Metrics()
    verifier = WebhookVerifier([SECRET], store, clock=lambda: float(NOW))
    once = ProcessOnce(store, in_progress_wait_seconds=0.02)
    return WebhookHandler(verifier, store, recorder, metrics, once=once), metrics, store


def delivery(event_id: str, nonce: str, **kwargs: object) -> tuple[dict[str, str], bytes]:
    body = event_body(event_id)
    return signed_headers(body, event_id=event_id, nonce=nonce, **kwargs), body  # type: ignore[arg-type]


def outcome(result: HandleResult | Exception) -> str:
    if isinstance(result, HandleResult):
        return f"{result.status}:{result.event_id}"
    if isinstance(result, WebhookRejectedError):
        return f"rejected:{result.reason}"
    return f"{type(result).__name__}"


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_a_mixed_batch_gets_the_answers_of_sequential_deliveries() -> None:
    recorder = Recorder()
    handler, metrics, store = make(recorder)
    malformed = b'{"event_id": "evt-bad"}'
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-1", "nonce-c-000001"),  # a redelivery of evt-1 in the same batch
        delivery("evt-3", "nonce-a-000001"),  # a replay of the first delivery's nonce
        delivery("evt-4", "nonce-d-000001", secrets=["forged-secret"]),
        (signed_headers(malformed, event_id="evt-bad", nonce="nonce-e-000001"), malformed),
        (signed_headers(malformed, event_id="evt-bad", nonce="nonce-e-000001"), malformed),
    ]

    results = handler.handle_many(batch)

    assert [outcome(r) for r in results] == [
        "processed:evt-1",
        "processed:evt-2",
        "duplicate:evt-1",
        "rejected:replayed_nonce",
        "rejected:bad_signature",
        "rejected:malformed_body",
        "rejected:replayed_nonce",  # a malformed body burns its nonce, as `handle` does
    ]
    assert recorder.seen == ["evt-1", "evt-2"]
    assert store.get("webhook-event:evt-3") is None
    assert store.get("webhook-event:evt-1").result == {"status": "processed"}  # type: ignore[union-attr]
    events, failures = "g2a_webhook_events_total", "g2a_webhook_validation_failures_total"
    assert sample(metrics, events, type="order.paid", result="processed") == 2
    assert sample(metrics, events, type="order.paid", result="duplicate") == 1
    assert sample(metrics, failures, reason="replayed_nonce") == 2
    assert sample(metrics, failures, reason="bad_signature") == 1
    assert sample(metrics, failures, reason="malformed_body") == 1


def test_a_failing_handler_fails_only_its_own_delivery_and_releases_its_claim() -> None:
    recorder = Recorder(failing=frozenset({"evt-2"}))
    handler, metrics, store = make(recorder)

    results = handler.handle_many(
        [delivery("evt-1", "nonce-a-000001"), delivery("evt-2", "nonce-b-000001"),
         delivery("evt-2", "nonce-c-000001"), delivery("evt-3", "nonce-d-000001")]
    )  # fmt: skip

    assert [outcome(r) for r in results] == [
        "processed:evt-1",
        "RuntimeError",
        "RuntimeError",  # the redelivery ran after the release, like a sequential retry
        "processed:evt-3",
    ]
    assert recorder.seen == ["evt-1", "evt-2", "evt-3", "evt-2"]
    assert store.get("webhook-event:evt-2") is None
    assert sample(metrics, "g2a_webhook_events_total", type="order.paid", result="failed") == 2


class FailingClaims(MemoryStore):
    def claim_many(self, claims: Sequence[NonceClaim]) -> list[Claim | None]:
        raise StoreUnavailableError("sqlite", "disk I/O error")


def test_a_store_outage_fails_the_valid_deliveries_and_still_rejects_the_rest() -> None:
    recorder = Recorder()
    handler, _, _ = make(recorder, FailingClaims(clock=lambda: float(NOW)))

    results = handler.handle_many(
        [delivery("evt-1", "nonce-a-000001"),
         delivery("evt-2", "nonce-b-000001", secrets=["forged-secret"])]
    )  # fmt: skip

    assert [outcome(r) for r in results] == ["StoreUnavailableError", "rejected:bad_signature"]
    assert recorder.seen == []


class StolenLeases(MemoryStore):
    def finish_many(self, finishes: Sequence[Finish]) -> list[bool]:
        return [False for _ in finishes]


def test_a_lease_lost_before_completion_is_an_error_not_a_success() -> None:
    handler, _, _ = make(Recorder(), StolenLeases(clock=lambda: float(NOW)))

    (result,) = handler.handle_many([delivery("evt-1", "nonce-a-000001")])

    assert isinstance(result, LeaseLostError)
    assert "webhook-event:evt-1" in str(result)


def test_an_interrupt_in_a_handler_releases_every_claim_of_its_batch() -> None:
    store = MemoryStore(clock=lambda: float(NOW))

    def handler(event: WebhookEvent) -> None:
        if event.event_id == "evt-2":
            raise KeyboardInterrupt

    verifier = WebhookVerifier([SECRET], store, clock=lambda: float(NOW))
    webhooks = WebhookHandler(verifier, store, handler, Metrics())

    with pytest.raises(KeyboardInterrupt):
        webhooks.handle_many([delivery(f"evt-{n}", f"nonce-{n}-000001") for n in (1, 2, 3)])

    assert store.get("webhook-event:evt-1").result == {"status": "processed"}  # type: ignore[union-attr]
    assert store.get("webhook-event:evt-2") is None
    assert store.get("webhook-event:evt-3") is None


def test_handle_many_uses_two_store_calls_for_a_batch() -> None:
    calls: list[str] = []

    class Counting(MemoryStore):
        def claim_many(self, claims: Sequence[NonceClaim]) -> list[Claim | None]:
            calls.append(f"claim_many:{len(claims)}")
            return super().claim_many(claims)

        def finish_many(self, finishes: Sequence[Finish]) -> list[bool]:
            calls.append(f"finish_many:{len(finishes)}")
            return super().finish_many(finishes)

    handler, _, _ = make(Recorder(), Counting(clock=lambda: float(NOW)))
    handler.handle_many([delivery(f"evt-{n}", f"nonce-{n}-000001") for n in range(8)])

    assert calls == ["claim_many:8", "finish_many:8"]
