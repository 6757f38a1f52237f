"""Calls cut short by their caller: a cancelled task, a client closed under a call, and an
answer that cannot be read. Each still ends its attempt (metric, log line), and a cancelled
purchase stops renewing its lease at once, whoever keeps the exception."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_adapter_edge_cases import (
    NO_RETRY,
    ORDER_ID,
    PRODUCT_ID,
    SETTINGS,
    answer,
)

from g2a_adapter import (
    AsyncG2AClient,
    ClientClosedError,
    G2AClient,
    Metrics,
    OutcomeUnknownError,
    RetryPolicy,
    Settings,
)
from g2a_adapter.idempotency import MemoryStore

LEASE_SETTINGS = SETTINGS.model_copy(update={"purchase_lease_ms": 600})


def _requests_total(metrics: Metrics) -> dict[tuple[str, str], float]:
    """(route, outcome) -> count of `g2a_requests_total`."""
    counts: dict[tuple[str, str], float] = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "g2a_requests_total":
                key = (sample.labels["route"], sample.labels["outcome"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


def _shop_answer(path: str) -> httpx.Response:
    """G2A's answer to each call of a purchase."""
    if path == "/v1/order":
        return answer({"order_id": ORDER_ID, "price": 1.0, "currency": "EUR"})
    if path.startswith("/v1/order/pay/"):
        return answer({"status": True, "transaction_id": "t-1"})
    if path.startswith("/v1/order/details/"):
        return answer({"status": "complete", "price": 1.0, "currency": "EUR"})
    if path.startswith("/v1/order/key/"):
        return answer({"key": "KEY-1", "isFile": False})
    return answer({}, 404)


def _shop_whose_pay_hangs(paid: asyncio.Event | None = None) -> httpx.MockTransport:
    async def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/order/pay/") and paid is None:
            await asyncio.Event().wait()  # until cancelled
        return _shop_answer(request.url.path)

    return httpx.MockTransport(respond)


def test_a_cancelled_purchase_stops_renewing_its_lease_at_once_and_the_lease_lapses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, metrics = MemoryStore(), Metrics()
    kept: list[BaseException] = []  # as an error reporter would keep it

    async def cancel_during_pay() -> None:
        async with AsyncG2AClient(
            LEASE_SETTINGS,
            transport=_shop_whose_pay_hangs(),
            store=store,
            metrics=metrics,
            retry=NO_RETRY,
        ) as client:
            task = asyncio.create_task(
                client.orders.purchase(PRODUCT_ID, idempotency_key="k-1", poll_interval=0.01)
            )
            await asyncio.sleep(0.1)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError as exc:
                kept.append(exc)

    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        asyncio.run(cancel_during_pay())
    gc.collect()
    assert kept
    record = store.get("k-1")
    assert record is not None
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "paying"  # the pay may have reached G2A: kept
    assert _requests_total(metrics)[("/v1/order/pay/{order_id}", "cancelled")] == 1
    pay_lines = [r.getMessage() for r in caplog.records if "/v1/order/pay/" in r.getMessage()]
    assert len(pay_lines) == 1
    assert "outcome=cancelled" in pay_lines[0]

    time.sleep(0.7)  # the lease (0.6 s) lapses: nobody renewed it after the cancel

    async def run_again() -> bool:
        async with AsyncG2AClient(
            LEASE_SETTINGS,
            transport=_shop_whose_pay_hangs(asyncio.Event()),
            store=store,
            retry=NO_RETRY,
        ) as client:
            result = await client.orders.purchase(
                PRODUCT_ID, idempotency_key="k-1", poll_interval=0.01, wait_timeout=0.1
            )
            return result.resumed

    assert asyncio.run(run_again()) is True


def test_a_client_closed_under_a_call_raises_client_closed_and_counts_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    waiting = threading.Event()

    def respond(request: httpx.Request) -> httpx.Response:
        waiting.set()
        return answer({"code": "BR00", "message": "busy"}, 503)

    retry = RetryPolicy(max_retries=3, base_delay=0.3, max_delay=0.3)
    client = G2AClient(
        SETTINGS, transport=httpx.MockTransport(respond), metrics=metrics, retry=retry
    )
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.products.list()
        except BaseException as exc:
            outcome.append(exc)

    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        worker = threading.Thread(target=call)
        worker.start()
        assert waiting.wait(5)
        client.close()  # while the call waits to retry
        worker.join(5)
    assert [type(exc) for exc in outcome] == [ClientClosedError]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "error=ClientClosedError" in warnings[0]
    _assert_only_the_sent_attempt_counted(metrics)


