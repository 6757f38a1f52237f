"""Webhook verification throughput vs. a bare HMAC check of the same bytes.

    python -m benchmarks.bench_webhooks [--quick]

The issue's figure, "verifications per second of a 1 KiB signed event": a verification is
`WebhookVerifier.authenticate` — size limit, the four headers, signature (constant-time),
timestamp within ±tolerance and the nonce recorded once (in a `MemoryStore`, so no store
backend is measured). JSON parsing is NOT included there. Baseline: `hmac.new(secret,
f"{ts}.{nonce}.{body}", sha256).hexdigest()` + `compare_digest` of the same bytes.

A second line includes JSON parsing: `WebhookVerifier.verify` (authenticate + parse into a
`WebhookEvent`) vs. the bare HMAC check + `json.loads` of the same body; its note also gives
the ratio against the bare HMAC check alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable

from benchmarks._core import Ratio, alternating_median
from g2a_adapter import WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.wire import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signed_webhook_headers,
)

SECRET = "bench-webhook-secret"  # noqa: S105 - a benchmark fixture
SECRET_BYTES = SECRET.encode()
TARGET = 0.7
EVENT_ID = "evt-bench-000001"
Headers = dict[str, str]


def event_body() -> bytes:
    """A valid `order.paid` event of exactly 1 KiB."""
    payload = {
        "event_id": EVENT_ID,
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


BODY = event_body()


def deliveries(n: int, body: bytes = BODY) -> list[Headers]:
    """`n` signed header sets for `body`, each with its own nonce."""
    ts = int(time.time())
    return [
        signed_webhook_headers(
            [SECRET], body, event_id=EVENT_ID, timestamp=ts, nonce=f"bench-nonce-{i:010d}"
        )
        for i in range(n)
    ]


def bare_check(headers: Headers, body: bytes) -> bool:
    """The baseline: the HMAC check alone, written the obvious way."""
    message = b"%s.%s.%s" % (
        headers[HEADER_TIMESTAMP].encode(),
        headers[HEADER_NONCE].encode(),
        body,
    )
    expected = hmac.new(SECRET_BYTES, message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[HEADER_SIGNATURE][3:])


def bare_check_and_parse(headers: Headers, body: bytes) -> object:
    return bare_check(headers, body) and json.loads(body)


def _rate(n: int, make: Callable[[], Callable[[Headers, bytes], object]]) -> float:
    """Calls per second of `make()` over `n` fresh deliveries (set-up not timed)."""
    call, batch, body = make(), deliveries(n), BODY
    started = time.perf_counter()
    for headers in batch:
        call(headers, body)
    return n / (time.perf_counter() - started)


def _verifier() -> WebhookVerifier:
    return WebhookVerifier([SECRET], MemoryStore())


def run(quick: bool) -> list[Ratio]:
    n, rounds = (5_000, 7) if quick else (20_000, 9)
    auth, bare = alternating_median(
        lambda: _rate(n, lambda: _verifier().authenticate),
        lambda: _rate(n, lambda: bare_check),
        rounds,
    )
    verify, bare_parse = alternating_median(
        lambda: _rate(n, lambda: _verifier().verify),
        lambda: _rate(n, lambda: bare_check_and_parse),
        rounds,
    )
    return [
        Ratio(
            "webhook verification, 1 KiB (signature+timestamp+nonce, no JSON parse)",
            auth,
            bare,
            "verifications/s",
            TARGET,
            True,
            "nonce in MemoryStore; baseline: bare hmac.new().hexdigest() + compare_digest",
        ),
        Ratio(
            "webhook verify + parse to WebhookEvent, 1 KiB",
            verify,
            bare_parse,
            "verifications/s",
            TARGET,
            True,
            "baseline: bare hmac + compare_digest + json.loads; "
            f"vs bare hmac alone: {verify / bare:.2f}",
        ),
    ]


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
