"""Signed webhook deliveries as the load's webhook sender posts them (pure, no I/O).

Each delivery knows what the receiver must answer, so the sender reports a business failure
exactly when the receiver's answer differs from the expected one.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from g2a_adapter.wire import HEADER_TIMESTAMP, signed_webhook_headers

# A replay is sent only while its delivery is younger than this share of the receiver's
# timestamp tolerance: the margin covers the clocks of worker machines and queueing.
REPLAY_SHARE_OF_TOLERANCE = 0.5
# Every sender opens with these, whatever the dice (a variant whose share is 0 left out): a
# valid delivery, its replay and a forgery. A short run of few posts (the sandbox's one sender
# posts about once a second) then always proves the refusals instead of drawing none at times.
OPENING = ("valid", "replay", "forged")
EVENT_PRODUCT_ID = "10000027819004"


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


@dataclass
class Sender:
    """What one webhook sender posts next: the opening, then variants drawn by `shares`
    (`duplicate`, `replay`, `forged`; the rest is fresh valid events). Pure: the Locust user
    only posts what `next` hands it."""

    secret: str = field(repr=False)  # the webhook secret: never in a repr (a log, a traceback)
    shares: Mapping[str, float]
    tolerance_s: float
    rng: random.Random = field(default_factory=random.Random)
    posted: int = 0
    events: list[dict[str, object]] = field(default_factory=list)
    sent: list[Delivery] = field(default_factory=list)  # valid deliveries, to replay

    def _variant(self) -> str:
        opening = [v for v in OPENING if v == "valid" or self.shares.get(v, 0.0) > 0]
        if self.posted < len(opening):
            return opening[self.posted]
        roll = self.rng.random()
        for variant in ("duplicate", "replay", "forged"):
            if roll < self.shares.get(variant, 0.0):
                return variant
            roll -= self.shares.get(variant, 0.0)
        return "valid"

    def _event(self) -> dict[str, object]:
        return new_event(str(self.rng.randint(10**9, 10**10 - 1)), EVENT_PRODUCT_ID)

    def next(self, now: float) -> Delivery:
        """The next delivery; a duplicate or replay with nothing to repeat is a valid one."""
        variant = self._variant()
        self.posted += 1
        if variant == "forged":
            return forged(self._event())
        if variant == "duplicate" and self.events:
            return duplicate(self.secret, self.rng.choice(self.events))
        if variant == "replay":
            # only deliveries the receiver still judges by their nonce (and the list stays
            # bounded in a long run)
            self.sent = replayable(self.sent, now, self.tolerance_s)
            if self.sent:
                return replay(self.rng.choice(self.sent))
        event = self._event()
        self.events.append(event)
        self.sent.append(valid(self.secret, event))
        return self.sent[-1]
