"""The wire format shared by G2A, the adapter and the twin: header names and every signature
and credential derivation, in one public module.

Pure functions, so both sides of every exchange compute the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets as _secrets
import socket
import time
from collections.abc import Sequence

# G2A's API hosts (docs/g2a-api.md): the live one and the sandbox.
LIVE_HOST = "api.g2a.com"
SANDBOX_HOST = "sandboxapi.g2a.com"


def _numeric_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a numeric `host` is, read as the system's resolver reads it: IPv6, or IPv4
    in any form `inet_aton` takes (`127.1`, `0x7f000001`, `2130706433`), an IPv4-mapped IPv6
    address as its IPv4 one; None for a name."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only: `localhost` and the names under it (RFC 6761),
    127.0.0.0/8 in any of its written forms, `::1`. The one host the adapter calls over plain
    http (a twin), in the sandbox environment only; the live environment refuses it."""
    name = host.lower().removesuffix(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _numeric_address(host)
    return address is not None and address.is_loopback


def is_unspecified(host: str) -> bool:
    """Whether `host` is the any-address (`0.0.0.0`, `0`, `::`): a server listens there; a
    client calling it reaches this machine."""
    address = _numeric_address(host)
    return address is not None and address.is_unspecified


WEBHOOK_SIGNATURE_VERSION = "v1"

# The headers of a signed webhook delivery (written by `signed_webhook_headers`, read by
# `g2a_adapter.receiver.WebhookVerifier`).
HEADER_EVENT_ID = "X-G2A-Event-Id"
HEADER_TIMESTAMP = "X-G2A-Timestamp"
HEADER_NONCE = "X-G2A-Nonce"
HEADER_SIGNATURE = "X-G2A-Signature"
WEBHOOK_HEADERS = (HEADER_EVENT_ID, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

# The header carrying the purchase key on order creation (read by the twin for replays).
PURCHASE_KEY_HEADER = "X-Purchase-Key"


def derive_api_key(api_hash: str, email: str, api_secret: str) -> str:
    """The Export API key as G2A's dashboard shows it: sha256(hash + email + secret)."""
    return hashlib.sha256(f"{api_hash}{email}{api_secret}".encode()).hexdigest()


def export_authorization(api_hash: str, api_key: str) -> str:
    """The Export API `Authorization` header value: hash, comma, one space, key."""
    return f"{api_hash}, {api_key}"


def webhook_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 hex over `{timestamp}.{nonce}.{raw body}`."""
    message = b"%s.%s.%s" % (timestamp.encode(), nonce.encode(), body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_header(
    secrets: Sequence[str], timestamp: str, nonce: str, body: bytes
) -> str:
    """`X-G2A-Signature` value: one `v1=<hex>` per secret (several during rotation)."""
    return ",".join(
        f"{WEBHOOK_SIGNATURE_VERSION}={webhook_signature(s, timestamp, nonce, body)}"
        for s in secrets
    )


def signed_webhook_headers(
    secrets: Sequence[str],
    body: bytes,
    *,
    event_id: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four `X-G2A-*` headers of a delivery of `body`, signed with every secret.

    `timestamp` defaults to now (unix seconds), `nonce` to 32 fresh random hex characters.
    """
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = _secrets.token_hex(16) if nonce is None else nonce
    return {
        HEADER_EVENT_ID: event_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: webhook_signature_header(secrets, stamp, nonce, body),
    }


def ipn_hash(transaction_id: str, user_order_id: str, amount: str, api_secret: str) -> str:
    """G2A Pay IPN hash: sha256(transactionId + userOrderId + amount + secret), raw amount."""
    return hashlib.sha256(
        f"{transaction_id}{user_order_id}{amount}{api_secret}".encode()
    ).hexdigest()
