"""`g2a_purchases_total{result}`: every purchase counted once, by how it ended, sync and async
(one flow drives both), with the whole label set exported at 0 from the start."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from adapter_support import HeldElsewhere, twin_settings
from runbook_support import logged_as, runbook

from g2a_adapter import (
    PURCHASE_RESULTS,
    AsyncG2AClient,
    G2AApiError,
    G2AClient,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    Metrics,
    OutcomeUnknownError,
    PurchasePendingError,
    Settings,
    StoreUnavailableError,
)
from g2a_adapter.idempotency import Claim, MemoryStore
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[2]


def results(metrics: Metrics) -> dict[str, float]:
    """Every `result` sample of g2a_purchases_total that is not 0 (all are exported)."""
    values = {
        result: metrics.registry.get_sample_value("g2a_purchases_total", {"result": result})
        for result in PURCHASE_RESULTS
    }
    assert None not in values.values(), values
    return {result: value for result, value in values.items() if value}


def buy(client: G2AClient, key: str, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"max_price": 500, "poll_interval": 0.01, "poll_timeout": 2.0}
    return client.orders.purchase(PRODUCT, idempotency_key=key, **{**options, **kwargs})


class DownStore(MemoryStore):
    """A store whose server is gone: every claim fails."""

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        raise StoreUnavailableError("redis", "connection refused")


def test_a_fresh_metrics_exports_every_purchase_result_at_zero() -> None:
    assert results(Metrics()) == {}
    exposition = Metrics().exposition().decode()
    for result in PURCHASE_RESULTS:
        assert f'g2a_purchases_total{{result="{result}"}} 0.0' in exposition


def test_each_purchase_counts_once_by_how_it_ended(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    buy(client, "bought")
    buy(client, "bought")  # read from the store: nothing sent
    with pytest.raises(IdempotencyConflictError):
        buy(client, "bought", max_price=400)
    with pytest.raises(G2AApiError):  # G2A refuses an order above max_price
        buy(client, "too-dear", max_price=0.01)
    twin.admin.configure(completion_delay_seconds=30)
    with pytest.raises(PurchasePendingError):
        buy(client, "slow", poll_timeout=0.05)
    twin.admin.configure(completion_delay_seconds=0)
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=502)
    with pytest.raises(OutcomeUnknownError):
        buy(client, "lost-creates")

    assert results(metrics) == {
        "completed": 1,
        "replayed": 1,
        "conflict": 1,
        "refused": 1,
        "pending": 1,
        "outcome_unknown": 1,
    }


def test_a_resumed_purchase_counts_as_completed(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    twin.admin.configure(completion_delay_seconds=30)
    with pytest.raises(PurchasePendingError):
        buy(client, "slow", poll_timeout=0.05)
    (order,) = twin.admin.orders()
    twin.admin.set_order(order["order_id"], status="complete")
    assert buy(client, "slow").resumed is True
    assert results(metrics) == {"pending": 1, "completed": 1}


@pytest.mark.parametrize(
    ("store", "error", "result"),
    [
        (DownStore(), StoreUnavailableError, "store_unavailable"),
        (HeldElsewhere("held", 60), IdempotencyInProgressError, "in_progress"),
    ],
    ids=["store down", "held elsewhere"],
)
def test_a_purchase_the_store_stops_counts_why_and_sends_nothing(
    settings: Settings,
    twin: RunningTwin,
    store: MemoryStore,
    error: type[Exception],
    result: str,
) -> None:
    metrics = Metrics()
    with G2AClient(settings, metrics=metrics, store=store) as client, pytest.raises(error):
        buy(client, "held", wait_timeout=0)
    assert results(metrics) == {result: 1}
    assert twin.admin.requests() == []


def test_the_purchase_store_down_runbook_says_where_the_store_s_error_shows(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by an operator's walkthrough: G2APurchaseStoreDown's runbook said "check the store
    as above", where only a receiver's lines are named; a purchase logs none of its own."""
    caplog.set_level(logging.DEBUG, logger="g2a_adapter")
    with (
        G2AClient(settings, store=DownStore()) as client,
        pytest.raises(StoreUnavailableError) as e,
    ):
        buy(client, "down")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    purchase_store_down = runbook("runbook-g2a-store-down").split("**G2APurchaseStoreDown**")[1]
    assert "The adapter logs no line of its own for such a purchase" in purchase_store_down
    (template,) = re.findall(r"`(idempotency store [^`]+)`", purchase_store_down)
    assert logged_as(template).fullmatch(str(e.value)), (template, str(e.value))


@pytest.mark.anyio
async def test_async_purchases_count_the_same(twin: RunningTwin) -> None:
    metrics = Metrics()
    settings = twin_settings(twin.export_url)
    async with AsyncG2AClient(settings, metrics=metrics, store=MemoryStore()) as client:
        for _ in range(2):
            await client.orders.purchase(PRODUCT, idempotency_key="a", max_price=500)
    async with AsyncG2AClient(settings, metrics=metrics, store=DownStore()) as client:
        with pytest.raises(StoreUnavailableError):
            await client.orders.purchase(PRODUCT, idempotency_key="b", max_price=500)
    assert results(metrics) == {"completed": 1, "replayed": 1, "store_unavailable": 1}


@pytest.mark.anyio
async def test_a_cancelled_async_purchase_is_not_counted(twin: RunningTwin) -> None:
    metrics = Metrics()
    twin.admin.add_fault(route="/v1/order", method="POST", kind="latency", latency_ms=1000)
    settings = twin_settings(twin.export_url)
    async with AsyncG2AClient(settings, metrics=metrics, store=MemoryStore()) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                client.orders.purchase(PRODUCT, idempotency_key="c", max_price=500), 0.2
            )
    assert results(metrics) == {}


@pytest.mark.anyio
async def test_a_purchase_whose_store_cannot_be_opened_counts_too(
    twin: RunningTwin, tmp_path: Path
) -> None:
    """The store is opened at the first purchase: a SQLite file in a folder that is not there
    failed every purchase before its flow began, counted nowhere."""
    metrics = Metrics()
    url = f"sqlite:///{tmp_path / 'missing' / 'purchases.sqlite3'}"
    settings = twin_settings(twin.export_url, idempotency_url=url)
    with G2AClient(settings, metrics=metrics) as client, pytest.raises(StoreUnavailableError):
        buy(client, "sync")
    async with AsyncG2AClient(settings, metrics=metrics) as aclient:
        with pytest.raises(StoreUnavailableError):
            await aclient.orders.purchase(PRODUCT, idempotency_key="async", max_price=500)
    assert results(metrics) == {"store_unavailable": 2}
    assert twin.admin.requests() == []
