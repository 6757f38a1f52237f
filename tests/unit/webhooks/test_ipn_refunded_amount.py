"""`refundedAmount` is one amount however it is spelled: in the key and in the fingerprint."""

from __future__ import annotations

import pytest

from g2a_adapter.receiver import IpnVerifier
from tests.unit.webhooks.test_ipn_and_seller_auth import IPN_SECRET, ipn_fields


def refund(status: str, refunded: str) -> dict[str, str]:
    return ipn_fields(status=status) | {"refundedAmount": refunded}


@pytest.mark.parametrize("status", ["partial_refunded", "refunded"])
def test_a_resend_spelling_the_refunded_amount_otherwise_is_the_same_notification(
    status: str,
) -> None:
    verify = IpnVerifier(IPN_SECRET).verify
    first, resent = verify(refund(status, "10")), verify(refund(status, "10.00"))

    assert resent.idempotency_key == first.idempotency_key
    assert resent.fingerprint == first.fingerprint  # a duplicate, not a conflict
    assert resent.fields["refundedAmount"] == "10.00"  # the handler still sees what was posted


def test_another_refunded_amount_of_a_full_refund_is_a_conflict() -> None:
    verify = IpnVerifier(IPN_SECRET).verify
    first, other = verify(refund("refunded", "10")), verify(refund("refunded", "12.5"))

    assert other.idempotency_key == first.idempotency_key
    assert other.fingerprint != first.fingerprint
