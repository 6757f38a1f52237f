"""Webhook verification throughput vs. a bare HMAC check of the same bytes.

Subject: `WebhookVerifier.verify` of a 1 KiB signed event (headers, ±tolerance, HMAC,
constant-time compare, nonce recorded in a `MemoryStore`, body parsed into `WebhookEvent`).
Baseline: `hmac.new(secret, f"{ts}.{nonce}.{body}", sha256).hexdigest()` + `compare_digest`.
A second line reports `authenticate` (every check but parsing the body).
The nonce check uses a MemoryStore, so the store backend is not part of this figure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable

from benchmarks._core import Ratio, alternating_median
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.signing import webhook_signature_header
from g2a_adapter.webhooks import WebhookVerifier

SECRET = "bench-webhook-secret"  # noqa: S105 - a benchmark fixture
TARGET = 0.7


def _event_body() -> bytes:
    payload = {
        "event_id": "evt-bench-000001",
        "type": "order.paid",
        "created_at": "2026-01-01T00:00:00Z",
        "data": {
            "order_id": "1530978476",
            "product_id": "10000027819004",
            "price": 41.5,
            "currency": "EUR",
            "note": "",
        },
    }
    base = len(json.dumps(payload).encode())
    payload["data"]["note"] = "x" * (1024 - base)  # type: ignore[index]
    body = json.dumps(payload).encode()
    assert len(body) == 1024
    return body


def _deliveries(n: int, body: bytes) -> list[dict[str, str]]:
    ts = str(int(time.time()))
    return [
        {
            "X-G2A-Event-Id": "evt-bench-000001",
            "X-G2A-Timestamp": ts,
            "X-G2A-Nonce": f"bench-nonce-{i:010d}",
            "X-G2A-Signature": webhook_signature_header(
                [SECRET], ts, f"bench-nonce-{i:010d}", body
            ),
        }
        for i in range(n)
    ]


def _rate(call: Callable[[dict[str, str]], object], deliveries: list[dict[str, str]]) -> float:
    started = time.perf_counter()
    for headers in deliveries:
        call(headers)
    return len(deliveries) / (time.perf_counter() - started)


def run(quick: bool) -> list[Ratio]:
    n, rounds = (2_000, 5) if quick else (20_000, 9)
    body = _event_body()
    key = SECRET.encode()

    def bare(headers: dict[str, str]) -> bool:
        message = b"%s.%s.%s" % (
            headers["X-G2A-Timestamp"].encode(),
            headers["X-G2A-Nonce"].encode(),
            body,
        )
        expected = hmac.new(key, message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers["X-G2A-Signature"][3:])

    def measure(method: str) -> tuple[float, float]:
        def subject() -> float:
            verifier = WebhookVerifier([SECRET], MemoryStore())
            return _rate(lambda h: getattr(verifier, method)(h, body), _deliveries(n, body))

        return alternating_median(subject, lambda: _rate(bare, _deliveries(n, body)), rounds)

    verify, baseline = measure("verify")
    authenticate, baseline_auth = measure("authenticate")
    return [
        Ratio(
            "webhook verify (1 KiB, parse included)",
            verify,
            baseline,
            "verifications/s",
            TARGET,
            True,
            "nonce in MemoryStore; baseline: bare hmac + compare_digest",
        ),
        Ratio(
            "webhook authenticate (1 KiB, no parse)",
            authenticate,
            baseline_auth,
            "verifications/s",
            TARGET,
            True,
            "nonce in MemoryStore; body not parsed",
        ),
    ]


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
