"""G2A Pay IPN (payment notification) verification, docs/g2a-api.md §4.

The hash is `sha256(transactionId + userOrderId + amount + secret)` over the amount string
exactly as posted (never re-formatted through a number), compared in constant time. It does not
cover `status` or `refundedAmount` (docs/g2a-api.md §4): a handler confirms a status with G2A
Pay before it acts on it.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl

from g2a_adapter.receiver._rejections import reject
from g2a_adapter.wire import ipn_hash

IPN_STATUSES = frozenset(
    {"complete", "rejected", "cancelled", "partial_refunded", "refunded", "pending"}
)
_REQUIRED = ("type", "transactionId", "userOrderId", "amount", "status", "hash")
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,8})?\Z")  # finite by construction: no NaN, no inf
_CURRENCY = re.compile(r"^[A-Z]{3}\Z")
_OPTIONAL_AMOUNTS = ("refundedAmount",)
_FINGERPRINTED = ("type", "transactionId", "userOrderId", "amount", "status")
_HASH = re.compile(r"^[0-9a-fA-F]{64}\Z")
MAX_IPN_BYTES = 16384
# G2A documents no format for these; printable and bounded, they make an idempotency key that
# every store backend keeps (PostgreSQL text refuses NUL; its index refuses very long keys).
_NAMES = ("type", "transactionId", "userOrderId")
MAX_NAME_CHARS = 255


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
        """One processing per transaction and status (a refund follows a completion), and per
        refunded amount of a partial refund (a transaction may be refunded in parts)."""
        key = f"ipn:{self.transaction_id}:{self.status}"
        refunded = self._refunded_amount()
        if self.status == "partial_refunded" and refunded is not None:
            key += f":{refunded}"
        return key

    @property
    def fingerprint(self) -> bytes:
        """What the notification says, whatever the order of its posted fields: a resend is a
        duplicate, and another amount or order under the same key is a conflict."""
        said = {name: self.fields.get(name) for name in _FINGERPRINTED}
        said["refundedAmount"] = self._refunded_amount()
        return json.dumps(said, sort_keys=True).encode()

    def _refunded_amount(self) -> str | None:
        """`refundedAmount` as a number, when posted: `10.00` and `10` are one amount."""
        refunded = self.fields.get("refundedAmount")
        return None if refunded is None else f"{Decimal(refunded).normalize():f}"


def parse_form(body: bytes) -> dict[str, str]:
    """`application/x-www-form-urlencoded` → fields; a repeated field is malformed."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise reject("malformed_body", "not form-encoded UTF-8") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise reject("malformed_body", "a field is repeated")
    return fields


def _check_optional(fields: Mapping[str, str]) -> None:
    """Optional fields, when posted, follow the rules of their required kin."""
    for name in _OPTIONAL_AMOUNTS:
        if name in fields and not _AMOUNT.match(fields[name]):
            raise reject("malformed_body", f"{name} is not a finite amount")
    if "currency" in fields and not _CURRENCY.match(fields["currency"]):
        raise reject("malformed_body", "currency is not a 3-letter code")


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
            raise reject("malformed_body", f"missing {', '.join(missing)}")
        for name in _NAMES:
            if len(fields[name]) > MAX_NAME_CHARS or not fields[name].isprintable():
                raise reject(
                    "malformed_body", f"{name} is not 1 to {MAX_NAME_CHARS} printable chars"
                )
        amount, posted_hash = fields["amount"], fields["hash"]
        if not _AMOUNT.match(amount) or not _HASH.match(posted_hash):
            raise reject("malformed_body", "amount or hash is malformed")
        expected = ipn_hash(fields["transactionId"], fields["userOrderId"], amount, self._secret)
        if not hmac.compare_digest(expected, posted_hash.lower()):
            raise reject("bad_signature")
        if fields["status"] not in IPN_STATUSES:
            raise reject("malformed_body", "unknown status")
        _check_optional(fields)
        return IpnNotification(
            type=fields["type"],
            transaction_id=fields["transactionId"],
            user_order_id=fields["userOrderId"],
            amount=amount,
            status=fields["status"],
            fields=dict(fields),
        )
