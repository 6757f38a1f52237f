"""The twin accepts requests byte-for-byte as G2A's official PHP client (Guzzle) sends them.

How that client builds requests (g2a-official/integration-api-client, src/Client.php and
src/Request/RequestAbstract.php): `Authorization: {hash}, sha256(hash . email . secret)`;
`Content-Type: application/json` only on POST and PUT; GET parameters as a query string
(Guzzle's `query` option: http_build_query with RFC 3986 encoding, booleans as 1/0); other
parameters as `json_encode` output (no spaces, `/` escaped); the order id in the path; the pay
call is a PUT with no body. The requests below are written as raw bytes on a socket.

The client's README flow (pay, then fetch the key at once) runs unchanged on the fast profile
(the one these tests use); on the realistic profile the key is not ready for
`completion_delay_seconds` after paying, and the fetch answers ORD03.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
from twin_support import SANDBOX_PRODUCT

from harness.twin import (
    SANDBOX_API_HASH,
    SANDBOX_API_SECRET,
    SANDBOX_EMAIL,
    RunningTwin,
    TwinAdmin,
    TwinConfig,
)

USER_AGENT = "GuzzleHttp/6.5.5 curl/7.68.0 PHP/7.4.3"
AUTHORIZATION = (
    SANDBOX_API_HASH
    + ", "
    + hashlib.sha256((SANDBOX_API_HASH + SANDBOX_EMAIL + SANDBOX_API_SECRET).encode()).hexdigest()
)


def send_raw(twin: RunningTwin, method: str, target: str, *, body: bytes | None = None,
             json_type: bool = False) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request exactly as curl under Guzzle writes it; returns status, headers, body."""
    host, port = urlsplit(twin.base_url).hostname, urlsplit(twin.base_url).port
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {host}:{port}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        f"Authorization: {AUTHORIZATION}",
    ]
    if json_type:
        lines.append("Content-Type: application/json")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    with socket.create_connection((str(host), int(port or 80)), timeout=5) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def php_json(data: dict[str, object]) -> bytes:
    """json_encode's output: compact, slashes escaped."""
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/").encode()


def test_products_query_string_as_guzzle_encodes_it(twin: RunningTwin, admin: TwinAdmin) -> None:
    # setPage(1)->setId(...)->setMinQty(1)->setMinPriceFrom(1.11)->setMinPriceTo(99.99)
    target = f"/v1/products?page=1&id={SANDBOX_PRODUCT}&minQty=1&minPriceFrom=1.11&minPriceTo=99.99"
    status, headers, body = send_raw(twin, "GET", target)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert [d["id"] for d in json.loads(body)["docs"]] == [SANDBOX_PRODUCT]
    [record] = admin.requests(path="/v1/products")
    assert "content-type" not in record["headers"]
    assert record["query"] == target.split("?", 1)[1]


@pytest.mark.parametrize(
    "query",
    [
        "updatedAtFrom=2024-01-01%2000%3A00%3A00&includeOutOfStock=1",  # RFC 3986 (Guzzle)
        "updatedAtFrom=2024-01-01+00%3A00%3A00&includeOutOfStock=1",  # RFC 1738 (getUrl)
    ],
)
def test_encoded_spaces_and_booleans(twin: RunningTwin, query: str) -> None:
    status, _, body = send_raw(twin, "GET", f"/v1/products?{query}")
    assert status == 200
    assert json.loads(body)["total"] == 300  # out-of-stock included, all updated after 2024


def test_order_flow_as_the_php_client_sends_it(twin: RunningTwin, admin: TwinAdmin) -> None:
    payload = php_json({"product_id": SANDBOX_PRODUCT, "currency": "EUR", "max_price": 99.99})
    status, _, body = send_raw(twin, "POST", "/v1/order", body=payload, json_type=True)
    assert status == 200
    order_id = json.loads(body)["order_id"]

    # OrderPaymentRequest: PUT, no parameters, so no body; Content-Type still set.
    status, _, body = send_raw(twin, "PUT", f"/v1/order/pay/{order_id}", json_type=True)
    assert status == 200
    assert json.loads(body)["status"] is True
    status, _, body = send_raw(twin, "GET", f"/v1/order/details/{order_id}")
    assert (status, json.loads(body)["status"]) == (200, "complete")
    status, _, body = send_raw(twin, "GET", f"/v1/order/key/{order_id}")
    assert status == 200
    assert json.loads(body)["key"] == admin.order(order_id)["key"]

    logged = [
        (r["method"], r["headers"].get("content-type"), r["status"]) for r in admin.requests()
    ]
    assert logged == [
        ("POST", "application/json", 200),
        ("PUT", "application/json", 200),
        ("GET", None, 200),
        ("GET", None, 200),
    ]
    assert all(r["headers"]["user-agent"] == USER_AGENT for r in admin.requests())


def test_the_readme_flow_meets_the_processing_delay_of_the_realistic_profile(
    twin: RunningTwin, admin: TwinAdmin
) -> None:
    admin.configure(completion_delay_seconds=TwinConfig().completion_delay_seconds)
    payload = php_json({"product_id": SANDBOX_PRODUCT})
    _, _, body = send_raw(twin, "POST", "/v1/order", body=payload, json_type=True)
    order_id = json.loads(body)["order_id"]
    assert send_raw(twin, "PUT", f"/v1/order/pay/{order_id}", json_type=True)[0] == 200
    status, _, body = send_raw(twin, "GET", f"/v1/order/key/{order_id}")
    assert (status, json.loads(body)) == (
        403,
        {"status": "ERROR", "code": "ORD03", "message": "Order is not processed yet"},
    )


def test_pay_with_an_explicit_empty_body(twin: RunningTwin) -> None:
    payload = php_json({"product_id": SANDBOX_PRODUCT})
    _, _, body = send_raw(twin, "POST", "/v1/order", body=payload, json_type=True)
    order_id = json.loads(body)["order_id"]
    status, _, _ = send_raw(twin, "PUT", f"/v1/order/pay/{order_id}", body=b"", json_type=True)
    assert status == 200


def test_escaped_slashes_and_unicode_in_php_json(twin: RunningTwin) -> None:
    payload = b'{"product_id":"10000068865001","currency":"EUR","note":"a\\/b \\u00e9"}'
    status, _, _ = send_raw(twin, "POST", "/v1/order", body=payload, json_type=True)
    assert status == 200
