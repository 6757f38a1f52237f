"""A real Prometheus scrapes a receiver and a service driving the twin through faults; every
dashboard query and recording rule returns data, and the 5xx burst's alert goes pending."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from _ops_files import dashboard_queries, load_rules, rule_names
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    Metrics,
    OutcomeUnknownError,
    Settings,
    WebhookEvent,
)
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.serving import serve_asgi
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS, RunningTwin
from harness.twin.webhooks import event_body

_SCRAPE = "1s"
_READY_TIMEOUT_S = 30.0
_WEBHOOK_SECRET = "ops-webhook-secret"
PRODUCTS = "/v1/products"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _metrics_app(metrics: Metrics) -> Starlette:
    def exposition(_: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    return Starlette(routes=[Route("/metrics", exposition)])


def _fast_rules(path: Path) -> Path:
    """The shipped rules, evaluated every second (the alerts keep their `for:`)."""
    rules = load_rules()
    for group in rules["groups"]:
        group["interval"] = _SCRAPE
    out = path / "rules.yml"
    out.write_text(yaml.safe_dump(rules))
    return out


Prometheus = Callable[[dict[str, str]], AbstractContextManager[str]]


@pytest.fixture
def prometheus(prometheus_binary: str, tmp_path: Path) -> Prometheus:
    """Start Prometheus scraping the given jobs (name -> host:port); yields its base URL."""

    @contextmanager
    def start(jobs: dict[str, str]) -> Iterator[str]:
        config = {
            "global": {"scrape_interval": _SCRAPE, "evaluation_interval": _SCRAPE},
            "rule_files": [str(_fast_rules(tmp_path))],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]}
                for job, target in jobs.items()
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = _free_port()
        process = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            assert _eventually(lambda: _not_ready(base, process)) == []
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
            assert process.stderr is not None
            process.stderr.close()

    return start


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5)
    reply.raise_for_status()
    result: list[dict[str, Any]] = reply.json()["data"]["result"]
    return result


def _eventually(check: Callable[[], list[str]]) -> list[str]:
    """Poll until `check` reports nothing missing; the last report otherwise."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    missing = check()
    while missing and time.monotonic() < deadline:
        time.sleep(0.5)
        missing = check()
    return missing


def _not_ready(base: str, process: subprocess.Popen[bytes]) -> list[str]:
    if process.poll() is not None:
        assert process.stderr is not None
        pytest.fail(f"prometheus exited: {process.stderr.read().decode()}")
    try:
        return [] if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200 else ["ready"]
    except httpx.TransportError:
        return ["listening"]


def _not_up(base: str, jobs: dict[str, str]) -> list[str]:
    """The jobs Prometheus has not yet scraped successfully."""
    up = {s["metric"]["job"] for s in _query(base, "up == 1")}
    return sorted(set(jobs) - up)


def _drive(client: G2AClient, twin: RunningTwin) -> None:
    """Baseline traffic that creates every series: an Import API token, retried 503s, a purchase,
    a failed order and one products call that exhausts its retries."""
    client.auth.token()
    for _ in range(5):
        client.products.list()
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    client.products.list()
    client.orders.purchase(SANDBOX_PRODUCT_IDS[2], idempotency_key="ops-order-1")
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=500, times=1)
    with pytest.raises(OutcomeUnknownError):  # a 5xx on a create may have taken effect
        client.orders.create(SANDBOX_PRODUCT_IDS[2])
    _burst(client, twin, calls=1)


def _burst(client: G2AClient, twin: RunningTwin, calls: int) -> None:
    """G2A answers 500 to every products call (each call gives up after its retries)."""
    fault = twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=500)
    for _ in range(calls):
        with pytest.raises(G2AApiError):
            client.products.list()
    twin.admin.remove_fault(fault)


def _deliver(receiver_url: str) -> None:
    """Processed, duplicate (same body, new nonce), failed and rejected deliveries."""
    data = {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR"}
    now = time.time()
    deliveries = [
        (_WEBHOOK_SECRET, "evt-1", 200),
        (_WEBHOOK_SECRET, "evt-1", 200),
        (_WEBHOOK_SECRET, "fail-1", 500),
        ("not-the-secret", "evt-2", 401),
    ]
    with httpx.Client(base_url=receiver_url) as http:
        for secret, event_id, status in deliveries:
            body = event_body(event_id, "order.paid", now, data)
            headers = signed_webhook_headers([secret], body, event_id=event_id)
            assert http.post("/webhooks/g2a", headers=headers, content=body).status_code == status


def _handler(event: WebhookEvent) -> None:
    if event.event_id.startswith("fail-"):
        raise RuntimeError("handler down")


def test_dashboard_and_rules_return_data_and_the_burst_alert_goes_pending(
    twin: RunningTwin,
    prometheus: Prometheus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_RETRY_NO_SLEEP", "1")
    settings = Settings(
        api_url=twin.export_url,
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=_WEBHOOK_SECRET,
        idempotency_url="memory://",
        timeout_ms=2000,
    )
    metrics = Metrics()
    receiver = create_receiver_app(
        settings, handler=_handler, store=MemoryStore(), metrics=Metrics()
    )
    with (
        G2AClient(settings, metrics=metrics, store=MemoryStore()) as client,
        serve_asgi(_metrics_app(metrics)) as service_url,
        serve_asgi(receiver) as receiver_url,
    ):
        jobs = {
            "g2a-service": service_url.removeprefix("http://"),
            "g2a-receiver": receiver_url.removeprefix("http://"),
        }
        with prometheus(jobs) as base:
            assert _eventually(lambda: _not_up(base, jobs)) == []
            _drive(client, twin)
            _deliver(receiver_url)
            time.sleep(2.5)  # two scrapes see the baseline before the burst moves the counters
            _burst(client, twin, calls=10)
            queries = {**dashboard_queries(), **{r: r for r in rule_names("record")}}
            missing = _eventually(lambda: [t for t, q in queries.items() if not _query(base, q)])
            assert missing == []

            def not_pending() -> list[str]:
                alerts = httpx.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
                states = {(a["labels"]["alertname"], a["state"]) for a in alerts}
                return [] if ("G2AErrorRatioHigh", "pending") in states else [str(states)]

            assert _eventually(not_pending) == []
            errors = f'route:g2a_request_errors:ratio_rate5m{{route="{PRODUCTS}"}} > 0.05'
            assert _eventually(lambda: [] if _query(base, errors) else [errors]) == []
