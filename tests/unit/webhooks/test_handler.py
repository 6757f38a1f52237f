"""WebhookHandler: exactly-once handling, failures release, metrics per outcome."""

from __future__ import annotations

import threading
import time
from hashlib import sha256

import pytest
from _signed import NOW, SECRET, event_body, signed_headers

from g2a_adapter import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    Metrics,
    WebhookEvent,
    WebhookHandler,
    WebhookRejectedError,
    WebhookVerifier,
)
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver._webhooks import ProcessOnce


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


class Recorder:
    def __init__(self, fail_times: int = 0, delay: float = 0.0) -> None:
        self.seen: list[str] = []
        self.fail_times = fail_times
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.seen.append(event.event_id)
            if self.fail_times:
                self.fail_times -= 1
                raise RuntimeError("downstream failed")


def make(
    recorder: Recorder, store: MemoryStore | None = None, **once: float
) -> tuple[WebhookHandler, Metrics, MemoryStore]:
    store = store or MemoryStore(clock=lambda: float(NOW))
    metrics = Metrics()
    verifier = WebhookVerifier([SECRET], store, clock=lambda: float(NOW))
    handler = WebhookHandler(verifier, store, recorder, metrics, once=ProcessOnce(store, **once))
    return handler, metrics, store


def test_first_delivery_is_processed_and_a_redelivery_is_a_duplicate() -> None:
    recorder = Recorder()
    handler, metrics, store = make(recorder)
    body = event_body()

    first = handler.handle(signed_headers(body, nonce="nonce-first-01"), body)
    again = handler.handle(signed_headers(body, nonce="nonce-again-01"), body)

    assert (first.status, first.event_id) == ("processed", "evt-0001")
    assert (again.status, again.event_id) == ("duplicate", "evt-0001")
    assert recorder.seen == ["evt-0001"]
    record = store.get("webhook-event:evt-0001")
    assert record is not None
    assert record.result == {"status": "processed"}
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type="order.paid", result="processed") == 1
    assert sample(metrics, events, type="order.paid", result="duplicate") == 1


def test_a_failing_handler_releases_the_claim_so_a_retry_succeeds() -> None:
    recorder = Recorder(fail_times=1)
    handler, metrics, store = make(recorder)
    body = event_body()

    with pytest.raises(RuntimeError, match="downstream failed"):
        handler.handle(signed_headers(body, nonce="nonce-first-01"), body)
    assert store.get("webhook-event:evt-0001") is None
    retry = handler.handle(signed_headers(body, nonce="nonce-retry-01"), body)

    assert retry.status == "processed"
    assert recorder.seen == ["evt-0001", "evt-0001"]
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type="order.paid", result="failed") == 1
    assert sample(metrics, events, type="order.paid", result="processed") == 1


def test_concurrent_duplicates_call_the_handler_once() -> None:
    recorder = Recorder(delay=0.05)
    handler, metrics, _ = make(recorder, in_progress_wait_seconds=2.0)
    body = event_body()
    barrier = threading.Barrier(8)
    statuses: list[str] = []

    def deliver(n: int) -> None:
        headers = signed_headers(body, nonce=f"nonce-concurrent-{n:02d}")
        barrier.wait()
        statuses.append(handler.handle(headers, body).status)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert recorder.seen == ["evt-0001"]
    assert sorted(statuses) == ["duplicate"] * 7 + ["processed"]
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type="order.paid", result="processed") == 1
    assert sample(metrics, events, type="order.paid", result="duplicate") == 7


def test_other_payload_is_a_conflict_and_a_live_claim_is_retryable() -> None:
    store = MemoryStore(clock=lambda: float(NOW))
    handler, _, _ = make(Recorder(), store, in_progress_wait_seconds=0.02)
    body = event_body()
    store.claim("webhook-event:evt-0001", "someone-else-holds-it", 30.0)
    with pytest.raises(IdempotencyConflictError):
        handler.handle(signed_headers(body), body)

    holder = MemoryStore(clock=lambda: float(NOW))
    handler, metrics, _ = make(Recorder(), holder, in_progress_wait_seconds=0.02)
    holder.claim("webhook-event:evt-0001", sha256(body).hexdigest(), 30.0)
    with pytest.raises(IdempotencyInProgressError):
        handler.handle(signed_headers(body, nonce="nonce-second-01"), body)
    assert sample(metrics, "g2a_webhook_events_total", type="order.paid", result="in_progress") == 1


def test_rejections_are_counted_by_reason_and_never_reach_the_handler() -> None:
    recorder = Recorder()
    handler, metrics, _ = make(recorder)
    body = event_body()
    with pytest.raises(WebhookRejectedError):
        handler.handle(signed_headers(body, secrets=["forged"]), body)
    with pytest.raises(WebhookRejectedError):
        handler.handle(signed_headers(body, timestamp=NOW - 1000), body)
    handler.handle(signed_headers(body), body)
    with pytest.raises(WebhookRejectedError):
        handler.handle(signed_headers(body), body)  # same nonce again

    failures = "g2a_webhook_validation_failures_total"
    assert sample(metrics, failures, reason="bad_signature") == 1
    assert sample(metrics, failures, reason="stale_timestamp") == 1
    assert sample(metrics, failures, reason="replayed_nonce") == 1
    assert recorder.seen == ["evt-0001"]
