"""WebhookVerifier: one case per rejection reason, rotation, tolerance edges, properties."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from _signed import NOW, OLD_SECRET, SECRET, event_body, signed_headers
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from g2a_adapter import WebhookEvent, WebhookRejectedError, WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import REJECTIONS


def verifier(secrets: list[str] | None = None, **kwargs: int) -> WebhookVerifier:
    return WebhookVerifier(secrets or [SECRET], MemoryStore(), clock=lambda: float(NOW), **kwargs)


def rejection(v: WebhookVerifier, headers: dict[str, str], body: bytes) -> WebhookRejectedError:
    with pytest.raises(WebhookRejectedError) as caught:
        v.verify(headers, body)
    assert caught.value.status_code == REJECTIONS[caught.value.reason].status
    return caught.value


def test_a_valid_delivery_yields_the_event() -> None:
    body = event_body()
    event = verifier().verify(signed_headers(body), body)

    assert event == WebhookEvent.model_validate(
        {
            "event_id": "evt-0001",
            "type": "order.paid",
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "data": {
                "order_id": "1530978476",
                "product_id": "10000027819004",
                "price": 41.5,
                "currency": "EUR",
            },
        }
    )


def test_header_names_are_case_insensitive() -> None:
    body = event_body()
    headers = {k.lower(): v for k, v in signed_headers(body).items()}
    assert verifier().verify(headers, body).event_id == "evt-0001"


@pytest.mark.parametrize("secrets", [[SECRET], [OLD_SECRET], [OLD_SECRET, SECRET]])
def test_rotation_accepts_any_configured_secret(secrets: list[str]) -> None:
    body = event_body()
    v = verifier([SECRET, OLD_SECRET])
    assert v.verify(signed_headers(body, secrets=secrets), body).type == "order.paid"


def test_other_signature_versions_are_ignored_next_to_v1() -> None:
    body = event_body()
    headers = signed_headers(body)
    headers["X-G2A-Signature"] = "v0=deadbeef, " + headers["X-G2A-Signature"]
    assert verifier().verify(headers, body).event_id == "evt-0001"


@pytest.mark.parametrize(
    "header", ["X-G2A-Event-Id", "X-G2A-Timestamp", "X-G2A-Nonce", "X-G2A-Signature"]
)
def test_missing_header(header: str) -> None:
    body = event_body()
    headers = signed_headers(body)
    del headers[header]
    error = rejection(verifier(), headers, body)
    assert (error.reason, error.status_code) == ("missing_header", 401)
    assert header in str(error)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-G2A-Timestamp", "1767225600.5"),
        ("X-G2A-Timestamp", "-1767225600"),
        ("X-G2A-Timestamp", "\uff11\uff17\uff16\uff17"),  # fullwidth (non-ASCII) digits
        ("X-G2A-Timestamp", "1" * 13),
        ("X-G2A-Nonce", "short"),
        ("X-G2A-Nonce", "bad nonce with spaces"),
        ("X-G2A-Event-Id", "evt/../../etc"),
        ("X-G2A-Signature", "v1=nothex"),
        ("X-G2A-Signature", "v1=" + "g" * 64),  # hex length, not hex
        ("X-G2A-Signature", "v1=" + "A" * 64),  # upper-case hex is not the format
        ("X-G2A-Signature", "v1=" + "\u00e9" * 64),  # non-ASCII (latin-1 header bytes)
        ("X-G2A-Signature", "sha256"),
        ("X-G2A-Signature", "v2=" + "a" * 64),
        ("X-G2A-Signature", ",".join(["v1=" + "a" * 64] * 9)),
    ],
)
def test_malformed_header(header: str, value: str) -> None:
    body = event_body()
    headers = signed_headers(body)
    headers[header] = value
    error = rejection(verifier(), headers, body)
    assert (error.reason, error.status_code) == ("malformed_header", 400)
    assert header in str(error)  # the message names the header at fault


def test_event_id_header_must_match_the_signed_body() -> None:
    body = event_body(event_id="evt-0001")
    headers = signed_headers(body, event_id="evt-9999")
    assert rejection(verifier(), headers, body).reason == "malformed_header"


def test_bad_signature() -> None:
    body = event_body()
    error = rejection(verifier(), signed_headers(body, secrets=["someone-else"]), body)
    assert (error.reason, error.status_code) == ("bad_signature", 401)


def test_stale_and_future_timestamps() -> None:
    body = event_body()
    stale = signed_headers(body, timestamp=NOW - 301)
    future = signed_headers(body, timestamp=NOW + 301, nonce="nonce-00000002")
    assert rejection(verifier(), stale, body).reason == "stale_timestamp"
    assert rejection(verifier(), future, body).reason == "future_timestamp"


def test_replayed_nonce_is_rejected_but_a_forgery_does_not_burn_it() -> None:
    body = event_body()
    v = verifier()
    forged = signed_headers(body, secrets=["attacker"])
    assert rejection(v, forged, body).reason == "bad_signature"
    v.verify(signed_headers(body), body)  # the forged attempt did not record the nonce
    error = rejection(v, signed_headers(body), body)
    assert (error.reason, error.status_code) == ("replayed_nonce", 401)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event_id": "evt-0001"}',
        event_body(event_type="order.refunded"),
        event_body(currency="EURO"),
        event_body()[:-1],
    ],
)
def test_malformed_body(body: bytes) -> None:
    error = rejection(verifier(), signed_headers(body), body)
    assert (error.reason, error.status_code) == ("malformed_body", 400)


def test_oversized_body_is_refused_before_anything_else() -> None:
    body = event_body(padding="x" * 2000)
    error = rejection(verifier(max_body_bytes=1024), {}, body)
    assert (error.reason, error.status_code) == ("oversized_body", 413)


def test_repr_hides_the_secrets() -> None:
    assert SECRET not in repr(verifier())
    assert OLD_SECRET not in repr(verifier([OLD_SECRET]))


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)]
)
def test_tolerance_edges_with_a_frozen_clock(offset: int, accepted: bool) -> None:
    body = event_body()
    headers = signed_headers(body, timestamp=NOW + offset)
    with freeze_time(datetime.fromtimestamp(NOW, UTC)):
        v = WebhookVerifier([SECRET], MemoryStore(), tolerance_seconds=300)
        if accepted:
            assert v.verify(headers, body).event_id == "evt-0001"
        else:
            expected = "future_timestamp" if offset > 0 else "stale_timestamp"
            assert rejection(v, headers, body).reason == expected


# --- properties -------------------------------------------------------------------------

_nonces = itertools.count()


def _fresh_nonce() -> str:
    return f"nonce-{next(_nonces):012d}"


@settings(max_examples=150, deadline=None)
@given(
    order_id=st.text(min_size=1, max_size=40),
    units=st.integers(min_value=0, max_value=10**12 - 1),
    scale=st.integers(min_value=0, max_value=8),
    skew=st.integers(min_value=-300, max_value=300),
    rotate=st.booleans(),
)
def test_valid_signatures_always_pass(
    order_id: str, units: int, scale: int, skew: int, rotate: bool
) -> None:
    price = Decimal(units).scaleb(-scale)  # up to 8 decimal places, kept exactly
    raw = event_body(order_id=order_id, price=None)  # "price": null, then the exact digits
    body = raw.replace(b'"price": null', b'"price": ' + str(price).encode())
    secrets = [OLD_SECRET, SECRET] if rotate else [SECRET]
    headers = signed_headers(body, timestamp=NOW + skew, nonce=_fresh_nonce(), secrets=secrets)
    event = verifier([SECRET, OLD_SECRET]).verify(headers, body)
    assert (event.data.order_id, event.data.price) == (order_id, price)


@settings(max_examples=300, deadline=None)
@given(
    part=st.sampled_from(["body", "timestamp", "nonce", "signature"]),
    position=st.integers(min_value=0, max_value=10_000),
    replacement=st.integers(min_value=0, max_value=255),
)
def test_any_single_byte_change_is_rejected(part: str, position: int, replacement: int) -> None:
    body = event_body()
    nonce = _fresh_nonce()
    headers = signed_headers(body, nonce=nonce)
    fields = {
        "body": body,
        "timestamp": headers["X-G2A-Timestamp"].encode(),
        "nonce": nonce.encode(),
        "signature": headers["X-G2A-Signature"].encode(),
    }
    original = fields[part]
    index = position % len(original)
    if original[index] == replacement:
        replacement = (replacement + 1) % 256
    changed = original[:index] + bytes([replacement]) + original[index + 1 :]
    if part == "body":
        body = changed
    else:
        name = {"timestamp": "X-G2A-Timestamp", "nonce": "X-G2A-Nonce"}.get(part, "X-G2A-Signature")
        headers[name] = changed.decode("latin-1")

    with pytest.raises(WebhookRejectedError) as caught:
        verifier().verify(headers, body)
    assert caught.value.reason in {"bad_signature", "malformed_header"}
