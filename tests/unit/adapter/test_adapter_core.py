"""Pure pieces of the core: failure classification, error mapping, models, the purchase
step table, the masking log filter."""

from __future__ import annotations

import logging
import ssl
import subprocess
import sys

import httpx
import pytest

from g2a_adapter import (
    ApiAuthError,
    G2AApiError,
    G2AClient,
    OutcomeUnknownError,
    Product,
    RateLimitedError,
    ResponseFormatError,
    RetryPolicy,
    Settings,
    TransportError,
)
from g2a_adapter.client._core import Spec, api_error, parse_body
from g2a_adapter.client._models import OrderKey
from g2a_adapter.client._orders import create_request
from g2a_adapter.client._purchase import PurchaseRequest, next_step
from g2a_adapter.client._transport import Failure, classify
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.logformat import MaskingFilter, SecretMasker

API_KEY = "9da984f6f7ad42bf6fce1dfd37d8391aac3780b1849b883718b75d08e22edf1e"
SETTINGS = Settings(api_url="https://sandboxapi.g2a.com", api_hash="h", api_key=API_KEY)
URL = httpx.URL("https://sandboxapi.g2a.com/v1/x")


@pytest.mark.parametrize(
    ("exc", "reason", "sent", "transient"),
    [
        (httpx.ConnectError("x"), "connect_error", False, True),
        (httpx.ConnectTimeout("x"), "connect_timeout", False, True),
        (httpx.PoolTimeout("x"), "pool_timeout", False, True),
        (httpx.ReadTimeout("x"), "read_timeout", True, True),
        (httpx.WriteTimeout("x"), "write_timeout", True, True),
        (httpx.ReadError("x"), "connection_reset", True, True),
        (httpx.RemoteProtocolError("x"), "connection_reset", True, True),
        (httpx.WriteError("x"), "write_error", True, True),
        (httpx.LocalProtocolError("x"), "local_protocol_error", False, False),
        (httpx.UnsupportedProtocol("x"), "unsupported_protocol", False, False),
        (ConnectionRefusedError(), "connect_error", False, True),
        (ConnectionResetError(), "connection_reset", True, True),
        (httpx.ProxyError("x"), "transport_error", True, True),
    ],
)
def test_failure_classification(exc: Exception, reason: str, sent: bool, transient: bool) -> None:
    assert classify(exc) == Failure(reason, sent, transient)  # type: ignore[arg-type]


def _raised_from(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


def test_a_refused_certificate_is_named_and_never_retried() -> None:
    """httpx raises a ConnectError from the handshake's `SSLCertVerificationError` (an
    untrusted CA, a TLS-inspecting proxy, an expired certificate): read as `connect_error`, it
    was retried and told nobody it was the certificate."""
    refused = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate")
    wrapped = _raised_from(httpx.ConnectError("handshake"), _raised_from(OSError(), refused))
    assert classify(wrapped) == Failure("tls_certificate_error", sent=False, transient=False)
    other_tls = _raised_from(httpx.ConnectError("handshake"), ssl.SSLError(1, "bad record mac"))
    assert classify(other_tls) == Failure("connect_error", False, True)


def test_failure_to_error() -> None:
    sent = Failure("read_timeout", True)
    assert type(sent.to_error("POST", "/v1/order", idempotent=False)) is OutcomeUnknownError
    assert type(sent.to_error("GET", "/v1/products", idempotent=True)) is TransportError
    unsent = Failure("connect_error", False)
    assert type(unsent.to_error("POST", "/v1/order", idempotent=False)) is TransportError


def test_a_transport_error_names_its_reason_to_the_caller() -> None:
    """A service tells a certificate refused from a host down by the error's `reason`, the word
    its message ends with (a run's probe read that message's end to name the certificate)."""
    refused = Failure("tls_certificate_error", sent=False, transient=False)
    error = refused.to_error("POST", "/oauth/token", idempotent=False)
    assert (type(error), error.reason) == (TransportError, "tls_certificate_error")
    unknown = Failure("read_timeout", True).to_error("POST", "/v1/order", idempotent=False)
    assert (type(unknown), unknown.reason) == (OutcomeUnknownError, "read_timeout")
    assert TransportError("GET /v1/products: gone").reason is None


def answer(status: int, body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


def test_a_body_read_whatever_its_label_is_still_parsed_strictly() -> None:
    """The key is read under any Content-Type; a maintenance page is unreadable all the same
    (an unknown outcome: the purchase asks once more)."""
    key = Spec("GET", str(URL), "/v1/order/key/{order_id}", OrderKey.model_validate_json,
               idempotent=False, any_content_type=True)  # fmt: skip
    html = {"Content-Type": "text/html"}
    assert parse_body(key, answer(200, b'{"key": "K-1"}', **html)).key == "K-1"
    with pytest.raises(OutcomeUnknownError, match="does not match the documented shape"):
        parse_body(key, answer(200, b"<html>maintenance</html>", **html))


def test_error_mapping() -> None:
    mask = SecretMasker(["key-SECRET-1"])
    envelope = b'{"status":"ERROR","code":"ORD112","message":"not enough funds key-SECRET-1"}'
    error = api_error(answer(403, envelope), mask)
    assert type(error) is G2AApiError
    assert (error.code, error.status_code, error.message) == ("ORD112", 403, "not enough funds ***")
    limited = api_error(
        answer(429, b'{"code":"BR03","message":"Too many"}', **{"Retry-After": "4"}), mask
    )
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after == 4.0
    auth = api_error(answer(403, b'{"code":"AUTH01","message":"No header"}'), mask)
    assert isinstance(auth, ApiAuthError)
    assert (auth.code, auth.status_code) == ("AUTH01", 403)
    oauth = api_error(answer(401, b'{"error":"invalid_client","error_description":"no"}'), mask)
    assert (oauth.code, oauth.message) == ("invalid_client", "no")  # type: ignore[attr-defined]
    html = api_error(
        answer(502, b"<html>Bad gateway</html>", **{"Content-Type": "text/html"}), mask
    )
    assert (html.code, html.message) == (  # type: ignore[attr-defined]
        "HTTP502",
        "answer without G2A's error body (text/html, 24 bytes)",
    )


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'{"total": "many", "page": 1, "docs": []}', b'{"docs": [{}]}']
)
def test_unreadable_2xx_is_a_format_error(body: bytes) -> None:
    transport = httpx.MockTransport(lambda request: answer(200, body))
    with G2AClient(SETTINGS, transport=transport) as client, pytest.raises(ResponseFormatError):
        client.products.list()


