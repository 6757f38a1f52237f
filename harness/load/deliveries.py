"""Signed webhook deliveries as the load's webhook sender posts them (pure, no I/O).

Each delivery knows what the receiver must answer, so the sender reports a business failure
exactly when the receiver's answer differs from the expected one.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from g2a_adapter.wire import HEADER_TIMESTAMP, signed_webhook_headers

# A replay is sent only while its delivery is younger than this share of the receiver's
# timestamp tolerance: the margin covers the clocks of worker machines and queueing.
REPLAY_SHARE_OF_TOLERANCE = 0.5


@dataclass(frozen=True)
class Delivery:
    variant: str  # valid | duplicate | replay | forged
    event_id: str
    headers: dict[str, str]
    body: bytes
    expected_status: int
    expected_answer: str  # "processed" | "duplicate" | a rejection reason


def new_event(order_id: str, product_id: str) -> dict[str, object]:
    return {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": "order.paid",
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"order_id": order_id, "product_id": product_id, "price": 9.99, "currency": "EUR"},
    }


def _signed(secret: str, event: dict[str, object]) -> tuple[dict[str, str], bytes]:
    """The compact JSON body of `event` and its signed headers (signed now, a fresh nonce)."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = signed_webhook_headers([secret], body, event_id=str(event["event_id"]))
    return {"Content-Type": "application/json", **headers}, body


def valid(secret: str, event: dict[str, object]) -> Delivery:
    headers, body = _signed(secret, event)
    return Delivery("valid", str(event["event_id"]), headers, body, 200, "processed")


def duplicate(secret: str, event: dict[str, object]) -> Delivery:
    """The same event again, freshly signed (a redelivery): acknowledged, not handled again."""
    headers, body = _signed(secret, event)
    return Delivery("duplicate", str(event["event_id"]), headers, body, 200, "duplicate")


def replay(earlier: Delivery) -> Delivery:
    """An earlier delivery byte for byte: its nonce was used, so it must be refused."""
    return Delivery(
        "replay", earlier.event_id, dict(earlier.headers), earlier.body, 401, "replayed_nonce"
    )


def signed_at(delivery: Delivery) -> int:
    """The unix second the delivery was signed at (its timestamp header)."""
    return int(delivery.headers[HEADER_TIMESTAMP])


def replayable(sent: list[Delivery], now: float, tolerance_s: float) -> list[Delivery]:
    """The deliveries of `sent` young enough to replay: the receiver checks the timestamp
    before the nonce, so a replay older than its tolerance is refused `stale_timestamp`, not
    `replayed_nonce`; only those well within the tolerance are kept."""
    max_age_s = tolerance_s * REPLAY_SHARE_OF_TOLERANCE
    return [d for d in sent if now - signed_at(d) < max_age_s]


def forged(event: dict[str, object]) -> Delivery:
    """A well-formed delivery signed with a secret the receiver does not know."""
    headers, body = _signed(secrets.token_hex(16), event)
    return Delivery("forged", str(event["event_id"]), headers, body, 401, "bad_signature")
