"""WebhookHandler: exactly-once handling, failures release, every delivery answered as a
sequence of deliveries would be (duplicates, replays, forgeries, failing handlers, outages).

What the receiver counts for each outcome is asserted through the app
(tests/integration/receiver).
"""

from __future__ import annotations

import threading
import time
from hashlib import sha256

import pytest
from _signed import NOW, SECRET, event_body, signed_headers

from g2a_adapter import (
    ConfigError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    LeaseLostError,
    StoreUnavailableError,
    WebhookEvent,
    WebhookHandler,
    WebhookRejectedError,
    WebhookVerifier,
)
from g2a_adapter.idempotency import JSON, Claim, ClaimState, MemoryStore, ProcessOnce
from g2a_adapter.receiver import HandleResult, TransactionalHandler


class Recorder:
    def __init__(
        self, fail_times: int = 0, delay: float = 0.0, failing: frozenset[str] = frozenset()
    ) -> None:
        self.seen: list[str] = []
        self.fail_times = fail_times
        self.failing = failing
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.seen.append(event.event_id)
            if self.fail_times:
                self.fail_times -= 1
                raise RuntimeError("downstream failed")
        if event.event_id in self.failing:
            raise RuntimeError(f"downstream failed for {event.event_id}")


def make(
    recorder: Recorder, store: MemoryStore | None = None, **once: float
) -> tuple[WebhookHandler, MemoryStore]:
    store = store or MemoryStore(clock=lambda: float(NOW))
    verifier = WebhookVerifier([SECRET], store, clock=lambda: float(NOW))
    handler = WebhookHandler(verifier, store, recorder, once=ProcessOnce(store, **once))
    return handler, store


def delivery(event_id: str, nonce: str, **kwargs: object) -> tuple[dict[str, str], bytes]:
    body = event_body(event_id)
    return signed_headers(body, event_id=event_id, nonce=nonce, **kwargs), body  # type: ignore[arg-type]


def outcome(handler: WebhookHandler, headers: dict[str, str], body: bytes) -> str:
    try:
        result = handler.handle(headers, body)
    except WebhookRejectedError as exc:
        return f"rejected:{exc.reason}"
    except Exception as exc:
        return type(exc).__name__
    assert isinstance(result, HandleResult)
    return f"{result.status}:{result.event_id}"


def test_first_delivery_is_processed_and_a_redelivery_is_a_duplicate() -> None:
    recorder = Recorder()
    handler, store = make(recorder)
    body = event_body()

    first = handler.handle(signed_headers(body, nonce="nonce-first-01"), body)
    again = handler.handle(signed_headers(body, nonce="nonce-again-01"), body)

    assert (first.status, first.event_id) == ("processed", "evt-0001")
    assert (again.status, again.event_id) == ("duplicate", "evt-0001")
    assert recorder.seen == ["evt-0001"]
    record = store.get("webhook-event:evt-0001")
    assert record is not None
    assert record.result == {"status": "processed"}


def test_a_failing_handler_releases_the_claim_so_a_retry_succeeds() -> None:
    recorder = Recorder(fail_times=1)
    handler, store = make(recorder)
    body = event_body()

    with pytest.raises(RuntimeError, match="downstream failed"):
        handler.handle(signed_headers(body, nonce="nonce-first-01"), body)
    assert store.get("webhook-event:evt-0001") is None
    retry = handler.handle(signed_headers(body, nonce="nonce-retry-01"), body)

    assert retry.status == "processed"
    assert recorder.seen == ["evt-0001", "evt-0001"]


def test_concurrent_duplicates_call_the_handler_once() -> None:
    recorder = Recorder(delay=0.05)
    handler, _ = make(recorder, in_progress_wait_seconds=2.0)
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


