"""The webhook sender replays only deliveries the receiver would still judge by their nonce.

The receiver checks a delivery's timestamp before its nonce: a byte-for-byte replay of a
delivery older than its tolerance (300 s) is refused as `stale_timestamp`, a correct refusal
the sender expected as `replayed_nonce`. Any run longer than the tolerance replayed such
deliveries and failed on its own traffic (the soak profile always did).
"""

from __future__ import annotations

import pytest

from g2a_adapter import WebhookRejectedError, WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from harness.load import deliveries

SECRET = "load-test-webhook-secret"
TOLERANCE_S = 300  # the load receiver's (the adapter's default webhook tolerance)


def _verifier(now: list[float]) -> WebhookVerifier:
    return WebhookVerifier(
        [SECRET], MemoryStore(), tolerance_seconds=TOLERANCE_S, clock=lambda: now[0]
    )


def test_a_delivery_older_than_the_tolerance_is_never_replayed() -> None:
    first = deliveries.valid(SECRET, deliveries.new_event("1530978476", "10000027819004"))
    signed_at = deliveries.signed_at(first)
    now = [float(signed_at)]
    verifier = _verifier(now)
    verifier.verify(first.headers, first.body)

    now[0] = signed_at + TOLERANCE_S + 1  # what a soak run reached after five minutes
    with pytest.raises(WebhookRejectedError) as late:
        verifier.verify(first.headers, first.body)
    assert late.value.reason == "stale_timestamp"  # not the replayed_nonce a replay expects
    assert deliveries.replayable([first], now[0], TOLERANCE_S) == []

    now[0] = signed_at + TOLERANCE_S // 3  # young enough, with a margin for clocks and queues
    assert deliveries.replayable([first], now[0], TOLERANCE_S) == [first]
    replayed = deliveries.replay(first)
    with pytest.raises(WebhookRejectedError) as refused:
        verifier.verify(replayed.headers, replayed.body)
    assert refused.value.reason == replayed.expected_answer == "replayed_nonce"


def test_replayable_keeps_the_young_deliveries_in_order() -> None:
    event = deliveries.new_event
    sent = [deliveries.valid(SECRET, event(str(10**9 + n), "10000027819004")) for n in range(3)]
    signed_at = deliveries.signed_at(sent[0])
    assert deliveries.replayable(sent, signed_at + 1, TOLERANCE_S) == sent
    assert deliveries.replayable(sent, signed_at + TOLERANCE_S, TOLERANCE_S) == []
