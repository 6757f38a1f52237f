"""OpenTelemetry (the `otel` extra): one CLIENT span per attempt, traceparent sent to G2A."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from adapter_support import twin_settings
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from g2a_adapter import G2AApiError, G2AClient
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.serving import serve_asgi
from harness.twin import RunningTwin
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
        "assert _tracing.start_attempt('GET', '/v1/products', 1) is None\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_receiver_continues_the_senders_trace(twin: RunningTwin) -> None:
    secret = "tracing-webhook-secret"
    app = create_receiver_app(
        twin_settings(twin.export_url, webhook_secret=secret), store=MemoryStore()
    )
    data = {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR"}
    body = event_body("evt-trace", "order.paid", time.time(), data)
    headers = signed_webhook_headers([secret], body, event_id="evt-trace")
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with serve_asgi(app) as base_url:
        reply = httpx.post(
            f"{base_url}/webhooks/g2a", content=body, headers={**headers, "traceparent": parent}
        )
    assert reply.status_code == 200
    (span,) = [s for s in _EXPORTER.get_finished_spans() if s.name == "G2A webhook delivery"]
    assert span.kind is SpanKind.SERVER
    assert span.parent is not None
    assert (span.context.trace_id, span.parent.span_id) == (
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
    )
