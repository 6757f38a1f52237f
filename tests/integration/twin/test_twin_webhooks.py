"""Signed order webhooks: verified independently with hmac, retried after a 500,
duplicated and replayed on demand."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from twin_support import SANDBOX_PRODUCT

from harness.twin import TwinAdmin

SECRET = "twin-webhook-secret"
# Orders paid under it complete a minute later: within a test, `order.paid` is their one event.
PAID_ONLY = 60


class Subscriber:
    """A tiny local HTTP server that records deliveries and answers from a script."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.script: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers.items()), body))
                status = owner.script.pop(0) if owner.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Subscriber:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    with Subscriber() as server:
        yield server


def expected_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    message = f"{headers['X-G2A-Timestamp']}.{headers['X-G2A-Nonce']}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def buy(api: httpx.Client) -> str:
    order_id = str(api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"])
    assert api.put(f"/order/pay/{order_id}").status_code == 200
    assert api.get(f"/order/key/{order_id}").status_code == 200
    return order_id


def test_paid_and_complete_events_are_signed(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.subscribe(subscriber.url)
    order_id = buy(api)
    admin.wait_deliveries(2)
    assert len(subscriber.received) == 2
    events = []
    for headers, body in subscriber.received:
        assert hmac.compare_digest(
            headers["X-G2A-Signature"], expected_signature(SECRET, headers, body)
        )
        event = json.loads(body)
        assert headers["X-G2A-Event-Id"] == event["event_id"]
        assert headers["Content-Type"] == "application/json"
        assert set(event) == {"event_id", "type", "created_at", "data"}
        events.append(event)
    price = admin.order(order_id)["price"]
    assert sorted(e["type"] for e in events) == ["order.complete", "order.paid"]
    for event in events:
        assert event["data"] == {"order_id": order_id, "product_id": SANDBOX_PRODUCT,
                                 "price": price, "currency": "EUR"}  # fmt: skip
    assert len({h["X-G2A-Nonce"] for h, _ in subscriber.received}) == 2


def test_rotation_signs_with_every_secret(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.configure(
        webhook_secrets=["new-secret", "old-secret"], completion_delay_seconds=PAID_ONLY
    )
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    admin.wait_deliveries(1)
    [(headers, body)] = subscriber.received
    assert headers["X-G2A-Signature"] == ",".join(
        expected_signature(s, headers, body) for s in ("new-secret", "old-secret")
    )


def test_a_500_is_retried_with_a_fresh_signature(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.configure(webhook_retry_delays=[0.05, 0.05], completion_delay_seconds=PAID_ONLY)
    subscriber.script = [500, 503]
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    deliveries = admin.wait_deliveries(3)
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 500), (2, 503), (3, 200)]
    bodies = {body for _, body in subscriber.received}
    assert len(bodies) == 1  # the same event every time
    assert len({h["X-G2A-Nonce"] for h, _ in subscriber.received}) == 3
    for headers, body in subscriber.received:
        assert headers["X-G2A-Signature"] == expected_signature(SECRET, headers, body)


def test_connection_errors_are_retried_and_recorded(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(webhook_retry_delays=[0.01], completion_delay_seconds=PAID_ONLY)
    admin.subscribe("http://127.0.0.1:9/nothing-listens-here")
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    deliveries = admin.wait_deliveries(2)
    assert [(d["attempt"], d["status"], d["error"]) for d in deliveries] == [
        (1, None, "ConnectError"),
        (2, None, "ConnectError"),
    ]


def test_payment_answer_does_not_wait_for_slow_deliveries(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(webhook_retry_delays=[5.0])
    admin.subscribe("http://127.0.0.1:9/nothing-listens-here")
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    response = api.put(f"/order/pay/{order_id}", timeout=1.0)
    assert response.status_code == 200


def test_duplicate_and_replay_on_demand(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.configure(completion_delay_seconds=PAID_ONLY)
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    [original] = admin.wait_deliveries(1)
    admin.redeliver(original["event_id"], "duplicate")
    admin.wait_deliveries(2)
    admin.redeliver(original["event_id"], "replay")
    deliveries = admin.wait_deliveries(3)
    assert [d["mode"] for d in deliveries] == ["original", "duplicate", "replay"]
    (h1, b1), (h2, b2), (h3, b3) = subscriber.received
    assert b1 == b2 == b3
    assert h1["X-G2A-Event-Id"] == h2["X-G2A-Event-Id"] == h3["X-G2A-Event-Id"]
    assert h2["X-G2A-Nonce"] != h1["X-G2A-Nonce"]
    assert h2["X-G2A-Signature"] == expected_signature(SECRET, h2, b2)
    sent_headers = ("X-G2A-Timestamp", "X-G2A-Nonce", "X-G2A-Signature")
    assert [h3[k] for k in sent_headers] == [h2[k] for k in sent_headers]


def test_configured_duplicates_and_manual_emit(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.configure(webhook_duplicates=1)
    admin.subscribe(subscriber.url, secrets=["own-secret"])
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    event_id = admin.emit(order_id, "order.complete")
    deliveries = admin.wait_deliveries(2)
    assert {d["event_id"] for d in deliveries} == {event_id}
    assert sorted(d["mode"] for d in deliveries) == ["duplicate", "original"]
    for headers, body in subscriber.received:
        assert headers["X-G2A-Signature"] == expected_signature("own-secret", headers, body)


def test_unsubscribed_urls_get_nothing(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.unsubscribe(admin.subscribe(subscriber.url))
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    assert admin.deliveries() == []
    assert subscriber.received == []


def received_types(subscriber: Subscriber, count: int, timeout: float = 3.0) -> list[str]:
    """The event types the subscriber got, once it has `count` (or when `timeout` passes)."""
    deadline = time.monotonic() + timeout
    while len(subscriber.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [json.loads(body)["type"] for _, body in subscriber.received]


def test_complete_is_sent_when_processing_ends_with_no_call_at_all(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    """Nobody fetches the key or even asks: the order completes and says so, once."""
    admin.configure(completion_delay_seconds=0.3)
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    assert received_types(subscriber, 2) == ["order.paid", "order.complete"]
    assert api.get(f"/order/key/{order_id}").status_code == 200
    time.sleep(0.2)
    assert received_types(subscriber, 3, timeout=0) == ["order.paid", "order.complete"]


def test_complete_is_sent_once_at_payment_when_there_is_no_processing_time(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    assert sorted(received_types(subscriber, 2)) == ["order.complete", "order.paid"]
    assert api.get(f"/order/details/{order_id}").json()["status"] == "complete"
    assert api.get(f"/order/key/{order_id}").status_code == 200
    time.sleep(0.2)
    assert sorted(d["type"] for d in admin.deliveries()) == ["order.complete", "order.paid"]


def test_an_order_set_back_to_new_and_paid_again_is_announced_again(
    api: httpx.Client, admin: TwinAdmin, subscriber: Subscriber
) -> None:
    """An admin who sets a complete order back to `new` stages a new purchase of it: its next
    payment is announced as paid, then complete, like the first."""
    admin.subscribe(subscriber.url)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    assert sorted(received_types(subscriber, 2)) == ["order.complete", "order.paid"]
    assert admin.set_order(order_id, status="new")["status"] == "new"
    assert api.put(f"/order/pay/{order_id}").status_code == 200
    types = received_types(subscriber, 4)
    assert sorted(types[2:]) == ["order.complete", "order.paid"], types
