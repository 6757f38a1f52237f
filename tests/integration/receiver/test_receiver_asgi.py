"""The receiver in-process (httpx.ASGITransport): handler failures, store outages, health."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from _receiver_fixtures import delivery, ipn_form, receiver_settings
from pydantic import SecretStr
from runbook_support import runbook

from g2a_adapter import ConfigError, Metrics, Settings, StoreUnavailableError, WebhookEvent
from g2a_adapter.idempotency import Claim, MemoryStore, SqliteStore
from g2a_adapter.receiver import IPN_STATUSES, REJECTIONS, ReceiverOptions, create_receiver_app
from g2a_adapter.wire import signed_webhook_headers
from harness.recording_receiver import EventRecorder


def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver")


SETTINGS = receiver_settings("memory://")


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def receiver(handler=None, **options):  # type: ignore[no-untyped-def]
    """The receiver over an in-memory store (unless given), recording by default."""
    options.setdefault("store", MemoryStore())
    handler = handler or EventRecorder().on_event
    return create_receiver_app(SETTINGS, handler, options=ReceiverOptions(**options))


@pytest.mark.anyio
async def test_a_failing_handler_answers_500_then_the_retry_is_processed() -> None:
    calls: list[str] = []

    def flaky(event: WebhookEvent) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    metrics = Metrics()
    app = receiver(flaky, metrics=metrics)
    async with client_for(app) as client:
        failed = await client.post(
            "/webhooks/g2a", content=delivery("evt-1")[1], headers=delivery("evt-1")[0]
        )
        headers, body = delivery("evt-1")
        retried = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (failed.status_code, failed.json()) == (500, {"error": "handler_failed"})
    assert (retried.status_code, retried.json()["status"]) == (200, "processed")
    assert calls == ["evt-1", "evt-1"]
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type="order.paid", result="handler_failed") == 1
    assert sample(metrics, events, type="order.paid", result="processed") == 1
    # the store was fine: nothing counted where the G2AIdempotencyStoreDown alert looks
    assert sample(metrics, events, type="order.paid", result="store_unavailable") == 0


@pytest.mark.anyio
async def test_concurrent_duplicate_deliveries_run_the_handler_once() -> None:
    calls: list[str] = []

    def slow(event: WebhookEvent) -> None:
        time.sleep(0.1)
        calls.append(event.event_id)

    metrics = Metrics()
    app = receiver(slow, metrics=metrics)
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
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type="order.paid", result="processed") == 1
    assert sample(metrics, events, type="order.paid", result="duplicate") == 5


class DownStore(MemoryStore):
    """A store whose server is gone, until `down` is cleared."""

    down = True

    def claim(self, key: str, fingerprint: str, lease_seconds: float):  # type: ignore[no-untyped-def]
        self._fail_while_down()
        return super().claim(key, fingerprint, lease_seconds)

    def ping(self) -> None:
        self._fail_while_down()
        super().ping()

    def _fail_while_down(self) -> None:
        if self.down:
            raise StoreUnavailableError("redis", "ConnectionError: refused")


@pytest.mark.anyio
async def test_a_store_outage_answers_503_and_fails_health() -> None:
    app = receiver(store=DownStore())
    async with client_for(app) as client:
        headers, body = delivery("evt-down")
        response = await client.post("/webhooks/g2a", content=body, headers=headers)
        health = await client.get("/healthz")

    assert (response.status_code, response.json()) == (503, {"error": "store_unavailable"})
    assert response.headers["retry-after"] == "5"
    assert health.status_code == 503
    assert health.json()["failed"] == ["store"]
    assert health.json()["checks"]["store"]["error"] == "idempotency store 'redis' unavailable"


@pytest.mark.anyio
async def test_the_store_down_runbook_names_the_log_lines_of_a_store_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by an operator's walkthrough: the runbook of G2AIdempotencyStoreDown sent on call
    to `/healthz`, which names the driver's error class only, and named none of the lines that
    say which host failed and when it came back."""
    store = DownStore()
    with caplog.at_level(logging.INFO, "g2a_adapter"):
        async with client_for(receiver(store=store)) as client:
            headers, body = delivery("evt-outage")
            await client.post("/webhooks/g2a", content=body, headers=headers)
            await client.get("/healthz")
            store.down = False
            await client.get("/healthz")

    assert [r.getMessage() for r in caplog.records if r.name == "g2a_adapter"] == [
        "g2a.receiver.store_unavailable backend=redis detail='ConnectionError: refused' "
        "event_type=order.paid event_id=evt-outage",
        "g2a.health.check_failed check=store "
        "error=idempotency store 'redis' unavailable: ConnectionError: refused",
        "g2a.health.check_recovered check=store",
    ]
    store_down = runbook("runbook-g2a-store-down")
    assert (
        "`g2a.receiver.store_unavailable backend=<backend> detail='<the store's error>'`"
        in store_down
    )
    assert (
        "`g2a.health.check_failed check=store error=idempotency store '<backend>' unavailable: "
        "<the store's error>`" in store_down
    )
    assert "`g2a.health.check_recovered check=store`" in store_down


