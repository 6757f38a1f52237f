"""G2A Pay IPN hashes over the raw amount, and our seller-callback token issuer."""

from __future__ import annotations

import pytest

from g2a_adapter import WebhookRejectedError
from g2a_adapter.receiver import IpnVerifier, SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._ipn import parse_form
from g2a_adapter.wire import ipn_hash

IPN_SECRET = "ipn-secret-value-123"


def ipn_fields(amount: str = "41.50", status: str = "complete") -> dict[str, str]:
    fields = {
        "type": "payment",
        "transactionId": "d3b9a6b2-1111-2222-3333-444455556666",
        "userOrderId": "1530978476",
        "amount": amount,
        "status": status,
        "refundedAmount": "0",
    }
    fields["hash"] = ipn_hash(fields["transactionId"], fields["userOrderId"], amount, IPN_SECRET)
    return fields


def test_ipn_hash_is_checked_over_the_raw_amount_string() -> None:
    notification = IpnVerifier(IPN_SECRET).verify(ipn_fields(amount="41.50"))
    assert (notification.amount, str(notification.amount_decimal)) == ("41.50", "41.50")
    assert notification.idempotency_key == "ipn:d3b9a6b2-1111-2222-3333-444455556666:complete"
    assert notification.fields["refundedAmount"] == "0"

    reformatted = ipn_fields(amount="41.50") | {"amount": "41.5"}  # same number, other bytes
    with pytest.raises(WebhookRejectedError) as caught:
        IpnVerifier(IPN_SECRET).verify(reformatted)
    assert (caught.value.reason, caught.value.status_code) == ("bad_signature", 401)


@pytest.mark.parametrize(
    "change",
    [
        {"hash": ""},
        {"amount": "41,50"},
        {"hash": "zz" * 32},
        {"status": "exploded"},
    ],
)
def test_malformed_ipn_fields(change: dict[str, str]) -> None:
    fields = ipn_fields() | change
    if "status" in change:  # keep the hash valid: only the status word is unknown
        fields["hash"] = ipn_fields()["hash"]
    with pytest.raises(WebhookRejectedError) as caught:
        IpnVerifier(IPN_SECRET).verify(fields)
    assert (caught.value.reason, caught.value.status_code) == ("malformed_body", 400)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("transactionId", "tx\x00id"),  # PostgreSQL text cannot hold NUL
        ("transactionId", "t" * 256),  # past what every store's key index holds
        ("userOrderId", "15\n16"),
        ("type", "pay\tment"),
    ],
)
def test_ipn_names_must_be_printable_and_bounded_even_when_signed(name: str, value: str) -> None:
    fields = ipn_fields() | {name: value}
    fields["hash"] = ipn_hash(fields["transactionId"], fields["userOrderId"], "41.50", IPN_SECRET)
    with pytest.raises(WebhookRejectedError) as caught:
        IpnVerifier(IPN_SECRET).verify(fields)
    assert (caught.value.reason, str(caught.value)) == (
        "malformed_body",
        f"webhook rejected: malformed_body ({name} is not 1 to 255 printable chars)",
    )
    longest = ipn_fields() | {"transactionId": "t" * 255}
    longest["hash"] = ipn_hash("t" * 255, longest["userOrderId"], "41.50", IPN_SECRET)
    assert IpnVerifier(IPN_SECRET).verify(longest).transaction_id == "t" * 255


def test_form_parsing_keeps_raw_strings_and_refuses_repeats() -> None:
    assert parse_form(b"amount=41.50&userOrderId=15") == {"amount": "41.50", "userOrderId": "15"}
    for bad in (b"amount=1&amount=2", b"\xff\xfe", b"no-equals-sign"):
        with pytest.raises(WebhookRejectedError):
            parse_form(bad)


def test_ipn_verifier_repr_hides_the_secret() -> None:
    assert IPN_SECRET not in repr(IpnVerifier(IPN_SECRET))


def test_seller_tokens_are_issued_checked_and_expire() -> None:
    now = [1000.0]
    issuer = SellerTokenIssuer("client-id", "client-secret", ttl_seconds=300, clock=lambda: now[0])
    token = issuer.issue("client_credentials", "client-id", "client-secret")
    assert token.as_json() == {
        "access_token": token.access_token,
        "token_type": "bearer",
        "expires_in": 300,
    }
    assert token.access_token not in repr(token)
    issuer.check(f"Bearer {token.access_token}")
    now[0] = 1299.0
    issuer.check(f"bearer {token.access_token}")
    now[0] = 1300.0
    with pytest.raises(TokenRequestError) as caught:
        issuer.check(f"Bearer {token.access_token}")
    assert (caught.value.error, caught.value.status_code) == ("invalid_token", 401)


def test_a_token_from_one_instance_is_accepted_by_another_with_the_same_settings() -> None:
    """G2A's next call may reach another receiver instance behind the load balancer (or
    another uvicorn worker): the token must hold there, and only there."""
    issued = SellerTokenIssuer("client-id", "client-secret").issue(
        "client_credentials", "client-id", "client-secret"
    )
    bearer = f"Bearer {issued.access_token}"
    SellerTokenIssuer("client-id", "client-secret").check(bearer)
    for other in (("client-id", "rotated-secret"), ("other-id", "client-secret")):
        with pytest.raises(TokenRequestError) as caught:
            SellerTokenIssuer(*other).check(bearer)
        assert caught.value.reason == "invalid_token"


def test_a_token_whose_expiry_was_changed_is_refused() -> None:
    now = [1000.0]
    issuer = SellerTokenIssuer("client-id", "client-secret", ttl_seconds=300, clock=lambda: now[0])
    token = issuer.issue("client_credentials", "client-id", "client-secret").access_token
    expiry, rest = token.split(".", 1)
    assert expiry == "1300"
    for forged in (f"9999999999.{rest}", f"1300 .{rest}", f"{rest}", f"{token}x", "1300..x"):
        with pytest.raises(TokenRequestError) as caught:
            issuer.check(f"Bearer {forged}")
        assert caught.value.reason == "invalid_token"


def test_any_number_of_token_requests_is_served_and_each_token_differs() -> None:
    """No token is kept: 20,000 requests within one TTL are all served (a store of live
    tokens refused them past 10,000), and every token is new."""
    issuer = SellerTokenIssuer("client-id", "client-secret")
    tokens = {
        issuer.issue("client_credentials", "client-id", "client-secret").access_token
        for _ in range(20_000)
    }
    assert len(tokens) == 20_000
    issuer.check(f"Bearer {min(tokens)}")


@pytest.mark.parametrize(
    ("grant", "client_id", "secret", "error", "status"),
    [
        ("password", "client-id", "client-secret", "unsupported_grant_type", 400),
        ("client_credentials", None, "client-secret", "invalid_request", 400),
        ("client_credentials", "client-id", "wrong", "invalid_client", 401),
        ("client_credentials", "other", "client-secret", "invalid_client", 401),
    ],
)
def test_token_requests_are_refused_with_oauth_errors(
    grant: str, client_id: str | None, secret: str, error: str, status: int
) -> None:
    issuer = SellerTokenIssuer("client-id", "client-secret")
    with pytest.raises(TokenRequestError) as caught:
        issuer.issue(grant, client_id, secret)
    assert (caught.value.error, caught.value.status_code) == (error, status)
    assert "client-secret" not in str(caught.value)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer unknown-token"])
def test_bearer_check_refuses_anything_but_a_live_token(header: str | None) -> None:
    with pytest.raises(TokenRequestError):
        SellerTokenIssuer("client-id", "client-secret").check(header)
