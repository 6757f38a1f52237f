"""Deliveries with fixed test values, built by the twin's own body and signing helpers."""

from __future__ import annotations

from typing import Any

from g2a_adapter.wire import signed_webhook_headers
from harness.twin.webhooks import event_body as twin_event_body

SECRET = "whsec-current-0123456789"
OLD_SECRET = "whsec-previous-9876543210"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ORDER = {"order_id": "1530978476", "product_id": "10000027819004", "price": 41.5, "currency": "EUR"}


def event_body(event_id: str = "evt-0001", event_type: str = "order.paid", **data: Any) -> bytes:
    """The body the twin sends for an event created at NOW (2026-01-01T00:00:00Z)."""
    return twin_event_body(event_id, event_type, NOW, {**ORDER, **data})


def signed_headers(
    body: bytes,
    *,
    event_id: str = "evt-0001",
    timestamp: int = NOW,
    nonce: str = "nonce-00000001",
    secrets: list[str] | None = None,
) -> dict[str, str]:
    """Fixed defaults, so a test names only what it varies."""
    return signed_webhook_headers(
        secrets or [SECRET], body, event_id=event_id, timestamp=timestamp, nonce=nonce
    )
