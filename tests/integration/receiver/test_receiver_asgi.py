"""The receiver in-process (httpx.ASGITransport): handler failures, store outages, health."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

import anyio
import httpx
import pytest
from _receiver_fixtures import delivery, receiver_settings

from g2a_adapter import ConfigError, Metrics, StoreUnavailableError, WebhookEvent
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import create_receiver_app


def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver")


SETTINGS = receiver_settings("memory://")


@pytest.mark.anyio
async def test_a_failing_handler_answers_500_then_the_retry_is_processed() -> None:
    calls: list[str] = []

    def flaky(event: WebhookEvent) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    metrics = Metrics()
    app = create_receiver_app(SETTINGS, handler=flaky, store=MemoryStore(), metrics=metrics)
    async with client_for(app) as client:
        failed = await client.post(
            "/webhooks/g2a", content=delivery("evt-1")[1], headers=delivery("evt-1")[0]
        )
        headers, body = delivery("evt-1")
        retried = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (failed.status_code, failed.json()) == (500, {"error": "handler_failed"})
    assert (retried.status_code, retried.json()["status"]) == (200, "processed")
    assert calls == ["evt-1", "evt-1"]
    assert not hasattr(app.state, "processed_events")  # a custom handler: no built-in record
    failed_count = metrics.registry.get_sample_value(
        "g2a_webhook_events_total", {"type": "order.paid", "result": "failed"}
    )
    assert failed_count == 1


@pytest.mark.anyio
async def test_concurrent_duplicate_deliveries_run_the_handler_once() -> None:
    calls: list[str] = []

    def slow(event: WebhookEvent) -> None:
        time.sleep(0.1)
        calls.append(event.event_id)

    app = create_receiver_app(SETTINGS, handler=slow, store=MemoryStore())
    statuses: list[str] = []
    async with client_for(app) as client:

        async def send() -> None:
            headers, body = delivery("evt-race")
            statuses.append(
                (await client.post("/webhooks/g2a", content=body, headers=headers)).json()["status"]
            )

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(send)

    assert calls == ["evt-race"]
    assert sorted(statuses) == ["duplicate"] * 5 + ["processed"]


class DownStore(MemoryStore):
    def claim(self, key: str, fingerprint: str, lease_seconds: float):  # type: ignore[no-untyped-def]
        raise StoreUnavailableError("redis", "ConnectionError: refused")

    def ping(self) -> None:
        raise StoreUnavailableError("redis", "ConnectionError: refused")


@pytest.mark.anyio
async def test_a_store_outage_answers_503_and_fails_health() -> None:
    app = create_receiver_app(SETTINGS, store=DownStore())
    async with client_for(app) as client:
        headers, body = delivery("evt-down")
        response = await client.post("/webhooks/g2a", content=body, headers=headers)
        health = await client.get("/healthz")

    assert (response.status_code, response.json()) == (503, {"error": "store_unavailable"})
    assert response.headers["retry-after"] == "5"
    assert health.status_code == 503
    assert health.json()["failed"] == ["store"]
    assert health.json()["checks"]["store"]["error"] == (
        "idempotency store 'redis' unavailable: ConnectionError: refused"
    )


@dataclass
class Token:
    ttl: float

    def ttl_seconds(self) -> float:
        return self.ttl


@pytest.mark.anyio
async def test_healthz_reports_the_token_ttl_and_answers_fast_when_it_hangs() -> None:
    ok = create_receiver_app(SETTINGS, store=MemoryStore(), token_probe=lambda: Token(123.45))
    stuck = threading.Event()

    def hanging() -> Token:
        stuck.wait(5)
        return Token(1)

    hung = create_receiver_app(SETTINGS, store=MemoryStore(), token_probe=hanging)
    async with client_for(ok) as client:
        healthy = await client.get("/healthz")
    async with client_for(hung) as client:
        started = time.perf_counter()
        failing = await client.get("/healthz")
        elapsed = time.perf_counter() - started
    stuck.set()

    assert healthy.status_code == 200
    assert healthy.json()["checks"]["token"]["ttl_seconds"] == 123.5
    assert healthy.json()["checks"]["store"]["status"] == "ok"
    assert failing.status_code == 503
    assert failing.json()["failed"] == ["token"]
    assert failing.json()["checks"]["token"] == {"status": "fail", "error": "timed out after 0.5 s"}
    assert elapsed < 1.0


def test_the_receiver_needs_a_webhook_secret() -> None:
    settings = receiver_settings("memory://").model_copy(update={"webhook_secret": None})
    with pytest.raises(ConfigError, match="G2A_WEBHOOK_SECRET is required by the receiver"):
        create_receiver_app(settings)


@pytest.mark.anyio
@pytest.mark.parametrize(("first_is_valid", "status"), [(True, 200), (False, 401)])
async def test_of_repeated_signed_headers_the_first_counts(
    first_is_valid: bool, status: int
) -> None:
    headers, body = delivery("evt-repeated")
    valid = headers.pop("X-G2A-Signature")
    forged = "v1=" + "0" * 64
    signatures = [valid, forged] if first_is_valid else [forged, valid]
    sent = [*headers.items(), *(("X-G2A-Signature", s) for s in signatures)]
    app = create_receiver_app(SETTINGS, store=MemoryStore())
    async with client_for(app) as client:
        response = await client.post("/webhooks/g2a", content=body, headers=sent)

    assert response.status_code == status
    if not first_is_valid:
        assert response.json() == {"error": "bad_signature"}


class ThreadNotingStore(MemoryStore):
    """Notes the thread of each batch claim."""

    def __init__(self) -> None:
        super().__init__()
        self.claimed_on: list[int] = []

    def claim_many(self, claims):  # type: ignore[no-untyped-def]
        self.claimed_on.append(threading.get_ident())
        return super().claim_many(claims)


async def post_events(app, *event_ids: str) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        responses = []
        for event_id in event_ids:
            headers, body = delivery(event_id)
            responses.append(await client.post("/webhooks/g2a", content=body, headers=headers))
        return responses


@pytest.mark.anyio
async def test_the_built_in_handler_over_an_embedded_store_runs_on_the_event_loop() -> None:
    inline_store, threaded_store = ThreadNotingStore(), ThreadNotingStore()
    inline = create_receiver_app(SETTINGS, store=inline_store)
    threaded = create_receiver_app(SETTINGS, store=threaded_store, inline_webhooks=False)

    answers = await post_events(inline, "evt-a", "evt-b") + await post_events(threaded, "evt-c")

    assert [r.json()["status"] for r in answers] == ["processed"] * 3
    assert inline_store.claimed_on == [threading.get_ident()] * 2  # the loop's own thread
    assert threaded_store.claimed_on != [threading.get_ident()]
    assert list(inline.state.processed_events) == ["evt-a", "evt-b"]


@pytest.mark.anyio
async def test_a_service_handler_runs_on_a_thread_unless_declared_inline() -> None:
    ran_on: dict[str, int] = {}

    def note(event: WebhookEvent) -> None:
        ran_on[event.event_id] = threading.get_ident()

    await post_events(create_receiver_app(SETTINGS, handler=note, store=MemoryStore()), "evt-t")
    inline = create_receiver_app(SETTINGS, handler=note, store=MemoryStore(), inline_webhooks=True)
    await post_events(inline, "evt-i")

    assert ran_on["evt-t"] != threading.get_ident()
    assert ran_on["evt-i"] == threading.get_ident()


class RemoteStore(MemoryStore):
    backend = "redis"


def test_inline_webhooks_need_an_embedded_store() -> None:
    create_receiver_app(SETTINGS, store=RemoteStore())  # the default: on threads
    with pytest.raises(
        ConfigError, match=r"inline_webhooks needs an embedded store \(memory, sqlite\), not redis"
    ):
        create_receiver_app(SETTINGS, store=RemoteStore(), inline_webhooks=True)


@pytest.mark.anyio
async def test_inline_an_event_held_elsewhere_answers_409_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()
    headers, body = delivery("evt-held")
    store.claim("webhook-event:evt-held", hashlib.sha256(body).hexdigest(), 30)  # another process

    def no_sleeping(seconds: float) -> None:
        raise AssertionError(f"the event loop slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleeping)
    async with client_for(create_receiver_app(SETTINGS, store=store)) as client:
        response = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (response.status_code, response.json()) == (409, {"error": "in_progress"})
    assert response.headers["retry-after"] == "1"
