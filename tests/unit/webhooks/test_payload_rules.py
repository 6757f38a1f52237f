"""Webhook and IPN payload rules: finite numbers, 3-letter currencies, exact decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from _signed import NOW, SECRET, signed_headers

from g2a_adapter import WebhookRejectedError, WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import REJECTIONS, IpnVerifier
from g2a_adapter.wire import ipn_hash

TEMPLATE = (
    '{"event_id": "evt-0001", "type": "order.paid", "created_at": "2026-01-01T00:00:00Z", '
    '"data": {"order_id": "1530978476", "product_id": "10000027819004", '
    '"price": PRICE, "currency": CURRENCY}}'
)


def body(price: str = "41.5", currency: str = '"EUR"', created_at: str = "") -> bytes:
    raw = TEMPLATE.replace("PRICE", price).replace("CURRENCY", currency)
    if created_at:
        raw = raw.replace('"2026-01-01T00:00:00Z"', created_at)
    return raw.encode()


def verify(raw: bytes) -> Decimal:
    verifier = WebhookVerifier([SECRET], MemoryStore(), clock=lambda: float(NOW))
    return verifier.verify(signed_headers(raw), raw).data.price


def refused(raw: bytes) -> WebhookRejectedError:
    with pytest.raises(WebhookRejectedError) as caught:
        verify(raw)
    assert caught.value.status_code == REJECTIONS[caught.value.reason].status == 400
    return caught.value


@pytest.mark.parametrize("spelling", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_with_their_own_reason(spelling: str) -> None:
    error = refused(body(price=spelling))
    assert error.reason == "non_finite_number"
    assert f"{spelling} is not a finite number" in str(error)


def test_a_non_finite_number_anywhere_in_the_body_is_refused() -> None:
    raw = body().replace(b'"currency"', b'"fee": NaN, "currency"')  # data allows extra fields
    assert refused(raw).reason == "non_finite_number"


def test_json_nested_too_deeply_is_malformed_not_a_crash() -> None:
    nested = b"[" * 20_000 + b"]" * 20_000  # deeper than any parser stack, within 64 KiB
    raw = body().replace(b'"currency"', b'"fee": ' + nested + b', "currency"')
    error = refused(raw)
    assert (error.reason, str(error)) == (
        "malformed_body",
        "webhook rejected: malformed_body (JSON nested too deeply)",
    )


@pytest.mark.parametrize("price", ["1E+99999999999999999999", "1E-99999999999999999999"])
def test_an_exponent_no_decimal_holds_is_malformed_not_a_crash(price: str) -> None:
    error = refused(body(price=price))
    assert str(error) == "webhook rejected: malformed_body (a number is out of range)"


@pytest.mark.parametrize(
    "price", ["1e400", "-1", "-0.01", "0.123456789", "123456789012345.123456", '"abc"', "null"]
)
def test_prices_out_of_range_or_precision_are_malformed(price: str) -> None:
    assert refused(body(price=price)).reason == "malformed_body"


@pytest.mark.parametrize("price", ['"41.5"', '" 41.5 "', '"1E+2"'])
def test_a_price_written_as_text_is_malformed(price: str) -> None:
    """The contract's price is a JSON number; pydantic's lax mode read the text as one and
    handed the handler an event the contract says never reaches it."""
    error = refused(body(price=price))
    assert (error.reason, str(error)) == (
        "malformed_body",
        "webhook rejected: malformed_body (data.price)",
    )


@pytest.mark.parametrize(
    "created_at",
    [
        "1767225600",  # unix seconds
        "1767225600.5",
        '"1767225600"',
        '"2026-01-01"',  # a date alone
        '"2026-01-01T00:00:00"',  # no offset: read as a naive datetime
        '"2026-01-01T00:00Z"',  # no seconds
        '"2026-01-01 00:00:00Z"',
    ],
)
def test_created_at_must_be_an_rfc_3339_date_time_with_its_offset(created_at: str) -> None:
    """Each was read as a datetime (a naive one without an offset, which a handler comparing
    it with an aware one fails on at every redelivery)."""
    error = refused(body(created_at=created_at))
    assert (error.reason, str(error)) == (
        "malformed_body",
        "webhook rejected: malformed_body (created_at)",
    )


@pytest.mark.parametrize(
    "created_at",
    ['"2026-01-01T00:00:00Z"', '"2026-01-01t00:00:00.123456z"', '"2026-01-01T02:00:00+02:00"'],
)
def test_rfc_3339_date_times_are_read_with_their_offset(created_at: str) -> None:
    verifier = WebhookVerifier([SECRET], MemoryStore(), clock=lambda: float(NOW))
    raw = body(created_at=created_at)
    moment = verifier.verify(signed_headers(raw), raw).created_at
    assert moment.utcoffset() is not None
    assert moment.replace(microsecond=0) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("price", "exact"),
    [
        ("41.5", Decimal("41.5")),
        ("19.99", Decimal("19.99")),
        ("0.10000001", Decimal("0.10000001")),
        ("123456789012.12345678", Decimal("123456789012.12345678")),
        ("0", Decimal("0")),
        ("7", Decimal("7")),
        ("1E+2", Decimal("100")),
    ],
)
def test_amounts_keep_their_decimal_precision(price: str, exact: Decimal) -> None:
    value = verify(body(price=price))
    assert value == exact
    assert str(value) == str(Decimal(price))  # the digits as written, not a float's


@pytest.mark.parametrize(
    "currency", ['"eur"', '"EU"', '"EURO"', '"E1R"', '"€UR"', '"EUR\\n"', '""', "978", "null"]
)
def test_currency_must_be_a_three_letter_code(currency: str) -> None:
    error = refused(body(currency=currency))
    assert error.reason == "malformed_body"
    assert "data.currency" in str(error)


IPN_SECRET = "ipn-secret-value-123"


def ipn(amount: str = "41.50", **extra: str) -> dict[str, str]:
    fields = {
        "type": "payment",
        "transactionId": "d3b9a6b2-1111-2222-3333-444455556666",
        "userOrderId": "1530978476",
        "amount": amount,
        "status": "complete",
        **extra,
    }
    fields["hash"] = ipn_hash(fields["transactionId"], fields["userOrderId"], amount, IPN_SECRET)
    return fields


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        (ipn("NaN"), "amount or hash is malformed"),
        (ipn("Infinity"), "amount or hash is malformed"),
        (ipn("-Infinity"), "amount or hash is malformed"),
        (ipn("1e3"), "amount or hash is malformed"),
        (ipn(refundedAmount="NaN"), "refundedAmount is not a finite amount"),
        (ipn(refundedAmount="inf"), "refundedAmount is not a finite amount"),
        (ipn(currency="eur"), "currency is not a 3-letter code"),
        (ipn(currency="EURO"), "currency is not a 3-letter code"),
    ],
)
def test_ipn_numbers_are_finite_and_currencies_three_letters(
    fields: dict[str, str], detail: str
) -> None:
    with pytest.raises(WebhookRejectedError, match=detail) as caught:
        IpnVerifier(IPN_SECRET).verify(fields)
    assert (caught.value.reason, caught.value.status_code) == ("malformed_body", 400)


def test_ipn_amounts_keep_their_decimal_precision() -> None:
    notification = IpnVerifier(IPN_SECRET).verify(ipn("0.10000001", currency="EUR"))
    assert notification.amount_decimal == Decimal("0.10000001")
