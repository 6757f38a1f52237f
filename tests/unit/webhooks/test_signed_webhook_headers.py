"""`signed_webhook_headers`: the one definition of a signed delivery (twin, tests, benchmarks)."""

from __future__ import annotations

import hashlib
import hmac
import re

from _signed import NOW, OLD_SECRET, SECRET, event_body
from freezegun import freeze_time

from g2a_adapter import WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.wire import WEBHOOK_HEADERS, signed_webhook_headers


def test_fixed_values_give_exactly_the_four_headers_with_one_hmac_per_secret() -> None:
    body = event_body()
    headers = signed_webhook_headers(
        [SECRET, OLD_SECRET], body, event_id="evt-0001", timestamp=NOW, nonce="nonce-00000001"
    )

    message = f"{NOW}.nonce-00000001.".encode() + body
    digests = [
        hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        for secret in (SECRET, OLD_SECRET)
    ]
    assert headers == {
        "X-G2A-Event-Id": "evt-0001",
        "X-G2A-Timestamp": str(NOW),
        "X-G2A-Nonce": "nonce-00000001",
        "X-G2A-Signature": f"v1={digests[0]},v1={digests[1]}",
    }
    assert tuple(headers) == WEBHOOK_HEADERS


@freeze_time("2026-01-01T00:00:00Z")
def test_defaults_are_now_and_a_fresh_random_nonce_the_verifier_accepts() -> None:
    body = event_body()
    first = signed_webhook_headers([SECRET], body, event_id="evt-0001")
    second = signed_webhook_headers([SECRET], body, event_id="evt-0001")

    assert first["X-G2A-Timestamp"] == second["X-G2A-Timestamp"] == str(NOW)
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-G2A-Nonce"])
    assert first["X-G2A-Nonce"] != second["X-G2A-Nonce"]
    verifier = WebhookVerifier([SECRET], MemoryStore(), clock=lambda: float(NOW))
    assert verifier.verify(first, body).event_id == "evt-0001"
    assert verifier.verify(second, body).event_id == "evt-0001"  # its own nonce: not a replay
