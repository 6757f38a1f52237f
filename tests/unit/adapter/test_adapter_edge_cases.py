"""Edge cases of the client: undecodable bodies, the product page cap, masking
of tokens and tracebacks, key digests in logs, token errors, input validation."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from bought_order_support import ORDER_ID, answer, bought, key_already_downloaded

from g2a_adapter import (
    AsyncG2AClient,
    AuthError,
    ClientClosedError,
    ConfigError,
    G2AApiError,
    G2AClient,
    KeyDeliveryLostError,
    Metrics,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ResponseFormatError,
    RetryPolicy,
    Settings,
)
from g2a_adapter.client._core import encode_json
from g2a_adapter.client._transport import Failure, classify
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.logformat import MaskingFilter, SecretMasker, correlation_id_var

HASH = "qdaiciDiyMaTjxMt"
API_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"
SETTINGS = Settings(api_url="https://sandboxapi.g2a.com", api_hash=HASH, api_key=API_KEY)
PRODUCT_ID = "10000027819004"
NO_RETRY = RetryPolicy(max_retries=0, sleep_enabled=False)
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records every request and answers with `respond`."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    @property
    def sent(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]


def sync_client(handler: Handler, **kwargs: Any) -> G2AClient:
    return G2AClient(
        SETTINGS, transport=httpx.MockTransport(handler), store=MemoryStore(), **kwargs
    )


def async_client(handler: Handler, **kwargs: Any) -> AsyncG2AClient:
    async def respond(request: httpx.Request) -> httpx.Response:
        return handler(request)

    return AsyncG2AClient(
        SETTINGS, transport=httpx.MockTransport(respond), store=MemoryStore(), **kwargs
    )


def token_or(respond: Handler, token: str = "tok-1") -> Handler:  # noqa: S107 - test value
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return answer({"access_token": token, "token_type": "bearer", "expires_in": 300})
        return respond(request)

    return handler


# --- 1. a body that cannot be decoded --------------------------------------------------------


def corrupt_gzip(request: httpx.Request, status: int = 200) -> httpx.Response:
    """Streamed, as from the network: it fails when the client reads it, not when built here."""
    return httpx.Response(
        status,
        stream=httpx.ByteStream(b"not gzip at all"),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


def test_a_decoding_error_is_an_answered_failure() -> None:
    assert classify(httpx.DecodingError("bad gzip")) == Failure(
        "undecodable_body", sent=True, transient=False, answered=True
    )


def test_undecodable_read_is_a_format_error_logged_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, metrics = Recorder(corrupt_gzip), Metrics()
    with (
        caplog.at_level(logging.INFO, logger="g2a_adapter"),
        sync_client(api, metrics=metrics) as client,
        pytest.raises(ResponseFormatError) as e,
    ):
        client.products.list()
    assert str(e.value) == "GET /v1/products: answer body could not be decoded (undecodable_body)"
    assert api.sent == [("GET", "/v1/products")]  # not retried: the same body fails the same way
    labels = {"method": "GET", "route": "/v1/products", "status": "200", "outcome": "error"}
    assert metrics.registry.get_sample_value("g2a_requests_total", labels) == 1.0  # answered 200
    assert requests_total(metrics) == {("GET", "/v1/products", "200", "error"): 1.0}
    (record,) = [r for r in caplog.records if r.msg.startswith("g2a.call")]  # type: ignore[union-attr]
    assert record.levelno == logging.WARNING
    assert (record.outcome, record.error) == ("error", "ResponseFormatError")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("call", "method", "route"),
    [
        (lambda c: c.orders.create(PRODUCT_ID), "POST", "/v1/order"),
        (lambda c: c.orders.key(ORDER_ID), "GET", "/v1/order/key/{order_id}"),
    ],
)
def test_undecodable_answer_of_a_non_idempotent_call_is_an_unknown_outcome(
    call: Callable[[G2AClient], object], method: str, route: str
) -> None:
    api, metrics = Recorder(corrupt_gzip), Metrics()
    with sync_client(api, metrics=metrics) as client, pytest.raises(OutcomeUnknownError) as e:
        call(client)
    assert str(e.value) == (
        f"{method} {route}: answer body could not be decoded (undecodable_body); "
        "the call may have taken effect"
    )
    assert len(api.requests) == 1
    assert requests_total(metrics) == {(method, route, "200", "outcome_unknown"): 1.0}


def requests_total(metrics: Metrics) -> dict[tuple[str, str, str, str], float]:
    """(method, route, status, outcome) -> value of every `g2a_requests_total` series."""
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"], s.labels["outcome"]): s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name == "g2a_requests_total"
    }


def corrupt_gzip_503_then_ok() -> Handler:
    answers = iter([503, 200])

    def respond(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 200:
            return answer({"total": 0, "page": 1, "docs": []})
        return corrupt_gzip(request, status)

    return respond


def test_an_undecodable_answer_keeps_its_status_and_is_retried_as_that_status() -> None:
    """A 503 whose (error) body is corrupt is still a 503: retried, and counted as a 503."""
    api, metrics = Recorder(corrupt_gzip_503_then_ok()), Metrics()
    retry = RetryPolicy(max_retries=1, sleep_enabled=False)
    with sync_client(api, metrics=metrics, retry=retry) as client:
        assert client.products.list().docs == []
    assert requests_total(metrics) == {
        ("GET", "/v1/products", "503", "retry"): 1.0,
        ("GET", "/v1/products", "200", "ok"): 1.0,
    }
    labels = {"method": "GET", "route": "/v1/products", "reason": "503"}
    assert metrics.registry.get_sample_value("g2a_request_retries_total", labels) == 1.0


@pytest.mark.anyio
async def test_undecodable_answer_is_mapped_the_same_by_the_async_client() -> None:
    api, metrics = Recorder(corrupt_gzip), Metrics()
    async with async_client(api, metrics=metrics) as client:
        with pytest.raises(OutcomeUnknownError) as created:
            await client.orders.create(PRODUCT_ID)
        with pytest.raises(ResponseFormatError) as listed:
            await client.products.list()
    assert str(created.value).startswith("POST /v1/order: answer body could not be decoded")
    assert str(listed.value).startswith("GET /v1/products: answer body could not be decoded")
    assert requests_total(metrics) == {
        ("POST", "/v1/order", "200", "outcome_unknown"): 1.0,
        ("GET", "/v1/products", "200", "error"): 1.0,
    }


# --- 2. G2A's page cap -----------------------------------------------------------------------


def huge_catalogue(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params["page"])
    docs = [{"id": str(page * 100 + i), "name": "p", "qty": 1, "minPrice": 2.5} for i in range(20)]
    return answer({"total": 20_000, "page": page, "docs": docs})


def test_iter_all_stops_at_the_last_page_g2a_serves() -> None:
    api = Recorder(huge_catalogue)
    with sync_client(api) as client:
        products = list(client.products.iter_all())
    assert len(products) == 500 * 20
    assert [r.url.params["page"] for r in api.requests] == [str(p) for p in range(1, 501)]


@pytest.mark.anyio
async def test_aiter_all_stops_at_the_last_page_g2a_serves() -> None:
    api = Recorder(huge_catalogue)
    async with async_client(api) as client:
        products = [p async for p in client.products.aiter_all()]
    assert len(products) == 500 * 20
    assert api.requests[-1].url.params["page"] == "500"


# --- 3. the access token is masked -----------------------------------------------------------

TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-bearer-token"


def echo_authorization(request: httpx.Request) -> httpx.Response:
    message = "token " + request.headers["authorization"] + " is revoked"
    return answer({"code": "AUTH02", "message": message}, 401)


def test_the_access_token_is_masked_in_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger="g2a_adapter"),
        sync_client(token_or(echo_authorization, TOKEN)) as client,
        pytest.raises(G2AApiError) as caught,
    ):
        client.offers.list()
    assert str(caught.value) == "G2A error AUTH02 (HTTP 401): token Bearer *** is revoked"
    assert caplog.records
    assert not [r for r in caplog.records if TOKEN in r.getMessage() or TOKEN in str(vars(r))]


def test_each_replacing_token_is_masked_too() -> None:
    issued: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            issued.append(f"token-value-{len(issued) + 1}")
            return answer({"access_token": issued[-1], "expires_in": 300})
        return echo_authorization(request)

    with sync_client(handler, retry=NO_RETRY) as client:
        client.auth.token()
        client.auth.invalidate()
        with pytest.raises(G2AApiError) as caught:
            client.offers.list()  # token 2 refused, refreshed once: token 3 refused too
    assert issued == ["token-value-1", "token-value-2", "token-value-3"]
    assert str(caught.value) == "G2A error AUTH02 (HTTP 401): token Bearer *** is revoked"


# --- 4. the masking filter covers tracebacks and stacks --------------------------------------


def test_masking_filter_masks_the_traceback_and_the_stack() -> None:
    try:
        raise RuntimeError(f"redis://user:{API_KEY}@db failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("svc", logging.ERROR, __file__, 1, "store failed", (), exc_info)
    record.stack_info = f"Stack (most recent call last):\n  secret {API_KEY}"
    assert MaskingFilter(SecretMasker([API_KEY])).filter(record)
    assert record.exc_info is None
    assert record.exc_text is not None
    assert record.exc_text.endswith("RuntimeError: redis://user:***@db failed")
    assert record.stack_info == "Stack (most recent call last):\n  secret ***"
    assert API_KEY not in logging.Formatter().format(record)


# --- 5. a lost key is logged by its digest ---------------------------------------------------


def test_a_lost_key_is_logged_with_the_key_digest_only(caplog: pytest.LogCaptureFixture) -> None:
    key = "customer-42:cart-SECRET-coupon-XYZ"

    def handler(request: httpx.Request) -> httpx.Response:
        return bought(request.url.path) or key_already_downloaded()

    with (
        caplog.at_level(logging.DEBUG),
        sync_client(handler) as client,
        pytest.raises(KeyDeliveryLostError) as caught,
    ):
        client.orders.purchase(PRODUCT_ID, idempotency_key=key)
    assert repr(key) in str(caught.value)  # the caller's exception keeps the key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    lost = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in lost] == [
        KeyDeliveryLostError.describe(f"idempotency_key={digest}", ORDER_ID, "t-1")
    ]
    assert not [r for r in caplog.records if key in r.getMessage()]


# --- 6. only a refusal of the token request is an AuthError ----------------------------------


def token_answer(status: int, body: bytes, **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    return handler


def test_a_rate_limited_token_request_stays_rate_limited() -> None:
    body = b'{"status":"ERROR","code":"BR03","message":"slow down"}'
    api = Recorder(token_answer(429, body, **{"Retry-After": "7"}))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(RateLimitedError) as caught:
        client.offers.list()
    assert not isinstance(caught.value, AuthError)
    assert (caught.value.code, caught.value.status_code, caught.value.retry_after) == (
        "BR03",
        429,
        7.0,
    )
    assert api.sent == [("POST", "/oauth/token")]


def test_an_outage_of_the_token_endpoint_stays_an_api_error() -> None:
    api = Recorder(token_answer(503, b"<html>down</html>", **{"Content-Type": "text/html"}))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(G2AApiError) as caught:
        client.auth.token()
    assert not isinstance(caught.value, AuthError)
    assert str(caught.value) == (
        "G2A error HTTP503 (HTTP 503): answer without G2A's error body (text/html, 17 bytes)"
    )


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, b'{"error":"invalid_client","error_description":"no"}', "invalid_client"),
        (401, b'{"error":"invalid_client"}', "invalid_client"),
        (403, b'{"code":"AUTH01","message":"forbidden"}', "AUTH01"),
    ],
)
def test_a_refused_token_request_is_an_auth_error(status: int, body: bytes, code: str) -> None:
    with (
        sync_client(token_answer(status, body), retry=NO_RETRY) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.auth.token()
    assert str(caught.value) == f"OAuth token request refused: {code} (HTTP {status})"


# --- 7. input validation: refused before anything is sent ------------------------------------

JOB = {"data": {"jobId": "1", "status": "done"}}
SEGMENT_ERROR = "1-64 letters, digits, '-' or '_'"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.jobs.get("123\n"), f"invalid job id: {SEGMENT_ERROR}"),
        (lambda c: c.jobs.get(True), f"invalid job id: {SEGMENT_ERROR}"),
        (lambda c: c.offers.update("55\n", {"a": 1}), f"invalid offer id: {SEGMENT_ERROR}"),
        (
            lambda c: c.offers.list(page="2"),
            "page must be an integer >= 1 and items_per_page an integer within 1..100",
        ),
        (
            lambda c: c.offers.list(items_per_page=2.5),
            "page must be an integer >= 1 and items_per_page an integer within 1..100",
        ),
        (
            lambda c: c.offers.create({"price": Decimal("9.99000000000000001")}),
            "request body is not valid JSON: 9.99000000000000001 has more digits than a JSON "
            "number carries",
        ),
        (
            lambda c: c.offers.create({"price": Decimal("NaN")}),
            "request body is not valid JSON: NaN is not a finite number",
        ),
        (
            lambda c: c.offers.create({"price": {9.99}}),
            "request body is not valid JSON: Object of type set is not JSON serializable",
        ),
        (
            lambda c: c.offers.create({"price": math.inf}),
            "request body is not valid JSON: Out of range float values are not JSON compliant",
        ),
        (
            lambda c: c.offers.update("55", {"price": math.nan}),
            "request body is not valid JSON: Out of range float values are not JSON compliant",
        ),
        (
            lambda c: c.orders.create(PRODUCT_ID, max_price=math.inf),
            "invalid order: max_price: Input should be a finite number",
        ),
        (
            lambda c: c.orders.create(PRODUCT_ID, max_price=math.nan),
            "invalid order: max_price: Input should be a finite number",
        ),
        (
            lambda c: c.products.list(min_price_to=math.inf),
            "invalid product query: min_price_to: Input should be a finite number",
        ),
    ],
)
def test_invalid_input_is_refused_before_sending(
    call: Callable[[G2AClient], object], message: str
) -> None:
    api = Recorder(token_or(lambda request: answer(JOB)))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as caught:
        call(client)
    assert str(caught.value) == message
    assert api.sent == []  # not even a token request


def test_the_json_encoder_is_strict() -> None:
    assert encode_json({"price": 9.99}) == b'{"price": 9.99}'
    with pytest.raises(RequestValidationError):
        encode_json({"price": math.nan})


def sent_correlation_id(given: str) -> str:
    """The `X-Correlation-Id` a products call sends while `correlation_id_var` is `given`."""
    api = Recorder(lambda request: answer({"total": 0, "page": 1, "docs": []}))
    reset = correlation_id_var.set(given)
    try:
        with sync_client(api) as client:
            client.products.list()
    finally:
        correlation_id_var.reset(reset)
    (request,) = api.requests
    return request.headers["x-correlation-id"]


@pytest.mark.parametrize(
    "given",
    ["req-\u00e9t\u00e9", "abc\r\nX-Injected: 1", "with space", "", "x" * 129],
)
def test_an_unusable_correlation_id_is_replaced_by_a_fresh_one(given: str) -> None:
    sent = sent_correlation_id(given)
    assert sent != given
    assert len(sent) == 32
    assert all(c in "0123456789abcdef" for c in sent)


def test_a_valid_correlation_id_is_sent_as_given() -> None:
    given = "req-42:Az_9.~" + "x" * 115  # 128 visible ASCII characters
    assert len(given) == 128
    assert sent_correlation_id(given) == given


HASH_ERROR = (
    "G2A_API_HASH must be visible ASCII characters only (no spaces, line breaks or control "
    "characters), as G2A's dashboard shows it"
)


@pytest.mark.parametrize(
    "api_hash", ["qda\u00efciDiyMaTjxMt", "qdaici\r\nX-Evil: 1", "abc, def", "a\tb", "a\x7fb"]
)
def test_an_api_hash_that_cannot_be_sent_is_refused_at_start_up(api_hash: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(api_url="https://sandboxapi.g2a.com", api_hash=api_hash, api_key=API_KEY)
    assert str(caught.value) == HASH_ERROR
    with pytest.raises(ConfigError) as from_env:
        Settings.from_env(
            {"G2A_API_URL": "https://sandboxapi.g2a.com", "G2A_API_SECRET": api_hash}
            | {"G2A_API_KEY": API_KEY}
        )
    assert str(from_env.value) == HASH_ERROR


@pytest.mark.parametrize("api_hash", [HASH, "a-b_c.d~1", " padded-hash "])
def test_an_api_hash_of_visible_ascii_is_accepted(api_hash: str) -> None:
    settings = Settings(api_url="https://sandboxapi.g2a.com", api_hash=api_hash, api_key=API_KEY)
    assert settings.api_hash == api_hash.strip()


# --- 8. poll and wait times ------------------------------------------------------------------

TIMES_ERROR = (
    "poll_interval, poll_timeout and wait_timeout must be finite numbers of seconds, not negative"
)
BAD_TIMES = [
    {"poll_interval": math.nan},
    {"poll_interval": math.inf},
    {"poll_interval": "1"},
    {"poll_timeout": math.nan},
    {"wait_timeout": math.inf},
    {"wait_timeout": True},
    {"wait_timeout": -1},
]


@pytest.mark.parametrize("times", BAD_TIMES)
def test_bad_poll_or_wait_times_are_refused_by_the_sync_client(times: dict[str, Any]) -> None:
    api = Recorder(lambda request: answer({}))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as caught:
        client.orders.purchase(PRODUCT_ID, idempotency_key="k", **times)
    assert str(caught.value) == TIMES_ERROR
    assert api.sent == []


@pytest.mark.anyio
@pytest.mark.parametrize("times", BAD_TIMES)
async def test_bad_poll_or_wait_times_are_refused_by_the_async_client(
    times: dict[str, Any],
) -> None:
    api = Recorder(lambda request: answer({}))
    async with async_client(api) as client:
        with pytest.raises(RequestValidationError) as caught:
            await client.orders.purchase(PRODUCT_ID, idempotency_key="k", **times)
    assert str(caught.value) == TIMES_ERROR
    assert api.sent == []


# --- 9. a created order's id must be numeric -------------------------------------------------


def bad_order_id(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/order":
        return answer({"order_id": f"{ORDER_ID}/../../products", "price": 41.5, "currency": "EUR"})
    return answer({"status": "ERROR", "code": "ORD02", "message": "not found"}, 404)


def test_a_malformed_order_id_is_an_unknown_outcome_and_never_paid() -> None:
    api = Recorder(bad_order_id)
    with sync_client(api) as client:
        with pytest.raises(OutcomeUnknownError) as created:
            client.orders.create(PRODUCT_ID)
        with pytest.raises(OutcomeUnknownError):
            client.orders.purchase(PRODUCT_ID, idempotency_key="oid")
    assert str(created.value) == (
        "POST /v1/order: 2xx answer does not match the documented shape; "
        "the call may have taken effect"
    )
    assert {path for _, path in api.sent} == {"/v1/order"}  # no pay, details or key URL built
    assert json.loads(api.requests[0].content) == {"product_id": PRODUCT_ID, "currency": "EUR"}


# --- 10. a closed client refuses every call, sends nothing and opens nothing -----------------

CLOSED_CALLS: dict[str, Callable[[Any], Any]] = {
    "token": lambda client: client.auth.token(),
    "product": lambda client: client.products.get(PRODUCT_ID),
    "create": lambda client: client.orders.create(PRODUCT_ID),
    "details": lambda client: client.orders.details(ORDER_ID),
    "purchase": lambda client: client.orders.purchase(PRODUCT_ID, idempotency_key="after-close"),
}


def owning_client(tmp_path: Path, api: Recorder, kind: type[Any]) -> Any:
    """A client that opens its own SQLite store (in `tmp_path`) on its first purchase."""
    settings = SETTINGS.model_copy(
        update={"idempotency_url": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    )
    if kind is G2AClient:
        return G2AClient(settings, transport=httpx.MockTransport(api))

    async def respond(request: httpx.Request) -> httpx.Response:
        return api(request)

    return AsyncG2AClient(settings, transport=httpx.MockTransport(respond))


@pytest.mark.parametrize("call", CLOSED_CALLS.values(), ids=CLOSED_CALLS.keys())
def test_a_closed_client_refuses_calls_with_a_typed_error(
    tmp_path: Path, call: Callable[[Any], Any]
) -> None:
    api = Recorder(token_or(lambda request: answer({})))
    client = owning_client(tmp_path, api, G2AClient)
    client.close()
    client.close()  # closing twice is harmless
    with pytest.raises(ClientClosedError) as caught:
        call(client)
    assert str(caught.value) == "G2AClient was closed; use a new client"
    assert isinstance(caught.value, RuntimeError)  # what httpx raised before: still caught
    assert api.sent == []
    assert not (tmp_path / "store.sqlite3").exists()  # the store is not opened again


@pytest.mark.anyio
@pytest.mark.parametrize("call", CLOSED_CALLS.values(), ids=CLOSED_CALLS.keys())
async def test_a_closed_async_client_refuses_calls_with_a_typed_error(
    tmp_path: Path, call: Callable[[Any], Any]
) -> None:
    api = Recorder(token_or(lambda request: answer({})))
    client = owning_client(tmp_path, api, AsyncG2AClient)
    async with client:
        pass
    with pytest.raises(ClientClosedError) as caught:
        await call(client)
    assert str(caught.value) == "AsyncG2AClient was closed; use a new client"
    assert api.sent == []
    assert not (tmp_path / "store.sqlite3").exists()


def refused_order(request: httpx.Request) -> httpx.Response:
    return answer({"status": "ERROR", "code": "ORD03", "message": "Product not available"}, 400)


def test_a_client_closed_after_a_purchase_does_not_purchase_again(tmp_path: Path) -> None:
    api = Recorder(token_or(refused_order))
    client = owning_client(tmp_path, api, G2AClient)
    with pytest.raises(G2AApiError):  # the store is opened, the claim released
        client.orders.purchase(PRODUCT_ID, idempotency_key="before-close")
    sent = len(api.requests)
    client.close()
    with pytest.raises(ClientClosedError):
        client.orders.purchase(PRODUCT_ID, idempotency_key="after-close")
    assert len(api.requests) == sent


# --- 11. an answer nested deeper than the JSON parser goes -----------------------------------

DEEP = b'{"data": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"


def nested_too_deep(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=DEEP, headers={"Content-Type": "application/json"})


def test_a_deeply_nested_answer_is_a_format_error_or_an_unknown_outcome() -> None:
    with sync_client(token_or(nested_too_deep)) as client:
        with pytest.raises(ResponseFormatError) as read:
            client.jobs.get("job-1")
        with pytest.raises(OutcomeUnknownError) as created:
            client.offers.create({"offerType": "dropshipping", "variant": {"productId": "1"}})
        with pytest.raises(ResponseFormatError):
            client.products.list()
    assert str(read.value) == (
        "GET /v3/jobs/{job_id}: 2xx answer does not match the documented shape"
    )
    assert str(created.value) == (
        "POST /v3/sales/offers: 2xx answer does not match the documented shape; "
        "the call may have taken effect"
    )


# --- 12. a key answer with an odd isFile keeps its key ---------------------------------------


@pytest.mark.parametrize("is_file", [[], {}, "maybe", 2, 0.5])
def test_a_key_whose_is_file_cannot_be_read_is_delivered_not_lost(
    is_file: object, caplog: pytest.LogCaptureFixture
) -> None:
    """G2A hands a key out once: an answer with the key and an unreadable `isFile` (PHP's `[]`
    for an empty value, say) was an unreadable answer, the one fetch after it answered ORD004,
    and the purchase ended in `KeyDeliveryLostError` with the key in hand."""
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answered = bought(request.url.path)
        if answered is not None:
            return answered
        fetched.append(request.url.path)
        if len(fetched) == 1:
            return answer({"key": "EUIRCQCRRWKYWFVO", "isFile": is_file})
        return key_already_downloaded()

    with caplog.at_level(logging.WARNING), sync_client(handler) as client:
        result = client.orders.purchase(PRODUCT_ID, idempotency_key="k-1")
    assert (result.key, result.is_file, len(fetched)) == ("EUIRCQCRRWKYWFVO", None, 1)
    expected = f"order key answer: isFile has an unexpected {type(is_file).__name__}"
    assert [r.getMessage() for r in caplog.records] == [f"{expected}; read as not said"]