@pytest.mark.anyio
async def test_a_sql_store_gone_answers_503_not_500(tmp_path: Path) -> None:
    """A SQL store whose group of writes cannot begin: every delivery is an outage to retry."""
    store = SqliteStore(str(tmp_path / "gone.sqlite3"))
    async with client_for(receiver(store=store)) as client:
        store.close()  # the database went away under a running receiver
        headers, body = delivery("evt-gone")
        response = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (response.status_code, response.json()) == (503, {"error": "store_unavailable"})
    assert response.headers["retry-after"] == "5"


class NoncelessStore(MemoryStore):
    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        raise StoreUnavailableError("redis", "ConnectionError: refused")


@pytest.mark.anyio
async def test_a_replay_guard_outage_answers_503_before_any_claim() -> None:
    store = NoncelessStore()
    async with client_for(receiver(store=store)) as client:
        headers, body = delivery("evt-no-nonce")
        response = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (response.status_code, response.json()) == (503, {"error": "store_unavailable"})
    assert response.headers["retry-after"] == "5"
    assert store.get("webhook-event:evt-no-nonce") is None


@pytest.mark.anyio
@pytest.mark.parametrize("store", [NoncelessStore(), DownStore()], ids=["nonce", "claim"])
async def test_a_store_outage_is_counted_where_the_store_down_alert_looks(
    store: MemoryStore,
) -> None:
    metrics = Metrics()
    async with client_for(receiver(store=store, metrics=metrics)) as client:
        headers, body = delivery("evt-outage")
        assert (
            await client.post("/webhooks/g2a", content=body, headers=headers)
        ).status_code == 503
    # before verification ends (the nonce) the event's type is not known yet
    counted = "unverified" if isinstance(store, NoncelessStore) else "order.paid"
    events = "g2a_webhook_events_total"
    assert sample(metrics, events, type=counted, result="store_unavailable") == 1.0
    assert sample(metrics, events, type=counted, result="handler_failed") == 0.0


