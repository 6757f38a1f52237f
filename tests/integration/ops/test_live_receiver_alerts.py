"""The receiver's alerts against a live Prometheus scraping a real receiver (job `g2a-receiver`):
G2AReceiverNotScraped once the receiver stops, G2AWebhookHandlersSaturated while deliveries
wait for its one handler thread. The shipped rules, evaluated every second, their `for:`
shortened to `_HOLD` so each is seen pending, then firing, then (saturation) resolved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from _ops_files import OPS
from starlette.applications import Starlette

from g2a_adapter import Metrics, Settings, WebhookEvent
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions, create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.dashboards.drill import ORDER_PAID, RECEIVER_JOB, WEBHOOK_SECRET
from harness.dashboards.prometheus import eventually, fast_rules, running_prometheus, scraped_jobs
from harness.serving import serve_asgi
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.webhooks import event_body

_HOLD = "3s"
_WAIT_S = 20.0
_POLL_S = 0.25
_QUEUED = 3  # deliveries behind the one the handler thread is stuck on


def _receiver_app(handler: Callable[[WebhookEvent], None]) -> Starlette:
    settings = Settings(
        api_url="http://127.0.0.1:9",  # never called: the receiver alone
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        idempotency_url="memory://",
    )
    options = ReceiverOptions(store=MemoryStore(), metrics=Metrics(), handler_threads=1)
    return create_receiver_app(settings, handler, options=options)


def _states(base: str, alertname: str) -> set[str]:
    alerts = httpx.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return {a["state"] for a in alerts if a["labels"]["alertname"] == alertname}


def _seen(base: str, alertname: str, until: str) -> list[str]:
    """The alert's states, in the order first seen, polled until `until` is seen (or time out)."""
    seen: list[str] = []
    deadline = time.monotonic() + _WAIT_S
    while until not in seen and time.monotonic() < deadline:
        seen += sorted(_states(base, alertname) - set(seen))
        time.sleep(_POLL_S)
    return seen


@contextmanager
def _prometheus_scraping(receiver_url: str, binary: str, tmp_path: Path) -> Iterator[str]:
    rules = fast_rules(OPS.load_rules(), "1s", tmp_path / "rules.yml", hold=_HOLD)
    jobs = {RECEIVER_JOB: receiver_url.removeprefix("http://")}
    with running_prometheus(binary, jobs, tmp_path, (rules,)) as base:
        assert (
            eventually(lambda: [] if scraped_jobs(base) == [RECEIVER_JOB] else ["up"], _WAIT_S)
            == []
        )
        yield base


def _deliver(receiver_url: str, event_id: str) -> int:
    body = event_body(event_id, "order.paid", time.time(), ORDER_PAID)
    headers = signed_webhook_headers([WEBHOOK_SECRET], body, event_id=event_id)
    return httpx.post(
        f"{receiver_url}/webhooks/g2a", headers=headers, content=body, timeout=_WAIT_S * 2
    ).status_code


def test_a_receiver_prometheus_cannot_scrape_raises_g2a_receiver_not_scraped(
    prometheus_binary: str, tmp_path: Path
) -> None:
    with ExitStack() as receiver:
        receiver_url = receiver.enter_context(serve_asgi(_receiver_app(lambda event: None)))
        with _prometheus_scraping(receiver_url, prometheus_binary, tmp_path) as base:
            time.sleep(2)  # every rule evaluated with the receiver scraped
            assert _states(base, "G2AReceiverNotScraped") == set()
            receiver.close()  # the receiver stops; Prometheus goes on scraping its address
            assert _seen(base, "G2AReceiverNotScraped", until="firing") == ["pending", "firing"]


def test_deliveries_waiting_for_the_handler_thread_raise_g2a_webhook_handlers_saturated(
    prometheus_binary: str, tmp_path: Path
) -> None:
    release = threading.Event()

    def stuck(event: WebhookEvent) -> None:
        release.wait(_WAIT_S * 2)

    with (
        serve_asgi(_receiver_app(stuck)) as receiver_url,
        _prometheus_scraping(receiver_url, prometheus_binary, tmp_path) as base,
        ThreadPoolExecutor(max_workers=1 + _QUEUED) as senders,
    ):
        time.sleep(2)  # every rule evaluated with nothing waiting
        assert _states(base, "G2AWebhookHandlersSaturated") == set()
        try:
            answers = [
                senders.submit(_deliver, receiver_url, f"evt-{n}") for n in range(1 + _QUEUED)
            ]
            seen = _seen(base, "G2AWebhookHandlersSaturated", until="firing")
        finally:
            release.set()
        assert seen == ["pending", "firing"]
        assert [answer.result() for answer in answers] == [200] * (1 + _QUEUED)
        assert (
            eventually(lambda: sorted(_states(base, "G2AWebhookHandlersSaturated")), _WAIT_S) == []
        )
