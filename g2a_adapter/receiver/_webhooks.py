"""Verification of signed webhook deliveries (docs/g2a-api.md §5).

Checks run before any JSON parsing, in this order: body size, the four headers present and
well formed, signature (constant-time, against every configured secret: rotation), timestamp
within ±tolerance, nonce never seen (recorded once every check before it passed), then the
body: a valid event whose id is the one `X-G2A-Event-Id` named (a body refused there has
already spent its nonce).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping

from g2a_adapter.idempotency import ReplayGuard
from g2a_adapter.receiver._events import WebhookEvent, is_delivery_id, parse_event
from g2a_adapter.receiver._rejections import reject
from g2a_adapter.wire import (
    HEADER_EVENT_ID,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    WEBHOOK_HEADERS,
    WEBHOOK_SIGNATURE_VERSION,
    webhook_signature,
)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # unix seconds
_NONCE = re.compile(r"[A-Za-z0-9._~-]{8,128}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_SIGNATURES = 8
NONCE_PREFIX = "webhook-nonce:"


def _wall_clock() -> float:
    return time.time()  # looked up at call time, so freezegun applies


def _header_values(headers: Mapping[str, str]) -> dict[str, str]:
    """Values by lower-case name, stripped; of a repeated header the first."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        found.setdefault(name.lower(), value.strip())
    return found


def nonce_of(headers: Mapping[str, str]) -> str:
    """The nonce a delivery's verification records ("" without one): what orders the
    verifications of a batch, as the event ids order its claims."""
    return _header_values(headers).get(HEADER_NONCE.lower(), "")


def _signed_headers(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """Event id, timestamp, nonce and signature, stripped; names in any case, and of a
    repeated header the first."""
    found = _header_values(headers)
    missing = [name for name in WEBHOOK_HEADERS if not found.get(name.lower())]
    if missing:
        raise reject("missing_header", missing[0])
    event_id, timestamp, nonce, signature = (found[name.lower()] for name in WEBHOOK_HEADERS)
    return event_id, timestamp, nonce, signature


def _signatures(header: str) -> list[str]:
    """The `v1=` values of `X-G2A-Signature`, each hex SHA-256; other versions are ignored."""
    parts = [p.strip() for p in header.split(",")]
    if len(parts) > _MAX_SIGNATURES:
        raise reject("malformed_header", f"{HEADER_SIGNATURE}: over {_MAX_SIGNATURES} values")
    found = []
    for part in parts:
        version, sep, value = part.partition("=")
        if not sep or not version:
            raise reject("malformed_header", HEADER_SIGNATURE)
        if version == WEBHOOK_SIGNATURE_VERSION:
            if not _HEX_SHA256.fullmatch(value):
                raise reject("malformed_header", f"{HEADER_SIGNATURE} is not hex SHA-256")
            found.append(value)
    if not found:
        raise reject("malformed_header", f"{HEADER_SIGNATURE}: no {WEBHOOK_SIGNATURE_VERSION}=")
    return found


def _check_formats(event_id: str, timestamp: str, nonce: str) -> None:
    if not _TIMESTAMP.fullmatch(timestamp):
        raise reject("malformed_header", f"{HEADER_TIMESTAMP} is not unix seconds")
    if not _NONCE.fullmatch(nonce):
        raise reject("malformed_header", f"{HEADER_NONCE} must be 8-128 URL-safe chars")
    if not is_delivery_id(event_id):
        raise reject("malformed_header", HEADER_EVENT_ID)


class WebhookVerifier:
    """Verifies `X-G2A-*` signed deliveries; `verify` raises `WebhookRejectedError(reason)`.

    Nonces are remembered by `replay_guard` (any built-in store backend is one) for twice the
    tolerance: as long as their timestamp stays acceptable.
    """

    def __init__(
        self,
        secrets: list[str],
        replay_guard: ReplayGuard,
        *,
        tolerance_seconds: int = 300,
        max_body_bytes: int = 65536,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not secrets or not all(secrets):
            raise ValueError("at least one non-empty webhook secret is required")
        if tolerance_seconds <= 0 or max_body_bytes <= 0:
            raise ValueError("tolerance_seconds and max_body_bytes must be positive")
        self._secrets = tuple(secrets)
        self._replay_guard = replay_guard
        self.tolerance_seconds = tolerance_seconds
        self.max_body_bytes = max_body_bytes
        self._clock = clock or _wall_clock
        self.nonce_ttl_seconds = 2 * tolerance_seconds + 1

    def __repr__(self) -> str:
        return (
            f"WebhookVerifier(secrets=<{len(self._secrets)} hidden>, "
            f"tolerance_seconds={self.tolerance_seconds}, max_body_bytes={self.max_body_bytes})"
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The delivery's event, once every check passed and its nonce was recorded."""
        if len(body) > self.max_body_bytes:
            raise reject("oversized_body", f"more than {self.max_body_bytes} bytes")
        event_id, timestamp, nonce, signature = _signed_headers(headers)
        provided = _signatures(signature)
        _check_formats(event_id, timestamp, nonce)
        if not self._signed_by_a_secret(timestamp, nonce, body, provided):
            raise reject("bad_signature")
        self._check_timestamp(int(timestamp))
        if not self._replay_guard.add_nonce(NONCE_PREFIX + nonce, self.nonce_ttl_seconds):
            raise reject("replayed_nonce")
        event = parse_event(body)
        if event.event_id != event_id:
            raise reject("malformed_header", f"{HEADER_EVENT_ID} differs from the signed body")
        return event

    def _signed_by_a_secret(
        self, timestamp: str, nonce: str, body: bytes, provided: list[str]
    ) -> bool:
        """Constant-time: every expected signature (one per secret) meets every provided one."""
        matched = False
        for secret in self._secrets:
            expected = webhook_signature(secret, timestamp, nonce, body)
            for candidate in provided:
                matched |= hmac.compare_digest(expected, candidate)
        return matched

    def _check_timestamp(self, timestamp: int) -> None:
        skew = self._clock() - timestamp
        if skew > self.tolerance_seconds:
            raise reject("stale_timestamp", f"{int(skew)} s old")
        if -skew > self.tolerance_seconds:
            raise reject("future_timestamp", f"{int(-skew)} s ahead")
