"""A short fault-laden exercise that gives every dashboard panel data, served for a scrape.

A service (a `G2AClient` with its `Metrics` on `GET /metrics`) drives the twin through a retried
503, a purchase, a failed order and a call that exhausts its retries (a 503 on every attempt,
which raises G2ARetriesExhausted); a receiver takes
processed, duplicate, failed and rejected webhook deliveries. Both are served on loopback so a
Prometheus can scrape them as the jobs `g2a-service` and `g2a-receiver`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    G2AError,
    Metrics,
    OutcomeUnknownError,
    RetryPolicy,
    Settings,
    WebhookEvent,
)
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions, create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.serving import serve_asgi
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS, RunningTwin
from harness.twin.webhooks import event_body

PRODUCTS = "/v1/products"
WEBHOOK_SECRET = "drill-webhook-secret"
SERVICE_JOB, RECEIVER_JOB = "g2a-service", "g2a-receiver"
# The `data` of the order.paid events the drill delivers.
ORDER_PAID = {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR"}
# The service's retry policy (no waits). A burst answers EXHAUSTED_STATUS, one the adapter
# retries (RETRYABLE_STATUSES: a 500 never is), to every one of a call's 1 + max_retries attempts.
RETRY = RetryPolicy(sleep_enabled=False)
EXHAUSTED_STATUS = 503


class DrillError(RuntimeError):
    """The twin did not behave as the drill expects (a fault that did not fail a call)."""


@dataclass(frozen=True)
class DrillServices:
    client: G2AClient
    receiver_url: str
    jobs: dict[str, str]  # Prometheus job name -> host:port


def metrics_app(metrics: Metrics) -> Starlette:
    """`GET /metrics` of a service embedding the adapter."""

    def exposition(_: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    return Starlette(routes=[Route("/metrics", exposition)])


def _handler(event: WebhookEvent) -> None:
    if event.event_id.startswith("fail-"):
        raise RuntimeError("handler down")


@contextmanager
def drill_services(twin: RunningTwin) -> Iterator[DrillServices]:
    """The service and the receiver, served on loopback ports, wired to `twin`."""
    settings = Settings(
        api_url=twin.export_url,
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        idempotency_url="memory://",
        timeout_ms=2000,
    )
    metrics = Metrics()
    receiver = create_receiver_app(
        settings, _handler, options=ReceiverOptions(store=MemoryStore(), metrics=Metrics())
    )
    with (
        G2AClient(settings, metrics=metrics, store=MemoryStore(), retry=RETRY) as client,
        serve_asgi(metrics_app(metrics)) as service_url,
        serve_asgi(receiver) as receiver_url,
    ):
        jobs = {
            SERVICE_JOB: service_url.removeprefix("http://"),
            RECEIVER_JOB: receiver_url.removeprefix("http://"),
        }
        yield DrillServices(client, receiver_url, jobs)


def _fails(call: Callable[[], object], why: str, expected: type[G2AError] = G2AApiError) -> None:
    try:
        call()
    except expected:
        return
    raise DrillError(f"the twin's fault did not fail the call ({why})")


def drive(client: G2AClient, twin: RunningTwin) -> None:
    """Baseline traffic that creates every series: an Import API token, a retried 503, a purchase,
    a failed order and one products call that exhausts its retries."""
    client.auth.token()
    for _ in range(5):
        client.products.list()
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    client.products.list()
    client.orders.purchase(SANDBOX_PRODUCT_IDS[2], idempotency_key="drill-order-1")
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=500, times=1)
    # A 5xx on a create may have taken effect: an unknown outcome, never retried.
    _fails(lambda: client.orders.create(SANDBOX_PRODUCT_IDS[2]), "order 500", OutcomeUnknownError)
    burst(client, twin, calls=1)


def burst(client: G2AClient, twin: RunningTwin, calls: int) -> None:
    """G2A answers 503 to every attempt of `calls` products calls: each call is retried
    `RETRY.max_retries` times and gives up (`outcome="error"`, `status="503"`)."""
    attempts = calls * (RETRY.max_retries + 1)
    fault = twin.admin.add_fault(
        route=PRODUCTS, method="GET", kind="status", status=EXHAUSTED_STATUS, times=attempts
    )
    try:
        for _ in range(calls):
            _fails(client.products.list, f"products {EXHAUSTED_STATUS} on every attempt")
        applied = next(f["applied"] for f in twin.admin.faults() if f["id"] == fault)
    finally:
        twin.admin.remove_fault(fault)
    if applied != attempts:
        raise DrillError(f"{calls} calls made {applied} attempts, not {attempts}: not all retried")


def deliver(receiver_url: str) -> None:
    """Processed, duplicate (same body, new nonce), failed and rejected deliveries."""
    now = time.time()
    deliveries = [
        (WEBHOOK_SECRET, "evt-1", 200),
        (WEBHOOK_SECRET, "evt-1", 200),
        (WEBHOOK_SECRET, "fail-1", 500),
        ("not-the-secret", "evt-2", 401),
    ]
    with httpx.Client(base_url=receiver_url) as http:
        for secret, event_id, expected in deliveries:
            body = event_body(event_id, "order.paid", now, ORDER_PAID)
            headers = signed_webhook_headers([secret], body, event_id=event_id)
            status = http.post("/webhooks/g2a", headers=headers, content=body).status_code
            if status != expected:
                raise DrillError(f"delivery {event_id} answered {status}, expected {expected}")
