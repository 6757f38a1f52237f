"""Edges a review of the client found: answers G2A documents otherwise (a refused pay, the
status word `pending`, an integer job id), G2A's error code as untrusted text, tokens and
bodies that cannot be sent, passwords in a store URL's query."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from test_adapter_edge_cases import (
    API_KEY,
    NO_RETRY,
    ORDER_ID,
    PRODUCT_ID,
    SETTINGS,
    Recorder,
    answer,
    async_client,
    sync_client,
    token_or,
)

from g2a_adapter import (
    AuthError,
    ConfigError,
    G2AApiError,
    G2AClient,
    Metrics,
    OutcomeUnknownError,
    PurchasePendingError,
    RequestValidationError,
    ResponseFormatError,
    Settings,
    StoreUnavailableError,
    UnknownOrderStatusError,
)
from g2a_adapter.client._core import encode_json
from g2a_adapter.idempotency import MemoryStore, parse_store_url
from g2a_adapter.logformat import MaskingFilter, SecretMasker


def shop(pay: httpx.Response, details_status: str = "new") -> Recorder:
    """G2A for one purchase: the create works, the pay answers `pay`, details say
    `details_status` (and the key is there once they say anything but new)."""

    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/order":
            return answer({"order_id": ORDER_ID, "price": 1.0, "currency": "EUR"})
        if path.startswith("/v1/order/pay/"):
            return pay
        if path.startswith("/v1/order/details/"):
            return answer({"status": details_status, "price": 1.0, "currency": "EUR"})
        if path.startswith("/v1/order/key/"):
            return answer({"key": "KEY-1", "isFile": False})
        return answer({}, 404)

    return Recorder(respond)


def purchase(client: Any, **kwargs: Any) -> Any:
    return client.orders.purchase(
        PRODUCT_ID, idempotency_key="k-1", poll_interval=0.01, poll_timeout=0.05, **kwargs
    )


def test_a_pay_answered_status_false_is_not_recorded_as_paid() -> None:
    api, store = shop(answer({"status": False, "transaction_id": "t-1"})), MemoryStore()
    transport = httpx.MockTransport(api)
    with G2AClient(SETTINGS, transport=transport, store=store, retry=NO_RETRY) as client:
        with pytest.raises(OutcomeUnknownError, match="does not match the documented"):
            purchase(client)
        record = store.get("k-1")
        assert record is not None
        assert record.checkpoint == {"step": "paying", "order_id": ORDER_ID, "price": 1.0,
                                     "currency": "EUR"}  # fmt: skip
        with pytest.raises(OutcomeUnknownError):  # a re-run: details say new, so it pays again
            purchase(client)
    assert [path for _, path in api.sent].count(f"/v1/order/pay/{ORDER_ID}") == 2


@pytest.mark.parametrize("word", ["pending", "complete", "paid"])
def test_a_paid_word_after_an_ambiguous_pay_means_paid(word: str) -> None:
    api = shop(answer({}, 502), details_status=word)
    with sync_client(api, retry=NO_RETRY) as client:
        if word == "complete":
            assert purchase(client).key == "KEY-1"
        else:  # paid, not yet complete: the purchase waits for it, never pays again
            with pytest.raises(PurchasePendingError, match=f"is '{word}'"):
                purchase(client)
    assert [path for _, path in api.sent].count(f"/v1/order/pay/{ORDER_ID}") == 1


def test_an_unknown_word_after_an_ambiguous_pay_is_a_typed_error_never_a_pay() -> None:
    """`expired` (say) is neither certainly unpaid nor a known word of a paid order: the
    purchase neither pays it again nor waits on it as if it were paid."""
    api, store = shop(answer({}, 502), details_status="expired"), MemoryStore()
    transport = httpx.MockTransport(api)
    with G2AClient(SETTINGS, transport=transport, store=store, retry=NO_RETRY) as client:
        with pytest.raises(OutcomeUnknownError, match="502"):  # the pay's own error
            purchase(client)
        with pytest.raises(UnknownOrderStatusError) as unknown:  # the re-run
            purchase(client)
    assert (unknown.value.order_id, unknown.value.status) == (ORDER_ID, "expired")
    assert "'expired'" in str(unknown.value)
    assert [path for _, path in api.sent].count(f"/v1/order/pay/{ORDER_ID}") == 1
    record = store.get("k-1")
    assert record is not None
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "paying"  # a later re-run asks the details again


def test_a_paid_order_left_in_an_unknown_word_is_a_typed_error_not_pending() -> None:
    api = shop(answer({"status": True, "transaction_id": "t-1"}), details_status="refunded")
    with (
        sync_client(api, retry=NO_RETRY) as client,
        pytest.raises(UnknownOrderStatusError) as unknown,
    ):
        purchase(client)
    assert (unknown.value.order_id, unknown.value.status) == (ORDER_ID, "refunded")
    assert not isinstance(unknown.value, PurchasePendingError)


def test_an_unknown_word_on_the_way_to_complete_is_waited_out() -> None:
    words = iter(["processing", "processing", "complete"])

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/order/details/"):
            return answer({"status": next(words), "price": 1.0, "currency": "EUR"})
        return paying(request)

    paying = shop(answer({"status": True, "transaction_id": "t-1"}))
    with sync_client(respond, retry=NO_RETRY) as client:
        result = client.orders.purchase(
            PRODUCT_ID, idempotency_key="k-1", poll_interval=0, poll_timeout=5
        )
    assert result.key == "KEY-1"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ERROR", "code": f"invalid_client:{API_KEY}", "message": "no"},
        {"status": "ERROR", "code": "AUTH02\ng2a.call GET /v1/products status=200", "message": ""},
        {"error": "x" * 65, "error_description": "too long a code"},
    ],
)
def test_g2a_s_error_code_is_untrusted_text(
    body: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return answer(body, 400)

    with (
        caplog.at_level(logging.INFO, logger="g2a_adapter"),
        sync_client(token_or(respond), retry=NO_RETRY) as client,
        pytest.raises(G2AApiError) as error,
    ):
        client.products.list()
    assert error.value.code == "HTTP400"
    assert str(error.value).endswith("(error code unreadable)")
    assert API_KEY not in caplog.text + str(error.value)
    assert "\ng2a.call" not in caplog.text


def test_a_refused_token_request_never_shows_the_key_in_its_code() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return answer({"error": f"invalid_client:{API_KEY}"}, 401)

    with sync_client(respond, retry=NO_RETRY) as client, pytest.raises(AuthError) as error:
        client.offers.list()
    assert str(error.value) == "OAuth token request refused: HTTP401 (HTTP 401)"


@pytest.mark.parametrize(
    "token",
    [
        {"access_token": "tok-SECRET-\u00e9-123456", "expires_in": 300},
        {"access_token": "tok 1", "expires_in": 300},
        {"access_token": "tok-1", "expires_in": -5},
        {"access_token": "tok-1", "expires_in": 0},
        {"access_token": "tok-1", "expires_in": 1e300},
    ],
)
def test_a_token_that_cannot_be_used_is_a_format_error(token: dict[str, object]) -> None:
    with (
        sync_client(token_answer(token), retry=NO_RETRY) as client,
        pytest.raises(ResponseFormatError) as error,
    ):
        client.offers.list()
    assert "SECRET" not in str(error.value)


@pytest.mark.parametrize(
    "answered",
    [
        {"access_token": "SECRET-tok"},  # no expires_in
        {"access_token": "SECRET-tok", "expires_in": "soon"},
    ],
)
def test_a_token_answer_of_the_wrong_shape_never_shows_the_token_in_the_traceback(
    answered: dict[str, object],
) -> None:
    """The validation error the format error is chained from names fields, not values."""
    with (
        sync_client(token_answer(answered), retry=NO_RETRY) as client,
        pytest.raises(ResponseFormatError) as error,
    ):
        client.offers.list()
    shown = "".join(traceback.format_exception(error.value))
    assert "expires_in" in shown  # which field was wrong is still told
    assert "SECRET" not in shown


@pytest.mark.anyio
async def test_a_token_that_cannot_be_used_is_a_format_error_async() -> None:
    token = {"access_token": "tok-SECRET-\u00e9-123456", "expires_in": 300}
    async with async_client(token_answer(token), retry=NO_RETRY) as client:
        with pytest.raises(ResponseFormatError) as error:
            await client.offers.list()
    assert "SECRET" not in str(error.value)


def token_answer(token: dict[str, object]) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        if "oauth" in request.url.path:
            return answer({**token, "token_type": "bearer"})
        return answer({"data": [], "meta": {"page": 1, "itemsPerPage": 20, "totalResults": 0}})

    return respond


def test_a_body_nested_too_deeply_for_json_is_refused_before_sending() -> None:
    nested: dict[str, Any] = {}
    for _ in range(100_000):
        nested = {"a": nested}
    with pytest.raises(RequestValidationError, match="nested too deeply"):
        encode_json(nested)


@pytest.mark.parametrize("job_id", [123456, "a1b2"])
def test_a_job_id_may_be_a_number(job_id: object) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return answer({"data": {"jobId": job_id}}, 202)
        return answer({"data": {"jobId": job_id, "status": "done", "elements": []}})

    offer = {
        "offerType": "dropshipping",
        "variant": {"productId": PRODUCT_ID, "price": {"retail": "1.00"}},
    }
    with sync_client(token_or(respond), retry=NO_RETRY) as client:
        job = client.offers.create(offer)
        assert job == str(job_id)
        assert client.jobs.get(job).job_id == str(job_id)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://g2a@db/test?password=hunter2-pw",
        "redis://db:6379/0?password=hunter2-pw",
        "postgresql://g2a:hunter2-pw@db/test",
        "redis://db:6379/0?password=hunter2-pw%2B%2F",  # percent-encoded: hunter2-pw+/
    ],
)
def test_a_store_password_is_masked_wherever_the_url_shows(url: str) -> None:
    settings = Settings(
        api_url=SETTINGS.api_url, api_hash=SETTINGS.api_hash, api_key=API_KEY, idempotency_url=url
    )
    assert "hunter2-pw" not in repr(settings) + str(settings.display())
    assert {"hunter2-pw", "hunter2-pw+/"} & set(settings.secret_values())
    assert "hunter2-pw" not in SecretMasker(settings.secret_values())(f"connect {url} failed")
    assert "hunter2-pw" not in repr(parse_store_url(url))
    assert "hunter2-pw" not in parse_store_url(url).redacted


def test_a_store_url_error_never_shows_a_query_password() -> None:
    with pytest.raises(StoreUnavailableError) as error:
        parse_store_url("redis:///0?password=hunter2-pw")
    assert "hunter2-pw" not in str(error.value)


class ExpiringShop:
    """G2A where the first order's reservation has lapsed (pay: ORD114; details: `lapsed_word`)
    and, with `every_order_expires`, every later one's too."""

    def __init__(self, *, every_order_expires: bool = False, lapsed_word: str = "new") -> None:
        self.every_order_expires = every_order_expires
        self.lapsed_word = lapsed_word
        self.orders = iter(["111", "222", "333", "444"])
        self.recorder = Recorder(self.respond)

    def respond(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/order":
            return answer({"order_id": next(self.orders), "price": 1.0, "currency": "EUR"})
        if path.startswith("/v1/order/pay/"):
            if path.endswith("/111") or self.every_order_expires:
                return answer(
                    {"status": "ERROR", "code": "ORD114", "message": "Payment too late"}, 403
                )
            return answer({"status": True, "transaction_id": "t-2"})
        if path.startswith("/v1/order/details/"):
            lapsed = path.endswith("/111") or self.every_order_expires
            status = self.lapsed_word if lapsed else "complete"
            return answer({"status": status, "price": 1.0, "currency": "EUR"})
        return answer({"key": "KEY-2", "isFile": False})


@pytest.mark.parametrize("word", ["new", "expired", "canceled"])
def test_an_order_whose_reservation_lapsed_is_abandoned_for_a_new_one(word: str) -> None:
    """G2A refused the pay (ORD114): whatever word its details show for a lapsed order (G2A
    publishes none), only a known word of a paid order would overrule the refusal."""
    shop, store = ExpiringShop(lapsed_word=word), MemoryStore()
    transport = httpx.MockTransport(shop.recorder)
    with G2AClient(SETTINGS, transport=transport, store=store, retry=NO_RETRY) as client:
        result = purchase(client)
    assert (result.order_id, result.key) == ("222", "KEY-2")
    record = store.get("k-1")
    assert record is not None
    assert record.checkpoint is not None
    [abandoned] = record.checkpoint["abandoned_orders"]
    assert (abandoned["order_id"], abandoned["reason"]) == (
        "111",
        "its reservation lapsed unpaid (ORD114)",
    )
    paid = [path for method, path in shop.recorder.sent if method == "PUT"]
    assert paid == ["/v1/order/pay/111", "/v1/order/pay/222"]


def test_a_purchase_starts_again_from_a_new_order_once_per_run() -> None:
    shop = ExpiringShop(every_order_expires=True)
    with (
        sync_client(shop.recorder, retry=NO_RETRY) as client,
        pytest.raises(G2AApiError, match="ORD114"),
    ):
        purchase(client)
    created = [path for method, path in shop.recorder.sent if method == "POST"]
    assert created == ["/v1/order", "/v1/order"]


def test_a_purchase_refused_before_sending_records_no_abandoned_order() -> None:
    import_only = Settings(
        api_url="https://sandboxapi.g2a.com/integration-api/v1", api_hash="h", api_key=API_KEY
    )
    api, store, metrics = Recorder(lambda request: answer({}, 500)), MemoryStore(), Metrics()
    transport = httpx.MockTransport(api)
    with G2AClient(import_only, transport=transport, store=store, metrics=metrics) as client:
        for _ in range(2):
            with pytest.raises(ConfigError):
                purchase(client)
    assert api.sent == []
    record = store.get("k-1")
    assert record is None or not (record.checkpoint or {}).get("abandoned_orders")
    assert metrics.registry.get_sample_value("g2a_purchase_orders_abandoned_total") == 0


def test_masking_filter_masks_extra_fields_inside_containers_and_bytes() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "call %s", (API_KEY,), None)
    record.headers = {"Authorization": f"Bearer {API_KEY}", API_KEY: 1}
    record.argv = ["--key", API_KEY]
    record.pair = ("key", API_KEY)
    record.raw = f"G2A_API_KEY={API_KEY}".encode()
    record.count = 3
    assert MaskingFilter(SecretMasker([API_KEY])).filter(record)
    assert (record.msg, record.args) == ("call ***", None)
    assert record.headers == {"Authorization": "Bearer ***", "***": 1}
    assert (record.argv, record.pair, record.raw) == (
        ["--key", "***"],
        ("key", "***"),
        "G2A_API_KEY=***",
    )
    assert record.count == 3