def _assert_only_the_sent_attempt_counted(metrics: Metrics) -> None:
    """The 503 was sent and retried; the retry the close cut off was never sent: it is no
    attempt (no `error`/`none` series, which G2ARetriesExhausted would read as given up)."""
    assert _requests_total(metrics) == {("/v1/products", "retry"): 1.0}
    products = {"method": "GET", "route": "/v1/products"}
    series = {**products, "status": "503", "outcome": "retry"}
    assert metrics.registry.get_sample_value("g2a_requests_total", series) == 1.0
    count = metrics.registry.get_sample_value("g2a_request_duration_seconds_count", products)
    assert count == 1.0
    retried = {**products, "reason": "503"}
    assert metrics.registry.get_sample_value("g2a_request_retries_total", retried) == 1.0


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_retry_cut_off_by_close_is_not_counted_as_an_attempt(kind: str) -> None:
    """Closed while the call is between attempts (here: by the answer's handler itself)."""
    metrics = Metrics()
    retry = RetryPolicy(max_retries=3, sleep_enabled=False)
    busy = answer({"code": "BR00", "message": "busy"}, 503)
    if kind == "sync":
        holder: list[G2AClient] = []

        def respond(request: httpx.Request) -> httpx.Response:
            holder[0].close()
            return busy

        client = G2AClient(
            SETTINGS, transport=httpx.MockTransport(respond), metrics=metrics, retry=retry
        )
        holder.append(client)
        with pytest.raises(ClientClosedError):
            client.products.list()
    else:
        aholder: list[AsyncG2AClient] = []

        async def arespond(request: httpx.Request) -> httpx.Response:
            await aholder[0].aclose()
            return busy

        async def run() -> None:
            aclient = AsyncG2AClient(
                SETTINGS, transport=httpx.MockTransport(arespond), metrics=metrics, retry=retry
            )
            aholder.append(aclient)
            with pytest.raises(ClientClosedError):
                await aclient.products.list()

        asyncio.run(run())
    _assert_only_the_sent_attempt_counted(metrics)


def test_an_async_client_closed_under_a_call_raises_client_closed() -> None:
    async def respond(request: httpx.Request) -> httpx.Response:
        return answer({"code": "BR00", "message": "busy"}, 503)

    async def close_during_the_retry_wait() -> BaseException:
        retry = RetryPolicy(max_retries=3, base_delay=0.3, max_delay=0.3)
        client = AsyncG2AClient(
            SETTINGS, transport=httpx.MockTransport(respond), metrics=metrics, retry=retry
        )
        task = asyncio.create_task(client.products.list())
        await asyncio.sleep(0.05)
        await client.aclose()
        try:
            await task
        except BaseException as exc:
            return exc
        raise AssertionError("the call went on after aclose()")

    # How many attempts went out before the close depends on the jittered wait; the count is
    # pinned by the deterministic test above (closed from the answer's handler).
    metrics = Metrics()
    assert isinstance(asyncio.run(close_during_the_retry_wait()), ClientClosedError)


def test_an_unreadable_success_answer_is_counted_as_what_the_call_raised() -> None:
    """A 200 maintenance page on a create: the call is an unknown outcome, and its attempt
    says so too (it was counted `ok`)."""

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="<html>maintenance</html>", headers={"content-type": "text/html"}
        )

    metrics = Metrics()
    client = G2AClient(
        SETTINGS, transport=httpx.MockTransport(respond), metrics=metrics, retry=NO_RETRY
    )
    with client, pytest.raises(OutcomeUnknownError):
        client.orders.create(PRODUCT_ID, max_price=5)
    assert _requests_total(metrics) == {("/v1/order", "outcome_unknown"): 1.0}


