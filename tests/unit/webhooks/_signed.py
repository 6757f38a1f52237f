"""Build signed deliveries the way the twin does (one shared signing definition)."""

from __future__ import annotations

import json
from typing import Any

from g2a_adapter.signing import webhook_signature_header

SECRET = "whsec-current-0123456789"
OLD_SECRET = "whsec-previous-9876543210"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def event_body(event_id: str = "evt-0001", event_type: str = "order.paid", **data: Any) -> bytes:
    payload = {
        "event_id": event_id,
        "type": event_type,
        "created_at": "2026-01-01T00:00:00Z",
        "data": {
            "order_id": "1530978476",
            "product_id": "10000027819004",
            "price": 41.5,
            "currency": "EUR",
            **data,
        },
    }
    return json.dumps(payload).encode()


def signed_headers(
    body: bytes,
    *,
    event_id: str = "evt-0001",
    timestamp: int = NOW,
    nonce: str = "nonce-00000001",
    secrets: list[str] | None = None,
) -> dict[str, str]:
    return {
        "X-G2A-Event-Id": event_id,
        "X-G2A-Timestamp": str(timestamp),
        "X-G2A-Nonce": nonce,
        "X-G2A-Signature": webhook_signature_header(
            secrets or [SECRET], str(timestamp), nonce, body
        ),
    }
