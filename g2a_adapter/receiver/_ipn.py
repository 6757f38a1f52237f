"""G2A Pay IPN (payment notification) verification, docs/g2a-api.md §4.

The hash is `sha256(transactionId + userOrderId + amount + secret)` over the amount string
exactly as posted (never re-formatted through a number), compared in constant time.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl

from g2a_adapter._errors import WebhookRejectedError
from g2a_adapter.wire import ipn_hash

IPN_STATUSES = frozenset(
    {"complete", "rejected", "cancelled", "partial_refunded", "refunded", "pending"}
)
_REQUIRED = ("type", "transactionId", "userOrderId", "amount", "status", "hash")
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,8})?\Z")
_HASH = re.compile(r"^[0-9a-fA-F]{64}\Z")
MAX_IPN_BYTES = 16384


@dataclass(frozen=True)
class IpnNotification:
    type: str
    transaction_id: str
    user_order_id: str
    amount: str  # the raw posted string, as hashed
    status: str
    fields: dict[str, str]  # every posted field (refundedAmount, orderCompleteAt, ...)

    @property
    def amount_decimal(self) -> Decimal:
        return Decimal(self.amount)

    @property
    def idempotency_key(self) -> str:
        """One processing per transaction and status (a refund follows a completion)."""
        return f"ipn:{self.transaction_id}:{self.status}"


def parse_form(body: bytes) -> dict[str, str]:
    """`application/x-www-form-urlencoded` → fields; a repeated field is malformed."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejectedError("malformed_body", 400, "not form-encoded UTF-8") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise WebhookRejectedError("malformed_body", 400, "a field is repeated")
    return fields


class IpnVerifier:
    def __init__(self, api_secret: str) -> None:
        if not api_secret:
            raise ValueError("the G2A Pay API secret must not be empty")
        self._secret = api_secret

    def __repr__(self) -> str:
        return "IpnVerifier(api_secret=***)"

    def verify(self, fields: Mapping[str, str]) -> IpnNotification:
        missing = [name for name in _REQUIRED if not fields.get(name)]
        if missing:
            raise WebhookRejectedError("malformed_body", 400, f"missing {', '.join(missing)}")
        amount, posted_hash = fields["amount"], fields["hash"]
        if not _AMOUNT.match(amount) or not _HASH.match(posted_hash):
            raise WebhookRejectedError("malformed_body", 400, "amount or hash is malformed")
        expected = ipn_hash(fields["transactionId"], fields["userOrderId"], amount, self._secret)
        if not hmac.compare_digest(expected, posted_hash.lower()):
            raise WebhookRejectedError("bad_signature", 401)
        if fields["status"] not in IPN_STATUSES:
            raise WebhookRejectedError("malformed_body", 400, "unknown status")
        return IpnNotification(
            type=fields["type"],
            transaction_id=fields["transactionId"],
            user_order_id=fields["userOrderId"],
            amount=amount,
            status=fields["status"],
            fields=dict(fields),
        )