def test_other_payload_is_a_conflict_and_a_live_claim_is_retryable() -> None:
    store = MemoryStore(clock=lambda: float(NOW))
    handler, _ = make(Recorder(), store, in_progress_wait_seconds=0.02)
    body = event_body()
    store.claim("webhook-event:evt-0001", "someone-else-holds-it", 30.0)
    with pytest.raises(IdempotencyConflictError):
        handler.handle(signed_headers(body), body)

    holder = MemoryStore(clock=lambda: float(NOW))
    handler, _ = make(Recorder(), holder, in_progress_wait_seconds=0.02)
    holder.claim("webhook-event:evt-0001", sha256(body).hexdigest(), 30.0)
    with pytest.raises(IdempotencyInProgressError):
        handler.handle(signed_headers(body, nonce="nonce-second-01"), body)


def test_the_wait_for_a_held_key_is_in_pauses_and_ends_when_it_is_free() -> None:
    store = MemoryStore(clock=lambda: float(NOW))
    once = ProcessOnce(store, in_progress_wait_seconds=0.05, poll_seconds=0.01)
    assert len(list(once.pauses())) == 5
    assert list(ProcessOnce(store, in_progress_wait_seconds=0.0).pauses()) == []

    holder = store.claim("evt-key", sha256(b"x").hexdigest(), 30.0)
    with pytest.raises(IdempotencyInProgressError):
        once.begin("evt-key", b"x", wait=False)  # at once, no pause
    store.release("evt-key", holder.owner or "")
    claim = once.begin("evt-key", b"x")
    assert claim is not None
    assert claim.state is ClaimState.NEW


def test_run_keeps_the_key_for_an_action_longer_than_its_lease() -> None:
    """IPN goes through `ProcessOnce.run`: a 1 s action under a 0.3 s lease keeps its key,
    so a redelivery meanwhile is in progress and the action runs once."""
    store = MemoryStore(clock=time.time)  # leases lapse in real time
    once = ProcessOnce(store, lease_seconds=0.3, in_progress_wait_seconds=0.0)
    answers: list[str] = []

    def slow() -> None:
        time.sleep(1.0)
        try:
            once.run("ipn-key", b"x", lambda: answers.append("ran twice"))
        except IdempotencyInProgressError:
            answers.append("in progress")

    assert once.run("ipn-key", b"x", slow) is True
    assert answers == ["in progress"]
    assert once.run("ipn-key", b"x", lambda: answers.append("ran again")) is False


def test_an_action_whose_claim_was_taken_over_meanwhile_does_not_run() -> None:
    """Renewals that failed for a whole lease (a store outage, a frozen process): another
    caller may hold the key, so the action is not run; a release has nothing to give up, and
    the caller sees why."""
    now = [float(NOW)]
    store = MemoryStore(clock=lambda: now[0])
    once = ProcessOnce(store, lease_seconds=30.0)
    claim = once.begin("k", b"x")
    assert claim is not None
    once._keeper._kept["k", claim.owner or ""].lapses_at = 0.0  # no renewal was kept
    now[0] += 31.0
    assert store.claim("k", sha256(b"x").hexdigest(), 30.0).taken_over  # someone else's now
    ran: list[str] = []

    with pytest.raises(IdempotencyInProgressError, match="'k' was taken over"):
        once.act(claim, lambda: ran.append("ran"))
    once.end(claim, succeeded=False)  # nothing to release: not an error

    assert ran == []


def test_rejections_never_reach_the_handler() -> None:
    recorder = Recorder()
    handler, _ = make(recorder)
    body = event_body()
    forged = signed_headers(body, secrets=["forged"])
    stale = signed_headers(body, timestamp=NOW - 1000)

    assert outcome(handler, forged, body) == "rejected:bad_signature"
    assert outcome(handler, stale, body) == "rejected:stale_timestamp"
    assert outcome(handler, signed_headers(body), body) == "processed:evt-0001"
    assert outcome(handler, signed_headers(body), body) == "rejected:replayed_nonce"
    assert recorder.seen == ["evt-0001"]