@pytest.mark.anyio
async def test_a_failed_delivery_s_log_line_names_it_in_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The plain-text log (`configure_logging()`'s default, `logging.basicConfig`) shows a
    record's message, not its extra fields: on call must read there which delivery failed."""

    def broken(event: WebhookEvent) -> None:
        raise RuntimeError("database down")

    with caplog.at_level(logging.ERROR, "g2a_adapter"):
        for app, event_id in [
            (receiver(broken), "evt-handler"),
            (receiver(store=DownStore()), "evt-claim"),
            (receiver(store=NoncelessStore()), "evt-nonce"),
        ]:
            async with client_for(app) as client:
                headers, body = delivery(event_id)
                await client.post("/webhooks/g2a", content=body, headers=headers)

    records = [r for r in caplog.records if r.name == "g2a_adapter"]
    assert [getattr(r, "detail", None) for r in records] == [
        None,
        *["ConnectionError: refused"] * 2,
    ]
    assert [r.getMessage() for r in records] == [
        "g2a.receiver.handler_failed event_type=order.paid event_id=evt-handler",
        "g2a.receiver.store_unavailable backend=redis detail='ConnectionError: refused' "
        "event_type=order.paid event_id=evt-claim",
        # the nonce: nothing is verified yet
        "g2a.receiver.store_unavailable backend=redis detail='ConnectionError: refused'",
    ]


@dataclass
class Token:
    ttl: float

    def ttl_seconds(self) -> float:
        return self.ttl


@pytest.mark.anyio
async def test_healthz_reports_the_token_ttl_and_answers_fast_when_it_hangs() -> None:
    ok = receiver(token_probe=lambda: Token(123.45))
    stuck = threading.Event()

    def hanging() -> Token:
        stuck.wait(5)
        return Token(1)

    hung = receiver(token_probe=hanging)
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
        create_receiver_app(settings, EventRecorder().on_event)


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
    async with client_for(receiver()) as client:
        response = await client.post("/webhooks/g2a", content=body, headers=sent)

    assert response.status_code == status
    if not first_is_valid:
        assert response.json() == {"error": "bad_signature"}


class ThreadNotingStore(MemoryStore):
    """Notes the thread of each claim."""

    def __init__(self) -> None:
        super().__init__()
        self.claimed_on: list[int] = []

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        self.claimed_on.append(threading.get_ident())
        return super().claim(key, fingerprint, lease_seconds)


@pytest.mark.anyio
async def test_store_calls_and_the_handler_run_on_worker_threads_not_the_event_loop() -> None:
    ran_on: list[int] = []
    store = ThreadNotingStore()
    app = receiver(lambda event: ran_on.append(threading.get_ident()), store=store)

    async with client_for(app) as client:
        for event_id in ("evt-a", "evt-b"):
            headers, body = delivery(event_id)
            answer = await client.post("/webhooks/g2a", content=body, headers=headers)
            assert answer.json()["status"] == "processed"

    loop_thread = threading.get_ident()
    assert len(ran_on) == len(store.claimed_on) == 2
    assert loop_thread not in {*ran_on, *store.claimed_on}


@pytest.mark.anyio
async def test_an_event_held_elsewhere_answers_409_and_is_counted() -> None:
    store, metrics = MemoryStore(), Metrics()
    headers, body = delivery("evt-held")
    store.claim("webhook-event:evt-held", hashlib.sha256(body).hexdigest(), 30)  # another process

    async with client_for(receiver(store=store, metrics=metrics)) as client:
        response = await client.post("/webhooks/g2a", content=body, headers=headers)

    assert (response.status_code, response.json()) == (409, {"error": "in_progress"})
    assert response.headers["retry-after"] == "1"
    in_progress = {"type": "order.paid", "result": "in_progress"}
    assert sample(metrics, "g2a_webhook_events_total", **in_progress) == 1


def test_a_transactional_handler_over_a_store_without_sql_is_refused() -> None:
    from g2a_adapter.receiver import TransactionalHandler

    store = ClosingStore()
    with pytest.raises(ConfigError, match=r"TransactionalHandler needs a SQL idempotency store"):
        receiver(TransactionalHandler(lambda event, tx: None), store=store)
    assert not store.closed  # a store the caller passed is the caller's to close
    with pytest.raises(ConfigError, match=r"TransactionalHandler needs a SQL .*not memory"):
        create_receiver_app(SETTINGS, TransactionalHandler(lambda event, tx: None))


def test_a_receiver_refused_at_build_leaves_no_store_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seller credentials a settings object (not `Settings`, which derives them) leaves empty
    refuse the build; the store the app had opened by then was left open (its connections
    with it)."""
    opened: list[ClosingStore] = []

    def open_store(url: str) -> ClosingStore:
        opened.append(ClosingStore())
        return opened[-1]

    monkeypatch.setattr("g2a_adapter.receiver._app.open_store", open_store)
    without = WithoutSellerSecret(SETTINGS)
    with pytest.raises(ValueError, match="client_id and client_secret must not be empty"):
        create_receiver_app(without, lambda event: None)
    assert all(store.closed for store in opened)


def test_a_store_without_nonces_is_refused_with_advice_the_receiver_can_take() -> None:
    """`create_receiver_app` takes no replay guard of its own: the store must be one too. The
    refusal said to "pass a ReplayGuard", which no option of the receiver takes."""

    class NoNonces(MemoryStore):
        add_nonce = None  # not a ReplayGuard

    with pytest.raises(ConfigError) as refused:
        receiver(store=NoNonces())
    assert "pass a ReplayGuard" not in str(refused.value)
    assert "a store that is also a ReplayGuard" in str(refused.value)


class WithoutSellerSecret:
    """A service's own `ReceiverSettings`: `SETTINGS` without the seller client secret."""

    seller_client_secret = SecretStr("")

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)


class ClosingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_an_ipn_handler_needs_g2a_pays_own_api_secret() -> None:
    """The IPN hash is keyed with G2A Pay's API secret; it was keyed with G2A_API_KEY, the
    marketplace key, so every real notification would have been refused."""
    without = SETTINGS.model_copy(update={"pay_api_secret": None})
    with pytest.raises(ConfigError, match="needs G2A_PAY_API_SECRET"):
        create_receiver_app(
            without,
            EventRecorder().on_event,
            options=ReceiverOptions(store=MemoryStore(), ipn_handler=print),
        )


def test_the_ipn_route_is_served_only_with_an_ipn_handler() -> None:
    paths = {route.path for route in receiver().routes}  # type: ignore[attr-defined]
    with_ipn = receiver(ipn_handler=EventRecorder().on_payment)
    assert "/webhooks/g2a-pay" not in paths
    assert "/webhooks/g2a-pay" in {route.path for route in with_ipn.routes}