def _shop_closing_its_client_after_pay(close: Callable[[], Awaitable[None] | None]) -> Shop:
    """G2A answering each step; its answer to the pay comes back to a client closed meanwhile
    (as another thread or task would close it)."""
    sent: list[str] = []

    async def respond(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.url.path.startswith("/v1/order/pay/"):
            closed = close()
            if closed is not None:
                await closed
        return _shop_answer(request.url.path)

    def respond_sync(request: httpx.Request) -> httpx.Response:
        return asyncio.run(respond(request))

    return Shop(sent, httpx.MockTransport(respond_sync), httpx.MockTransport(respond))


@dataclass
class Shop:
    sent: list[str]
    transport: httpx.MockTransport
    async_transport: httpx.MockTransport


def _sqlite_files_open(path: Path) -> int:
    """How many of this process's file descriptors hold the store's file (its connections)."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if _target(fd) == str(path))


def _target(fd: Path) -> str | None:
    try:
        return str(fd.readlink())
    except OSError:  # closed since it was listed
        return None


def _purchase_closed_under_it(kind: str, settings: Settings, store: MemoryStore | None) -> Shop:
    """A purchase whose client is closed while G2A answers its pay; the client's `store` is
    None to have it open its own. Returns the shop, after checking what the purchase raised."""
    holder: list[Any] = []
    if kind == "sync":
        shop = _shop_closing_its_client_after_pay(lambda: holder[0].close())
        holder.append(G2AClient(settings, transport=shop.transport, store=store, retry=NO_RETRY))
        with pytest.raises(ClientClosedError) as stopped:
            holder[0].orders.purchase(PRODUCT_ID, idempotency_key="k-closed", poll_interval=0.01)
    else:
        shop = _shop_closing_its_client_after_pay(lambda: holder[0].aclose())

        async def purchase() -> None:
            holder.append(
                AsyncG2AClient(
                    settings, transport=shop.async_transport, store=store, retry=NO_RETRY
                )
            )
            await holder[0].orders.purchase(
                PRODUCT_ID, idempotency_key="k-closed", poll_interval=0.01
            )

        with pytest.raises(ClientClosedError) as stopped:
            asyncio.run(purchase())
    assert str(stopped.value) == (
        "the client was closed while purchase 'k-closed' ran; it stopped before its next call "
        "to G2A, its progress recorded and its key let go: re-run it with the same "
        "idempotency key on a new client, which resumes it"
    )
    assert shop.sent == ["POST /v1/order", f"PUT /v1/order/pay/{ORDER_ID}"]
    return shop


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_purchase_whose_client_is_closed_under_it_records_the_pay_and_lets_go_of_its_key(
    kind: str,
) -> None:
    """Not "nothing was sent": the order is paid. The purchase records that and lets go of
    its key, so a re-run with the same key on a new client resumes it at once (no lease to
    wait for), fetching the key without ordering or paying again."""
    store = MemoryStore()
    shop = _purchase_closed_under_it(kind, LEASE_SETTINGS, store)

    record = store.get("k-closed")
    assert record is not None
    assert record.owner is None  # let go: nobody holds the key
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "paid"  # recorded after the close
    with G2AClient(LEASE_SETTINGS, transport=shop.transport, store=store, retry=NO_RETRY) as client:
        result = client.orders.purchase(
            PRODUCT_ID, idempotency_key="k-closed", poll_interval=0.01, wait_timeout=0
        )
    assert (result.order_id, result.key, result.resumed) == (ORDER_ID, "KEY-1", True)
    assert shop.sent[2:] == [f"GET /v1/order/details/{ORDER_ID}", f"GET /v1/order/key/{ORDER_ID}"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_store_the_client_owns_stays_open_for_the_purchase_its_close_stopped(
    kind: str, tmp_path: Path
) -> None:
    """The close leaves the store it opened to the purchase running, which records its
    progress there, then closes it as it ends: a new client resumes the purchase at once."""
    path = tmp_path / "store.sqlite3"
    settings = LEASE_SETTINGS.model_copy(update={"idempotency_url": f"sqlite:///{path}"})
    shop = _purchase_closed_under_it(kind, settings, store=None)
    gc.collect()
    assert _sqlite_files_open(path) == 0  # closed by the purchase as it ended

    with G2AClient(settings, transport=shop.transport, retry=NO_RETRY) as client:
        result = client.orders.purchase(
            PRODUCT_ID, idempotency_key="k-closed", poll_interval=0.01, wait_timeout=0
        )
    assert (result.order_id, result.key, result.resumed) == (ORDER_ID, "KEY-1", True)
    assert shop.sent[2:] == [f"GET /v1/order/details/{ORDER_ID}", f"GET /v1/order/key/{ORDER_ID}"]


def test_purchases_racing_a_close_each_end_recorded_and_the_store_closes_once_after_them(
    tmp_path: Path,
) -> None:
    """Eight threads purchase on one client while another closes it: each purchase completes
    or stops with `ClientClosedError`, none holds its key after, and the store the client
    opened is closed once the last of them ends."""
    path = tmp_path / "store.sqlite3"
    settings = LEASE_SETTINGS.model_copy(update={"idempotency_url": f"sqlite:///{path}"})
    started = threading.Barrier(9)

    def respond(request: httpx.Request) -> httpx.Response:
        time.sleep(0.01)  # G2A takes its time: the close lands mid-purchase
        return _shop_answer(request.url.path)

    client = G2AClient(settings, transport=httpx.MockTransport(respond), retry=NO_RETRY)
    outcomes: dict[str, BaseException | None] = {}

    def purchase(key: str) -> None:
        started.wait()
        try:
            client.orders.purchase(PRODUCT_ID, idempotency_key=key, poll_interval=0.01)
        except BaseException as exc:
            outcomes[key] = exc
        else:
            outcomes[key] = None

    keys = [f"k-{n}" for n in range(8)]
    threads = [threading.Thread(target=purchase, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.03)
    client.close()
    for thread in threads:
        thread.join(10)

    assert set(outcomes) == set(keys)
    stopped = [exc for exc in outcomes.values() if exc is not None]
    assert all(isinstance(exc, ClientClosedError) for exc in stopped), stopped
    assert stopped  # the close stopped some of them
    gc.collect()
    assert _sqlite_files_open(path) == 0
    with G2AClient(settings, transport=httpx.MockTransport(respond), retry=NO_RETRY) as again:
        for key in keys:  # nobody holds a key: each resumes (or returns its result) at once
            result = again.orders.purchase(
                PRODUCT_ID, idempotency_key=key, poll_interval=0.01, wait_timeout=0
            )
            assert result.key == "KEY-1"
