"""Schemathesis against the receiver app over real HTTP (uvicorn in a thread) from
contracts/openapi/receiver.yaml: every generated request, valid or not, answers 2xx or a
documented 4xx, never 5xx.

Signatures are computed by requests-level auth hooks when each request is sent, over the exact
bytes on the wire: the webhook's `X-G2A-*` headers (HMAC over timestamp.nonce.body), the G2A Pay
IPN `hash` field, and a seller bearer token for `/healthcheck`. A generated request that lacks
the signature header altogether (a negative case) is sent unsigned, to exercise that rejection.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import hypothesis
import pytest
import requests
from _schemathesis import (
    ACCEPTING_CHECKS,
    accepted_answer,
    checked_token_answer,
    load_schema,
    seller_token,
)

from g2a_adapter import Settings
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions
from g2a_adapter.wire import (
    HEADER_EVENT_ID,
    HEADER_SIGNATURE,
    ipn_hash,
    signed_webhook_headers,
)
from harness.recording_receiver import recording_receiver_app
from harness.serving import serve_asgi
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

WEBHOOK_SECRET = "receiver-contract-secret"
PAY_SECRET = "receiver-contract-pay-secret"  # keys the G2A Pay IPN hash
HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
schema = load_schema("receiver.yaml")


class ReceiverSigning(requests.auth.AuthBase):
    """Signs each request as G2A (or the twin) would, at send time, over the final bytes."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        path = urlsplit(str(request.url)).path
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        if path == "/webhooks/g2a":
            self._sign_event(request, raw)
        elif path == "/webhooks/g2a-pay":
            self._sign_ipn(request, raw)
        elif path == "/healthcheck":
            request.headers["Authorization"] = f"Bearer {seller_token(str(request.url))}"
        return request

    @staticmethod
    def _sign_event(request: requests.PreparedRequest, raw: bytes) -> None:
        if HEADER_SIGNATURE not in request.headers:
            return
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        event_id = event.get("event_id") if isinstance(event, dict) else None
        signed = signed_webhook_headers([WEBHOOK_SECRET], raw, event_id=str(event_id))
        # The header must carry the body's id, when that id can travel in a header at all;
        # otherwise the generated one stays.
        if not (isinstance(event_id, str) and HEADER_VALUE.fullmatch(event_id)):
            del signed[HEADER_EVENT_ID]
        request.headers.update(signed)

    @staticmethod
    def _sign_ipn(request: requests.PreparedRequest, raw: bytes) -> None:
        try:
            fields = dict(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            return
        if not all(k in fields for k in ("transactionId", "userOrderId", "amount", "hash")):
            return
        fields["hash"] = ipn_hash(
            fields["transactionId"], fields["userOrderId"], fields["amount"], PAY_SECRET
        )
        request.prepare_body(urlencode(fields), None)


schema.auth.set_from_requests(ReceiverSigning())


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    """An event's price to 8 decimal places, as receiver.yaml says in words: JSON Schema has no
    way to say it (a `multipleOf` of 1e-8 is generated through floats that break it), and a
    generated 2.76e-128 is refused as it should be."""
    data = body.get("data") if isinstance(body, dict) else None
    price = data.get("price") if isinstance(data, dict) else None
    if isinstance(price, float) and math.isfinite(price) and price >= 0:
        data["price"] = round(price, 8)
    return body


@pytest.fixture(scope="module")
def receiver_url() -> Iterator[str]:
    settings = Settings(
        api_url="https://sandboxapi.g2a.com/v1",
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        pay_api_secret=PAY_SECRET,
    )
    app, _ = recording_receiver_app(settings, ReceiverOptions(store=MemoryStore()))
    with serve_asgi(app) as base_url:
        yield base_url


@schema.parametrize()
@hypothesis.settings(deadline=None)
def test_receiver_never_answers_5xx(case: Any, receiver_url: str) -> None:
    response = case.call_and_validate(base_url=receiver_url, checks=ACCEPTING_CHECKS)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "label",
    # A generator cannot guess the client credentials of GET /oauth/token; seller_token() gets
    # tokens from it.
    [op.ok().label for op in schema.get_all_operations() if op.ok().label != "GET /oauth/token"],
)
def test_each_receiver_operation_accepts_a_generated_request(label: str, receiver_url: str) -> None:
    """Its success answer is checked against the document too, not only its refusals."""
    accepted_answer(schema, label, receiver_url)


def test_the_token_answer_matches_the_document(receiver_url: str) -> None:
    answer = checked_token_answer(schema, receiver_url)
    assert answer["token_type"] == "bearer"
    assert answer["expires_in"] > 0
    assert answer["access_token"]


def test_a_signed_event_is_processed_once_over_http(receiver_url: str) -> None:
    """The signing hook itself is right: a valid event is processed, then a duplicate."""
    body = json.dumps(
        {
            "event_id": "evt-contract-1",
            "type": "order.paid",
            "created_at": "2026-01-01T00:00:00Z",
            "data": {"order_id": "1", "product_id": "2", "price": 1.5, "currency": "EUR"},
        }
    ).encode()
    answers = []
    for _ in range(2):
        request = requests.Request(
            "POST",
            f"{receiver_url}/webhooks/g2a",
            data=body,
            headers={"Content-Type": "application/json", HEADER_SIGNATURE: "unsigned"},
            auth=ReceiverSigning(),
        ).prepare()
        with requests.Session() as session:
            answers.append(session.send(request, timeout=5))
    assert [(a.status_code, a.json()) for a in answers] == [
        (200, {"status": "processed", "event_id": "evt-contract-1"}),
        (200, {"status": "duplicate", "event_id": "evt-contract-1"}),
    ]