def _gauges(exposition: str) -> dict[str, float]:
    names = (
        "g2a_webhook_handler_threads",
        "g2a_webhook_handler_threads_busy",
        "g2a_webhook_deliveries_waiting",
    )
    values = dict(line.rsplit(" ", 1) for line in exposition.splitlines() if line.startswith("g2a"))
    return {name: float(values[name]) for name in names}


async def _saturate(
    app: object, inside: threading.Event, release: threading.Event
) -> tuple[dict[str, float], dict[str, float], list[int]]:
    """The gauges idle, then with one delivery in the handler and three waiting; the
    statuses of the four once released."""
    statuses: list[int] = []
    async with client_for(app) as client, anyio.create_task_group() as group:
        idle = _gauges((await client.get("/metrics")).text)

        async def send(event_id: str) -> None:
            headers, body = delivery(event_id)
            answer = await client.post("/webhooks/g2a", content=body, headers=headers)
            statuses.append(answer.status_code)

        group.start_soon(send, "evt-first")
        while not inside.is_set():
            await anyio.sleep(0.001)
        for n in range(3):
            group.start_soon(send, f"evt-then-{n}")
        saturated = idle
        while saturated["g2a_webhook_deliveries_waiting"] < 3:
            await anyio.sleep(0.001)
            saturated = _gauges((await client.get("/metrics")).text)
        release.set()
    return idle, saturated, statuses


@pytest.mark.anyio
async def test_metrics_show_busy_handler_threads_and_the_deliveries_waiting_for_one() -> None:
    inside, release = threading.Event(), threading.Event()

    def held(event: WebhookEvent) -> None:
        inside.set()
        release.wait(timeout=10)

    app = receiver(held, handler_threads=1)
    with anyio.fail_after(10):
        idle, saturated, statuses = await _saturate(app, inside, release)

    assert idle == {
        "g2a_webhook_handler_threads": 1.0,
        "g2a_webhook_handler_threads_busy": 0.0,
        "g2a_webhook_deliveries_waiting": 0.0,
    }
    assert saturated == {
        "g2a_webhook_handler_threads": 1.0,
        "g2a_webhook_handler_threads_busy": 1.0,
        "g2a_webhook_deliveries_waiting": 3.0,
    }
    assert statuses == [200] * 4
    async with client_for(app) as client:  # the thread gives its slot back after its answers
        with anyio.fail_after(5):
            while (after := _gauges((await client.get("/metrics")).text)) != idle:
                await anyio.sleep(0.01)
    assert after == idle


@pytest.mark.anyio
async def test_g2a_pay_ipns_waiting_for_a_worker_thread_are_counted_as_waiting() -> None:
    """One handler thread, held by a webhook's handler: two IPNs wait for it, and the gauge
    the G2AWebhookHandlersSaturated alert reads says so; both are handled once it is free."""
    inside, release = threading.Event(), threading.Event()

    def held(event: WebhookEvent) -> None:
        inside.set()
        release.wait(timeout=10)

    payments = EventRecorder()
    app = receiver(held, handler_threads=1, ipn_handler=payments.on_payment)
    statuses: list[int] = []
    async with client_for(app) as client, anyio.create_task_group() as group:

        async def send(path: str, **request: object) -> None:
            statuses.append((await client.post(path, **request)).status_code)  # type: ignore[arg-type]

        headers, body = delivery("evt-held")
        group.start_soon(functools.partial(send, "/webhooks/g2a", content=body, headers=headers))
        with anyio.fail_after(5):
            while not inside.is_set():
                await anyio.sleep(0.001)
        for transaction in ("tx-1", "tx-2"):
            form = ipn_form(transaction_id=transaction)
            group.start_soon(functools.partial(send, "/webhooks/g2a-pay", data=form))
        with anyio.fail_after(5):
            while (
                _gauges((await client.get("/metrics")).text)["g2a_webhook_deliveries_waiting"] < 2
            ):
                await anyio.sleep(0.001)
        release.set()

    assert statuses == [200, 200, 200]
    assert list(payments.payments) == ["ipn:tx-1:complete", "ipn:tx-2:complete"]