def test_masking_filter_never_raises_a_bad_log_call_into_the_caller() -> None:
    logger = logging.getLogger("test.masking.bad-call")
    handler = logging.Handler()
    handler.emit = lambda record: None  # type: ignore[method-assign]
    handler.addFilter(MaskingFilter(SecretMasker([API_KEY])))
    logger.addHandler(handler)
    try:
        logger.warning("two values %s %s", API_KEY)  # one argument short
    finally:
        logger.removeHandler(handler)


def test_masking_filter_keeps_a_bad_log_call_masked() -> None:
    record = logging.LogRecord("svc", logging.WARNING, __file__, 1, "%s %s", (API_KEY,), None)
    assert MaskingFilter(SecretMasker([API_KEY])).filter(record)
    assert API_KEY not in str(record.msg)
    assert str(record.msg).startswith("%s %s (log arguments that do not fit:")


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (answer({"status": "ERROR", "code": "ORD500", "message": "internal error"}, 500), "ORD500"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "HTTP502"),
    ],
    ids=["G2A's envelope", "an outage page"],
)
def test_an_unknown_outcome_s_call_line_keeps_g2a_s_error_code(
    reply: httpx.Response, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A 5xx to an order create is an unknown outcome, not a plain API error: its `g2a.call`
    line still names the code G2A answered with, as docs/operations.md says of `error_code`."""

    def respond(request: httpx.Request) -> httpx.Response:
        return reply

    with (
        caplog.at_level(logging.INFO, logger="g2a_adapter"),
        sync_client(token_or(respond), retry=NO_RETRY) as client,
        pytest.raises(OutcomeUnknownError),
    ):
        client.orders.create(PRODUCT_ID)
    (line,) = [r for r in caplog.records if r.getMessage().startswith("g2a.call POST /v1/order ")]
    assert line.error_code == code  # type: ignore[attr-defined]
    assert f" outcome=outcome_unknown error=OutcomeUnknownError error_code={code} " in (
        line.getMessage()
    )
