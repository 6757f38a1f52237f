"""Retries, timeouts and unknown outcomes against the twin's faults (served, real sockets)."""

from __future__ import annotations

import logging

import pytest
from adapter_support import twin_settings
from port_support import refusing_port

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    Metrics,
    OutcomeUnknownError,
    RateLimitedError,
    ResponseFormatError,
    TransportError,
)
from g2a_adapter.logformat import REQUEST_LOG_FORMAT
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[1]
PRODUCTS = "/v1/products"


def statuses(twin: RunningTwin, path: str = PRODUCTS, method: str | None = None) -> list[object]:
    return [r["status"] for r in twin.admin.requests(path=path, method=method)]


def retries(metrics: Metrics, reason: str, route: str = PRODUCTS, method: str = "GET") -> float:
    value = metrics.registry.get_sample_value(
        "g2a_request_retries_total", {"method": method, "route": route, "reason": reason}
    )
    return value or 0.0


def test_429_with_retry_after_then_success(
    client: G2AClient, twin: RunningTwin, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="rate_limit", retry_after=1, times=1)
    with caplog.at_level(logging.DEBUG, logger="g2a_adapter"):
        page = client.products.list()
    assert len(page.docs) == 20
    assert statuses(twin) == [429, 200]
    assert retries(metrics, "429") == 1
    first, second = [r for r in caplog.records if r.msg == REQUEST_LOG_FORMAT]
    assert (first.status, first.outcome, first.retry_delay_ms) == (429, "retry", 1000.0)  # type: ignore[attr-defined]
    assert (second.status, second.outcome, second.attempt) == (200, "ok", 2)  # type: ignore[attr-defined]


def test_429_forever_is_rate_limited_error_with_retry_after(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="rate_limit", retry_after=7)
    with pytest.raises(RateLimitedError) as caught:
        client.products.list()
    assert (caught.value.code, caught.value.status_code, caught.value.retry_after) == (
        "BR03",
        429,
        7.0,
    )
    assert statuses(twin) == [429, 429, 429]


def test_503_twice_then_success(client: G2AClient, twin: RunningTwin, metrics: Metrics) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=2)
    assert client.products.get(PRODUCT).id == PRODUCT
    assert statuses(twin) == [503, 503, 200]
    assert retries(metrics, "503") == 2
    ok = metrics.registry.get_sample_value(
        "g2a_requests_total",
        {"method": "GET", "route": PRODUCTS, "status": "200", "outcome": "ok"},
    )
    assert ok == 1


@pytest.mark.parametrize("retry_max", [0, 2, 4])
def test_503_forever_is_exactly_one_plus_retry_max_attempts(
    twin: RunningTwin, retry_max: int
) -> None:
    twin.admin.add_fault(
        route=PRODUCTS, kind="status", status=503, code="SVC503", message="maintenance"
    )
    settings = twin_settings(twin.export_url, retry_max=retry_max)
    with G2AClient(settings) as client, pytest.raises(G2AApiError) as caught:
        client.products.list()
    assert (caught.value.code, caught.value.status_code) == ("SVC503", 503)
    assert caught.value.message == "maintenance"
    assert statuses(twin) == [503] * (1 + retry_max)


@pytest.mark.parametrize("status", [400, 404, 409, 500])
def test_other_errors_are_never_retried(client: G2AClient, twin: RunningTwin, status: int) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="status", status=status, code="X1")
    with pytest.raises(G2AApiError) as caught:
        client.products.list()
    assert caught.value.status_code == status
    assert statuses(twin) == [status]


def test_connection_reset_on_a_read_is_retried(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="reset", times=1)
    assert client.products.list().page == 1
    assert len(twin.admin.requests(path=PRODUCTS)) == 2


def test_connection_reset_forever_is_a_transport_error(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="reset")
    with pytest.raises(TransportError) as caught:
        client.products.list()
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert "connection_reset" in str(caught.value)
    assert len(twin.admin.requests(path=PRODUCTS)) == 3


def test_hang_times_out_and_is_retried_for_reads(twin: RunningTwin) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="hang", latency_ms=3000, times=1)
    settings = twin_settings(twin.export_url, timeout_ms=300)
    with G2AClient(settings) as client:
        assert client.products.list().page == 1
    assert len(twin.admin.requests(path=PRODUCTS)) == 2


def test_hang_forever_ends_in_a_timeout_error(twin: RunningTwin) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="hang", latency_ms=3000)
    settings = twin_settings(twin.export_url, timeout_ms=200, retry_max=1)
    with G2AClient(settings) as client, pytest.raises(TransportError, match="read_timeout"):
        client.products.list()
    assert len(twin.admin.requests(path=PRODUCTS)) == 2


@pytest.mark.parametrize("phase", ["before", "after"])
def test_lost_create_answer_is_an_unknown_outcome_never_retried(
    twin: RunningTwin, phase: str
) -> None:
    twin.admin.add_fault(
        route="/v1/order", method="POST", kind="hang", latency_ms=3000, phase=phase
    )
    settings = twin_settings(twin.export_url, timeout_ms=300)
    with G2AClient(settings) as client, pytest.raises(OutcomeUnknownError, match="read_timeout"):
        client.orders.create(PRODUCT)
    assert len(twin.admin.requests(path="/v1/order")) == 1
    assert len(twin.admin.orders()) == (1 if phase == "after" else 0)


def test_reset_after_pay_is_an_unknown_outcome(client: G2AClient, twin: RunningTwin) -> None:
    order = client.orders.create(PRODUCT)
    twin.admin.add_fault(route="/v1/order/pay/*", method="PUT", kind="reset", phase="after")
    with pytest.raises(OutcomeUnknownError, match="connection_reset"):
        client.orders.pay(order.order_id)
    assert len(twin.admin.requests(path=f"/v1/order/pay/{order.order_id}")) == 1
    assert client.orders.details(order.order_id).paid


def test_429_on_create_is_retried_because_g2a_did_not_act(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=429, times=1)
    created = client.orders.create(PRODUCT)
    assert statuses(twin, "/v1/order") == [429, 200]
    assert [o["order_id"] for o in twin.admin.orders()] == [created.order_id]


@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_create_is_an_unknown_outcome_never_retried(
    client: G2AClient, twin: RunningTwin, status: int, phase: str
) -> None:
    # "after": the twin creates the order, then answers the error, as a gateway may
    twin.admin.add_fault(
        route="/v1/order", method="POST", kind="status", status=status, times=1, phase=phase
    )
    with pytest.raises(OutcomeUnknownError, match=f"answered {status} after the request was sent"):
        client.orders.create(PRODUCT)
    assert statuses(twin, "/v1/order") == [status]
    assert len(twin.admin.orders()) == (1 if phase == "after" else 0)


def test_malformed_answers(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.add_fault(route="*", kind="malformed", phase="after")
    with pytest.raises(ResponseFormatError, match="/v1/products"):
        client.products.list()
    with pytest.raises(OutcomeUnknownError, match="may have taken effect"):
        client.orders.create(PRODUCT)
    assert len(twin.admin.requests()) == 2
    assert len(twin.admin.orders()) == 1


def test_connect_error_is_retried_then_a_transport_error(metrics: Metrics) -> None:
    with refusing_port() as port:
        settings = twin_settings(f"http://127.0.0.1:{port}/v1")
        with G2AClient(settings, metrics=metrics) as client:
            with pytest.raises(TransportError, match="connect_error") as caught:
                client.orders.create(PRODUCT)  # never sent: safe to retry even a POST
            assert not isinstance(caught.value, OutcomeUnknownError)
    assert retries(metrics, "connect_error", route="/v1/order", method="POST") == 2
