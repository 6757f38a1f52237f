"""OpenTelemetry (the `otel` extra): one CLIENT span per attempt, traceparent sent to G2A."""

from __future__ import annotations

import base64
import subprocess
import sys
import time

import httpx
import pytest
from adapter_support import twin_settings
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from g2a_adapter import G2AApiError, G2AClient, WebhookEvent
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions, create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.serving import serve_asgi
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS, RunningTwin
from harness.twin.webhooks import event_body

PRODUCTS = "/v1/products"
_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _provider() -> None:
    """The SDK provider, set once per process (OpenTelemetry refuses to replace it)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)


@pytest.fixture(autouse=True)
def _fresh_exporter() -> None:
    _EXPORTER.clear()


def test_each_attempt_is_a_child_span_and_g2a_receives_its_traceparent(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    with trace.get_tracer("test").start_as_current_span("checkout") as parent:
        client.products.list()
    spans = [s for s in _EXPORTER.get_finished_spans() if s.name.startswith("G2A ")]
    assert [s.name for s in spans] == ["G2A GET /v1/products", "G2A GET /v1/products"]
    first, second = spans
    assert {s.kind for s in spans} == {SpanKind.CLIENT}
    assert all(
        s.parent is not None and s.parent.span_id == parent.get_span_context().span_id
        for s in spans
    )
    assert dict(first.attributes or {}) == {
        "http.request.method": "GET",
        "url.template": PRODUCTS,
        "g2a.attempt": 1,
        "http.response.status_code": 503,
        "g2a.outcome": "retry",
        "g2a.retries": 0,
    }
    assert (second.attributes or {})["g2a.retries"] == 1
    sent = [r["headers"].get("traceparent") for r in twin.admin.requests(path=PRODUCTS)]
    expected = [
        f"00-{s.context.trace_id:032x}-{s.context.span_id:016x}-{s.context.trace_flags:02x}"
        for s in spans
    ]
    assert sent == expected


def test_a_final_failure_marks_the_span_as_an_error(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=400, code="X1")
    with pytest.raises(G2AApiError):
        client.products.list()
    (span,) = _EXPORTER.get_finished_spans()
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "error")
    assert (span.attributes or {})["http.response.status_code"] == 400
    assert (span.attributes or {})["g2a.error_code"] == "X1"


def test_a_retried_attempt_carries_no_error_code(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    client.products.list()
    assert [(s.attributes or {}).get("g2a.error_code") for s in _EXPORTER.get_finished_spans()] == [
        None,
        None,
    ]


def test_purchase_attempts_name_their_step(client: G2AClient) -> None:
    client.orders.purchase(SANDBOX_PRODUCT_IDS[3], idempotency_key="trace-1", poll_interval=0.01)
    steps = [
        (s.name, (s.attributes or {}).get("g2a.purchase.step"))
        for s in _EXPORTER.get_finished_spans()
    ]
    assert steps[:2] == [
        ("G2A POST /v1/order", "create"),
        ("G2A PUT /v1/order/pay/{order_id}", "pay"),
    ]
    assert steps[-1] == ("G2A GET /v1/order/key/{order_id}", "key")
    assert set(steps[2:-1]) == {("G2A GET /v1/order/details/{order_id}", "poll")}
    client.products.list()
    assert "g2a.purchase.step" not in (_EXPORTER.get_finished_spans()[-1].attributes or {})


def test_a_span_shows_no_secret_g2a_echoed_in_its_error(
    client: G2AClient, twin: RunningTwin
) -> None:
    """G2A's answer echoes the API key as its error code and, in a Basic credential's base64,
    in its message: neither the error nor the span shows it (a code that is no G2A code is
    `HTTP400`), and the span records no exception event."""
    basic = base64.b64encode(f"{SANDBOX_API_HASH}:{SANDBOX_API_KEY}".encode()).decode()
    echoed = f"key refused; sent Basic {basic}"
    twin.admin.add_fault(
        route="/v1/order",
        method="POST",
        kind="status",
        status=400,
        code=SANDBOX_API_KEY,
        message=echoed,
    )
    with pytest.raises(G2AApiError) as refused:
        client.orders.purchase(SANDBOX_PRODUCT_IDS[3], idempotency_key="trace-2")
    assert str(refused.value) == (
        "G2A error HTTP400 (HTTP 400): key refused; sent Basic *** (error code unreadable)"
    )
    (span,) = _EXPORTER.get_finished_spans()
    assert (span.events, dict(span.attributes or {})) == (
        (),
        {
            "http.request.method": "POST",
            "url.template": "/v1/order",
            "g2a.attempt": 1,
            "g2a.purchase.step": "create",
            "g2a.error_code": "HTTP400",
            "http.response.status_code": 400,
            "g2a.outcome": "error",
            "g2a.retries": 0,
        },
    )


def test_without_the_extra_the_adapter_imports_no_opentelemetry_module() -> None:
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'opentelemetry':\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import g2a_adapter, g2a_adapter.receiver\n"
        "from g2a_adapter import _tracing\n"
        "assert not _tracing.ENABLED\n"
        "assert _tracing.start_attempt('GET', '/v1/products', 1, 'pay') is None\n"
        "with _tracing.span('G2A webhook claim') as span:\n"
        "    assert span is None\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


SECRET = "tracing-webhook-secret"
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


def _service_handler(event: WebhookEvent) -> None:
    """The service's own work, traced as it would be: it must join the delivery's trace."""
    with trace.get_tracer("service").start_as_current_span("book the order"):
        if event.event_id.startswith("fail-"):
            raise RuntimeError("handler down")


def _deliver(base_url: str, event_id: str, now: float) -> httpx.Response:
    """A signed delivery (the same body for the same event id and time, a new nonce)."""
    data = {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR"}
    body = event_body(event_id, "order.paid", now, data)
    headers = signed_webhook_headers([SECRET], body, event_id=event_id)
    return httpx.post(
        f"{base_url}/webhooks/g2a", content=body, headers={**headers, "traceparent": PARENT}
    )


def _spans(name: str) -> list[ReadableSpan]:
    return [s for s in _EXPORTER.get_finished_spans() if s.name == name]


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def test_the_receiver_continues_the_senders_trace_over_claim_and_handler(
    twin: RunningTwin,
) -> None:
    app = create_receiver_app(
        twin_settings(twin.export_url, webhook_secret=SECRET),
        _service_handler,
        options=ReceiverOptions(store=MemoryStore()),
    )
    now = time.time()
    with serve_asgi(app) as base_url:
        assert _deliver(base_url, "evt-trace", now).status_code == 200
        assert _deliver(base_url, "evt-trace", now).json()["status"] == "duplicate"
        assert _deliver(base_url, "fail-trace", now).status_code == 500
    first, duplicate, failed = _spans("G2A webhook delivery")
    assert {s.kind for s in (first, duplicate, failed)} == {SpanKind.SERVER}
    assert {s.context.trace_id for s in _EXPORTER.get_finished_spans()} == {TRACE_ID}
    assert {_parent_id(s) for s in (first, duplicate, failed)} == {0xB7AD6B7169203331}
    claims = _spans("G2A webhook claim")
    assert [(_parent_id(c), (c.attributes or {})["g2a.claim.state"]) for c in claims] == [
        (first.context.span_id, "new"),
        (duplicate.context.span_id, "completed"),
        (failed.context.span_id, "new"),
    ]
    handled, failing = _spans("G2A webhook handler")  # none for the duplicate
    assert [_parent_id(h) for h in (handled, failing)] == [
        first.context.span_id,
        failed.context.span_id,
    ]
    assert (failing.status.status_code, handled.status.status_code) == (
        StatusCode.ERROR,
        StatusCode.UNSET,
    )
    # the service's span, made in the worker thread, sits under the handler span
    assert [_parent_id(s) for s in _spans("book the order")] == [
        handled.context.span_id,
        failing.context.span_id,
    ]
