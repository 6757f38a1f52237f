"""The Export API header, built exactly as G2A's PHP client builds it, on known vectors."""

from __future__ import annotations

import hashlib

import httpx

from g2a_adapter import G2AClient, Settings
from g2a_adapter.wire import derive_api_key, export_authorization

SANDBOX_HASH = "qdaiciDiyMaTjxMt"
SANDBOX_EMAIL = "sandboxapitest@g2a.com"
SANDBOX_SECRET = "b0d293f6-e1d2-4629-8264-fd63b5af3207b0d293f6-e1d2-4629-8264-fd63b5af3207"
SANDBOX_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"


def test_published_sandbox_credentials_give_the_published_key() -> None:
    assert derive_api_key(SANDBOX_HASH, SANDBOX_EMAIL, SANDBOX_SECRET) == SANDBOX_KEY


def test_key_is_sha256_of_plain_concatenation_in_order() -> None:
    expected = hashlib.sha256(b"HASHmail@example.comSECRET").hexdigest()
    assert derive_api_key("HASH", "mail@example.com", "SECRET") == expected
    assert derive_api_key("SECRET", "mail@example.com", "HASH") != expected


def test_header_is_hash_comma_space_key() -> None:
    assert export_authorization(SANDBOX_HASH, SANDBOX_KEY) == f"{SANDBOX_HASH}, {SANDBOX_KEY}"


def test_client_sends_the_header_and_content_type_only_with_a_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json={"order_id": "1", "price": 1.0, "currency": "EUR"})
        if request.method == "PUT":
            return httpx.Response(200, json={"status": True, "transaction_id": "t-1"})
        return httpx.Response(200, json={"total": 0, "page": 1, "docs": []})

    settings = Settings(
        api_url="https://sandboxapi.g2a.com", api_hash=SANDBOX_HASH, api_key=SANDBOX_KEY
    )
    with G2AClient(settings, transport=httpx.MockTransport(handler)) as client:
        client.products.list()
        client.orders.create("10000027819004", max_price=20)
        client.orders.pay("1")
    get, post, put = seen
    for request in seen:
        assert request.headers["Authorization"] == (
            "qdaiciDiyMaTjxMt, 74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"
        )
        assert len(request.headers["X-Correlation-Id"]) == 32
    assert "content-type" not in get.headers
    assert post.headers["Content-Type"] == "application/json"
    assert put.headers["Content-Type"] == "application/json"
    assert post.content == b'{"product_id": "10000027819004", "currency": "EUR", "max_price": 20.0}'
    assert put.content == b""
    assert str(get.url) == "https://sandboxapi.g2a.com/v1/products?page=1"
    assert str(put.url) == "https://sandboxapi.g2a.com/v1/order/pay/1"