@pytest.mark.anyio
async def test_a_refusal_in_a_batch_is_answered_before_its_batch_mates_handler_ends() -> None:
    """One handler thread: while it holds evt-first, a valid evt-slow and a forged delivery
    wait and then go to it together as a batch. The forgery's 401 must not wait for
    evt-slow's handler, which only ends once the test has that 401."""
    entered = {"evt-first": threading.Event(), "evt-slow": threading.Event()}
    released = {"evt-first": threading.Event(), "evt-slow": threading.Event()}

    def held(event: WebhookEvent) -> None:
        entered[event.event_id].set()
        released[event.event_id].wait(timeout=10)

    async def wait_for(flag: threading.Event) -> None:
        while not flag.is_set():
            await anyio.sleep(0.001)

    app = receiver(held, handler_threads=1)
    answers: dict[str, int] = {}
    _, forged_body = delivery("evt-forged")
    forged_headers = signed_webhook_headers(["forged-secret"], forged_body, event_id="evt-forged")
    async with client_for(app) as client, anyio.create_task_group() as group:

        async def send(name: str, headers: dict[str, str], body: bytes) -> None:
            answer = await client.post("/webhooks/g2a", content=body, headers=headers)
            answers[name] = answer.status_code

        group.start_soon(send, "evt-first", *delivery("evt-first"))
        with anyio.fail_after(5):
            await wait_for(entered["evt-first"])
        group.start_soon(send, "evt-slow", *delivery("evt-slow"))
        group.start_soon(send, "evt-forged", forged_headers, forged_body)
        with anyio.fail_after(5):
            while "g2a_webhook_deliveries_waiting 2.0" not in (await client.get("/metrics")).text:
                await anyio.sleep(0.001)
        released["evt-first"].set()
        with anyio.fail_after(5):
            await wait_for(entered["evt-slow"])
            while "evt-forged" not in answers:
                await anyio.sleep(0.001)
        assert answers == {"evt-first": 200, "evt-forged": 401}  # evt-slow still in its handler
        released["evt-slow"].set()

    assert answers == {"evt-first": 200, "evt-forged": 401, "evt-slow": 200}


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/webhooks/g2a", "/webhooks/g2a-pay"])
@pytest.mark.parametrize(
    ("declared", "statuses"),
    [
        ("²", {400, 401}),  # refused as what it is: unsigned, or not a form
        ("9" * 5000, {413}),  # more digits than `int` converts: it raised ValueError, a 500
        ("0" * 5000 + "2", {400, 401}),  # the 2 bytes it declares
    ],
    ids=["superscript-two", "5000-nines", "zeros-then-two"],
)
async def test_a_content_length_int_cannot_read_is_not_a_server_error(
    path: str, declared: str, statuses: set[int]
) -> None:
    """`²` is a digit to `str.isdigit` but not to `int`, and `int` refuses more than 4300
    digits: a server that passes such a header through must not turn it into a 500 (uvicorn
    refuses them before the app)."""
    app = receiver(ipn_handler=EventRecorder().on_payment)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", declared.encode("latin-1")), (b"content-type", b"a/b")],
        "client": ("127.0.0.1", 1),
        "server": ("receiver", 80),
    }
    incoming = [{"type": "http.request", "body": b"{}", "more_body": False}]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] in statuses


class LeaseNotingStore(MemoryStore):
    """Notes the lease of each claim."""

    def __init__(self) -> None:
        super().__init__()
        self.leases: list[float] = []

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        self.leases.append(lease_seconds)
        return super().claim(key, fingerprint, lease_seconds)


@pytest.mark.anyio
async def test_claims_hold_their_event_for_the_lease_the_options_give() -> None:
    store = LeaseNotingStore()
    app = receiver(store=store, claim_lease_seconds=5.0)
    headers, body = delivery("evt-leased")
    async with client_for(app) as client:
        response = await client.post("/webhooks/g2a", content=body, headers=headers)
    assert response.status_code == 200
    assert store.leases == [5.0]


def test_every_bounded_label_set_is_exported_at_zero_before_any_traffic() -> None:
    """A series born at 1 on its first increment is invisible to `increase`/`rate`: the first
    refusal of each reason and the first failure of each kind would never show."""
    metrics = Metrics()
    receiver(metrics=metrics, ipn_handler=print)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name.endswith("_total")
    }
    refusals = "g2a_webhook_validation_failures_total"
    for reason in REJECTIONS:
        assert samples[(refusals, (("reason", reason),))] == 0.0, reason
    results = ("processed", "duplicate", "in_progress", "conflict")
    types = ["order.paid", "order.complete", *(f"ipn.{s}" for s in IPN_STATUSES)]
    for kind in types:
        for result in (*results, "handler_failed", "store_unavailable"):
            key = ("g2a_webhook_events_total", (("result", result), ("type", kind)))
            assert samples[key] == 0.0, key
    unverified = (("result", "store_unavailable"), ("type", "unverified"))
    assert samples[("g2a_webhook_events_total", unverified)] == 0.0