def test_a_mixed_sequence_of_deliveries_gets_each_its_own_answer() -> None:
    recorder = Recorder()
    handler, store = make(recorder, in_progress_wait_seconds=0.02)
    malformed = b'{"event_id": "evt-bad"}'
    deliveries = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-1", "nonce-c-000001"),  # a redelivery of evt-1
        delivery("evt-3", "nonce-a-000001"),  # a replay of the first delivery's nonce
        delivery("evt-4", "nonce-d-000001", secrets=["forged-secret"]),
        (signed_headers(malformed, event_id="evt-bad", nonce="nonce-e-000001"), malformed),
        (signed_headers(malformed, event_id="evt-bad", nonce="nonce-e-000001"), malformed),
    ]

    answers = [outcome(handler, headers, body) for headers, body in deliveries]

    assert answers == [
        "processed:evt-1",
        "processed:evt-2",
        "duplicate:evt-1",
        "rejected:replayed_nonce",
        "rejected:bad_signature",
        "rejected:malformed_body",
        "rejected:replayed_nonce",  # a malformed body burns its nonce
    ]
    assert recorder.seen == ["evt-1", "evt-2"]
    assert store.get("webhook-event:evt-3") is None
    assert store.get("webhook-event:evt-1").result == {"status": "processed"}  # type: ignore[union-attr]


def test_a_failing_handler_fails_only_its_own_deliveries_and_releases_its_claim() -> None:
    recorder = Recorder(failing=frozenset({"evt-2"}))
    handler, store = make(recorder)
    deliveries = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-2", "nonce-c-000001"),
        delivery("evt-3", "nonce-d-000001"),
    ]

    answers = [outcome(handler, headers, body) for headers, body in deliveries]

    assert answers == ["processed:evt-1", "RuntimeError", "RuntimeError", "processed:evt-3"]
    assert recorder.seen == ["evt-1", "evt-2", "evt-2", "evt-3"]
    assert store.get("webhook-event:evt-2") is None


class FailingClaims(MemoryStore):
    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        raise StoreUnavailableError("sqlite", "disk I/O error")


def test_a_store_outage_fails_a_valid_delivery_and_still_rejects_a_forgery() -> None:
    recorder = Recorder()
    handler, _ = make(recorder, FailingClaims(clock=lambda: float(NOW)))

    valid = outcome(handler, *delivery("evt-1", "nonce-a-000001"))
    forged = outcome(handler, *delivery("evt-2", "nonce-b-000001", secrets=["forged-secret"]))

    assert (valid, forged) == ("StoreUnavailableError", "rejected:bad_signature")
    assert recorder.seen == []


class StolenLeases(MemoryStore):
    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        raise LeaseLostError(f"lease on {key!r} is no longer held by this caller")


def test_a_lease_lost_before_completion_is_an_error_not_a_success() -> None:
    handler, _ = make(Recorder(), StolenLeases(clock=lambda: float(NOW)))

    with pytest.raises(LeaseLostError, match="webhook-event:evt-1"):
        handler.handle(*delivery("evt-1", "nonce-a-000001"))


def test_an_interrupt_in_a_handler_releases_its_claim() -> None:
    store = MemoryStore(clock=lambda: float(NOW))

    def interrupted(event: WebhookEvent) -> None:
        if event.event_id == "evt-2":
            raise KeyboardInterrupt

    verifier = WebhookVerifier([SECRET], store, clock=lambda: float(NOW))
    webhooks = WebhookHandler(verifier, store, interrupted)

    webhooks.handle(*delivery("evt-1", "nonce-1-000001"))
    with pytest.raises(KeyboardInterrupt):
        webhooks.handle(*delivery("evt-2", "nonce-2-000001"))

    assert store.get("webhook-event:evt-1").result == {"status": "processed"}  # type: ignore[union-attr]
    assert store.get("webhook-event:evt-2") is None


def test_a_transactional_handler_needs_a_sql_store() -> None:
    store = MemoryStore()
    verifier = WebhookVerifier([SECRET], store)
    handler = TransactionalHandler(lambda event, tx: None)

    with pytest.raises(ConfigError, match=r"needs a SQL idempotency store .*not memory"):
        WebhookHandler(verifier, store, handler)