def test_models_keep_unknown_fields() -> None:
    product = Product.model_validate(
        {"id": 10000027819004, "name": "Game", "qty": 3, "minPrice": 2.5, "retailMinBasePrice": 9}
    )
    assert product.id == "10000027819004"
    assert product.min_price == 2.5
    assert product.model_extra == {"retailMinBasePrice": 9}
    assert product.model_dump(by_alias=True)["retailMinBasePrice"] == 9


def test_purchase_step_table() -> None:
    steps = [None, "creating", "created", "paying", "paid", "ready", "fetching_key"]
    assert [next_step({"step": s} if s else {}) for s in steps] == [
        "create",
        "recreate",
        "pay",
        "reconcile_pay",
        "poll",
        "key",
        "key",
    ]


def test_fingerprint_depends_on_the_purchase_arguments_only() -> None:
    def fingerprint(product: str, max_price: float | None, currency: str, poll: float) -> str:
        order = create_request(product, currency, max_price, None)
        return PurchaseRequest(order, "k", poll, 30.0, 5.0).fingerprint()

    base = fingerprint("100", 10, "EUR", 0.2)
    assert fingerprint("100", 10, "EUR", 1.0) == base
    assert fingerprint("100", 10.0, "EUR", 0.2) == base
    assert (
        len(
            {
                base,
                fingerprint("101", 10, "EUR", 0.2),
                fingerprint("100", 11, "EUR", 0.2),
                fingerprint("100", 10, "USD", 0.2),
                fingerprint("100", None, "EUR", 0.2),
            }
        )
        == 5
    )


def test_masking_filter_cleans_other_libraries_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "sent %s", (API_KEY,), None)
    record.header = f"h, {API_KEY}"
    assert MaskingFilter(SecretMasker(SETTINGS.secret_values())).filter(record)
    assert record.getMessage() == "sent ***"
    assert record.header == "h, ***"


def test_no_retry_sleep_keeps_decisions(retries_without_sleep: None) -> None:
    calls: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return answer(503, b'{"code":"X","message":"busy"}', **{"Retry-After": "30"})

    transport = httpx.MockTransport(flaky)
    with G2AClient(SETTINGS, transport=transport) as client, pytest.raises(G2AApiError):
        client.products.list()
    assert len(calls) == 1 + SETTINGS.retry_max
    assert RetryPolicy().sleeps is False


def test_resume_after_a_lost_pay_never_pays_an_order_that_is_not_new() -> None:
    """Stored `paying` + details `pending`: the earlier pay is in flight at G2A; poll, no PUT."""
    store = MemoryStore()
    request = PurchaseRequest(create_request("100", "EUR", None, None), "lost-pay", 0, 5.0, 1.0)
    claim = store.claim("lost-pay", request.fingerprint(), 60)
    assert claim.owner is not None
    paying = {"step": "paying", "order_id": "5", "price": 3.5, "currency": "EUR"}
    store.checkpoint("lost-pay", claim.owner, paying, 60)
    store.release("lost-pay", claim.owner)
    statuses = ["pending", "pending", "complete"]
    seen: list[str] = []

    def g2a(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v1/order/key/5":
            return httpx.Response(200, json={"key": "KEY-5"})
        return httpx.Response(200, json={"status": statuses.pop(0), "price": 3.5})

    with G2AClient(SETTINGS, transport=httpx.MockTransport(g2a), store=store) as client:
        result = client.orders.purchase("100", idempotency_key="lost-pay", poll_interval=0)
    assert (result.order_id, result.key, result.resumed) == ("5", "KEY-5", True)
    assert seen == ["GET /v1/order/details/5"] * 3 + ["GET /v1/order/key/5"]


def test_the_adapter_leaves_its_log_level_to_the_service() -> None:
    """A WARNING root (Python's default, or `basicConfig(level=WARNING)`) keeps the per-call
    INFO lines out; the adapter only adds a `NullHandler`, so it never prints on its own."""
    program = (
        "import logging; logging.basicConfig(level=logging.WARNING); import g2a_adapter; "
        "log = logging.getLogger('g2a_adapter'); "
        "print(log.level, log.isEnabledFor(logging.INFO), log.isEnabledFor(logging.WARNING), "
        "[type(h).__name__ for h in log.handlers])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout

    assert shown.split(" ", 3) == ["0", "False", "True", "['NullHandler']\n"]
