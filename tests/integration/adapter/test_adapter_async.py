"""AsyncG2AClient against the in-process twin (httpx.ASGITransport): same behaviour as sync."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from adapter_support import twin_settings
from starlette.applications import Starlette

from g2a_adapter import (
    AsyncG2AClient,
    G2AApiError,
    Metrics,
    NotFoundError,
    OutcomeUnknownError,
    PurchaseResult,
    RequestValidationError,
    TransportError,
)
from g2a_adapter.idempotency import MemoryStore
from harness.twin import SANDBOX_PRODUCT_IDS

pytestmark = pytest.mark.anyio
PRODUCT = SANDBOX_PRODUCT_IDS[0]


async def requests(admin: httpx.AsyncClient, path: str | None = None) -> list[dict[str, Any]]:
    params = {"path": path} if path else {}
    answer = await admin.get("/requests", params=params)
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()
    return result


async def fault(admin: httpx.AsyncClient, **spec: Any) -> None:
    (await admin.post("/faults", json=spec)).raise_for_status()


async def test_products_pages_filters_and_lookup(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient
) -> None:
    page = await aclient.products.list(min_qty=1)
    assert (page.page, len(page.docs)) == (1, 20)
    everything = [p async for p in aclient.products.aiter_all(include_out_of_stock=True)]
    assert len(everything) == 300
    assert len({p.id for p in everything}) == 300
    cheap = [p async for p in aclient.products.aiter_all(min_price_to=10)]
    assert cheap == [p for p in everything if p.qty > 0 and p.min_price <= 10]
    assert (await aclient.products.get(PRODUCT)).id == PRODUCT
    with pytest.raises(NotFoundError):
        await aclient.products.get("123")
    with pytest.raises(RequestValidationError):
        await aclient.products.list(page=0)
    pages = await requests(aadmin, "/v1/products")
    assert len(pages) == 1 + 15 + -(-len(cheap) // 20) + 2


async def test_order_lifecycle_and_errors(aclient: AsyncG2AClient) -> None:
    created = await aclient.orders.create(PRODUCT)
    assert (await aclient.orders.details(created.order_id)).status == "new"
    payment = await aclient.orders.pay(created.order_id)
    assert payment.status is True
    assert (await aclient.orders.details(created.order_id)).complete
    assert len((await aclient.orders.key(created.order_id)).key) > 0
    with pytest.raises(G2AApiError) as caught:
        await aclient.orders.key(created.order_id)
    assert (caught.value.code, caught.value.status_code) == ("ORD004", 400)


async def test_retries_match_the_sync_client(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient, metrics: Metrics
) -> None:
    await fault(aadmin, route="/v1/products", kind="status", status=503, times=2)
    assert (await aclient.products.list()).page == 1
    statuses = [r["status"] for r in await requests(aadmin, "/v1/products")]
    assert statuses == [503, 503, 200]
    retried = metrics.registry.get_sample_value(
        "g2a_request_retries_total", {"method": "GET", "route": "/v1/products", "reason": "503"}
    )
    assert retried == 2


async def test_503_forever_and_reset_on_create(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient
) -> None:
    await fault(aadmin, route="/v1/products", kind="status", status=503)
    with pytest.raises(G2AApiError):
        await aclient.products.list()
    assert len(await requests(aadmin, "/v1/products")) == 3
    await fault(aadmin, route="/v1/order", method="POST", kind="reset", phase="after")
    with pytest.raises(OutcomeUnknownError):
        await aclient.orders.create(PRODUCT)
    assert len(await requests(aadmin, "/v1/order")) == 1


async def test_reset_on_reads_is_retried_then_a_transport_error(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient
) -> None:
    await fault(aadmin, route="/v1/order/details/*", kind="reset")
    with pytest.raises(TransportError) as caught:
        await aclient.orders.details("1530978476")
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(await requests(aadmin, "/v1/order/details/1530978476")) == 3


async def test_purchase_and_eight_concurrent_tasks_with_one_key(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient
) -> None:
    async def buy() -> PurchaseResult:
        return await aclient.orders.purchase(
            PRODUCT, idempotency_key="async-key", poll_interval=0.01, wait_timeout=10
        )

    results = await asyncio.gather(*(buy() for _ in range(8)))
    assert len({(r.order_id, r.key) for r in results}) == 1
    assert sorted(r.resumed for r in results) == [False] + [True] * 7
    log = await requests(aadmin)
    assert [r["status"] for r in log if r["path"] == "/v1/order"] == [200]
    assert [r["status"] for r in log if r["path"].startswith("/v1/order/pay/")] == [200]
    assert [r["status"] for r in log if r["path"].startswith("/v1/order/key/")] == [200]


async def test_closing_closes_the_store_it_opened_off_the_event_loop(
    asgi_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_on: list[threading.Thread] = []

    class NetworkStore(MemoryStore):  # a Redis or PostgreSQL store's close may block
        def close(self) -> None:
            closed_on.append(threading.current_thread())

    monkeypatch.setattr("g2a_adapter.client._client.open_store", lambda url: NetworkStore())
    client = AsyncG2AClient(
        twin_settings("http://127.0.0.1/v1"), transport=httpx.ASGITransport(app=asgi_app)
    )
    await client.orders.purchase(PRODUCT, idempotency_key="own-store", poll_interval=0.01)

    await client.aclose()

    assert len(closed_on) == 1
    assert closed_on[0] is not threading.current_thread()


OFFER = {
    "offerType": "dropshipping",
    "variant": {"productId": PRODUCT, "price": {"retail": 9.99}, "inventory": {"size": 3}},
}


async def test_import_api_offers_and_jobs(
    aclient: AsyncG2AClient, aadmin: httpx.AsyncClient
) -> None:
    job_id = await aclient.offers.create(OFFER)
    job = await aclient.jobs.get(job_id)
    assert job.job_id == job_id
    assert job.status in {"pending", "done"}
    page = await aclient.offers.list(items_per_page=100)
    assert page.meta.items_per_page == 100
    (token_call,) = await requests(aadmin, "/oauth/token")
    assert token_call["status"] == 200
    offer_calls = [r for r in await requests(aadmin) if r["path"].startswith("/v3/")]
    assert len(offer_calls) == 3
    assert {r["headers"]["authorization"] for r in offer_calls} == {"Bearer ***"}
    with pytest.raises(RequestValidationError):
        await aclient.offers.list(items_per_page=101)
    with pytest.raises(RequestValidationError):
        await aclient.jobs.get("../x")


async def test_the_first_purchase_opens_its_store_off_the_event_loop(
    asgi_app: Starlette, tmp_path: Path
) -> None:
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing: opening the store waits
    unlock = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    settings = twin_settings("http://127.0.0.1/v1", idempotency_url=f"sqlite:///{path}")
    unlock.start()
    try:
        transport = httpx.ASGITransport(app=asgi_app)
        async with AsyncG2AClient(settings, transport=transport) as client:
            ticker = asyncio.create_task(tick())
            await asyncio.sleep(0.05)  # the ticker runs before the purchase starts
            started = time.monotonic()
            result = await client.orders.purchase(
                PRODUCT, idempotency_key="busy-store", max_price=500, poll_interval=0.01
            )
            waited = time.monotonic() - started
            ticker.cancel()
    finally:
        unlock.join()
        holder.close()
    assert result.key
    assert waited >= 0.9  # the store's open waited for the write lock...
    assert max(gaps) < 0.3  # ...while the event loop kept running
