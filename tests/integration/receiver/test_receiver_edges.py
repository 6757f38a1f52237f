"""The receiver at the edges of HTTP: a client gone mid-body, trailing slashes, body limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _receiver_fixtures import API_HASH, API_KEY, delivery, ipn_form
from starlette.applications import Starlette
from starlette.routing import Mount
from test_receiver_asgi import client_for, receiver, sample

from g2a_adapter import Metrics
from g2a_adapter.receiver import SellerTokenIssuer
from harness.recording_receiver import EventRecorder
from harness.seller_stock import ReferenceStock


async def _call(
    app: Any, path: str, body_chunks: list[bytes], length: int, authorization: str = ""
) -> list[Any]:
    """One POST straight through ASGI whose client goes away after `body_chunks`."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"content-length", str(length).encode()),
            (b"authorization", authorization.encode()),
        ],
        "server": ("receiver", 80),
        "client": ("127.0.0.1", 5000),
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in body_chunks
    ] + [{"type": "http.disconnect"}]
    sent: list[Any] = []

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/webhooks/g2a", "/webhooks/g2a-pay"])
async def test_a_client_gone_mid_body_is_counted_not_a_server_error(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Starlette raises ClientDisconnect; it answered 500 `internal_error` and logged a
    traceback at ERROR for every such connection, and counted nothing."""
    metrics = Metrics()
    app = receiver(metrics=metrics, ipn_handler=EventRecorder().on_payment)

    sent = await _call(app, path, [b'{"event_id": "evt-'], length=400)

    start = next(message for message in sent if message["type"] == "http.response.start")
    assert start["status"] == 400
    reason = {"reason": "incomplete_body"}
    assert sample(metrics, "g2a_webhook_validation_failures_total", **reason) == 1
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.anyio
async def test_mounted_under_a_prefix_the_seller_routes_keep_g2as_error_shape() -> None:
    """A service mounts the receiver in its own app (README: "Serving the receiver inside your
    own app"); G2A calls the seller's base URL, prefix included: a wrong method or path under
    it is answered `{code, message}` there too (it was `{"error"}`: the prefix was read as the
    route)."""
    service = Starlette(routes=[Mount("/g2a", receiver())])
    async with client_for(service) as client:
        wrong_method = await client.post("/g2a/healthcheck")
        no_route = await client.get("/g2a/reservation/res-1/nope")
        webhook_path = await client.get("/g2a/webhooks/g2a")

    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert wrong_method.json()["message"].startswith("POST is not allowed here; allowed: ")
    not_found = {"code": "not_found", "message": "no such endpoint on this receiver"}
    assert (no_route.status_code, no_route.json()) == (404, not_found)
    assert (webhook_path.status_code, webhook_path.json()) == (405, {"error": "method_not_allowed"})


@pytest.mark.anyio
async def test_a_trailing_slash_is_not_found_and_never_redirected() -> None:
    """Starlette's default answered 307 with a Location built from the Host header and the
    query string: the seller's client secret came back in it, and nothing was counted."""
    headers, body = delivery("evt-slash")
    secret = {"grant_type": "client_credentials", "client_id": API_HASH, "client_secret": API_KEY}
    async with client_for(receiver()) as client:
        webhook = await client.post("/webhooks/g2a/", content=body, headers=headers)
        token = await client.get("/oauth/token/", params=secret, headers={"Host": "evil.example"})

    assert (webhook.status_code, webhook.json()) == (404, {"error": "not_found"})
    assert (token.status_code, token.json()) == (
        404,
        {"code": "not_found", "message": "no such endpoint on this receiver"},
    )
    for answer in (webhook, token):
        assert "location" not in answer.headers
        assert API_KEY not in answer.text


@pytest.mark.anyio
async def test_the_body_limit_of_the_options_also_bounds_g2a_pay_ipns() -> None:
    metrics = Metrics()
    app = receiver(metrics=metrics, max_body_bytes=256, ipn_handler=EventRecorder().on_payment)
    padded = ipn_form(transaction_id="tx-big") | {"orderCompleteAt": "x" * 2000}
    async with client_for(app) as client:
        answer = await client.post("/webhooks/g2a-pay", data=padded)

    assert (answer.status_code, answer.json()) == (413, {"error": "oversized_body"})
    assert sample(metrics, "g2a_webhook_validation_failures_total", reason="oversized_body") == 1


@pytest.mark.anyio
async def test_a_seller_call_cut_off_mid_body_says_so() -> None:
    """Its refusal said 'the body is over 65536 bytes' for a client that left."""
    token = SellerTokenIssuer(API_HASH, API_KEY).issue("client_credentials", API_HASH, API_KEY)
    app = receiver(seller_stock=ReferenceStock([]))
    bearer = f"Bearer {token.access_token}"
    sent = await _call(app, "/reservation", [b'[{"product_id": 1'], 400, authorization=bearer)

    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body) == {
        "code": "incomplete_body",
        "message": "the body ended before its declared length",
    }
