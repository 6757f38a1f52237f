"""The twin as `g2a-harness twin serve` starts it is not kinder than G2A: a paid order takes a
processing time before its key, a rate limit is on, and the adapter copes with both."""

from __future__ import annotations

from pathlib import Path

import httpx
from twin_support import AUTH, SANDBOX_PRODUCT, assumed, error, served_by_cli

from g2a_adapter import G2AClient, Settings
from g2a_adapter.idempotency import MemoryStore
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, TwinAdmin
from harness.twin.assumptions import RATE_LIMIT


def test_paying_then_fetching_the_key_at_once_gets_no_key(tmp_path: Path) -> None:
    with (
        served_by_cli(tmp_path / "twin.log") as base,
        httpx.Client(base_url=f"{base}/v1", headers=AUTH, timeout=5) as api,
    ):
        order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
        assert api.put(f"/order/pay/{order_id}").status_code == 200
        early = api.get(f"/order/key/{order_id}")
        assert (early.status_code, early.json()) == assumed("key_not_ready")
        assert api.get(f"/order/details/{order_id}").json()["status"] == "paid"
        with TwinAdmin(base) as admin:
            assert admin.order(order_id)["key_downloaded"] is False


def test_the_adapters_purchase_waits_for_processing_and_returns_the_key(tmp_path: Path) -> None:
    with served_by_cli(tmp_path / "twin.log") as base:
        settings = Settings(
            api_url=f"{base}/v1", api_hash=SANDBOX_API_HASH, api_key=SANDBOX_API_KEY
        )
        with G2AClient(settings, store=MemoryStore()) as client:
            result = client.orders.purchase(SANDBOX_PRODUCT, idempotency_key="realistic-1")
        with TwinAdmin(base) as admin:
            order = admin.order(result.order_id)
            details = [r for r in admin.requests() if "/order/details/" in r["path"]]
    assert (result.key, order["key_downloaded"]) == (order["key"], True)
    assert len(details) >= 2  # it polled while the order was processing


def test_the_default_rate_limit_answers_br03_with_retry_after(tmp_path: Path) -> None:
    with (
        served_by_cli(tmp_path / "twin.log") as base,
        httpx.Client(base_url=f"{base}/v1", headers=AUTH, timeout=5) as api,
    ):
        with TwinAdmin(base) as admin:  # a long window: the count, not the clock, decides
            admin.configure(rate_window_seconds=60)
        answers = [
            api.get("/products", params={"id": SANDBOX_PRODUCT}) for _ in range(RATE_LIMIT + 5)
        ]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "the default twin let every call through"
    assert limited[0].json() == error("BR03", "Too many requests")
    assert int(limited[0].headers["retry-after"]) >= 1
    assert [a.status_code for a in answers] == [200] * RATE_LIMIT + [429] * 5


def test_rate_limit_off_lets_every_call_through(tmp_path: Path) -> None:
    with (
        served_by_cli(tmp_path / "twin.log", "--rate-limit", "off") as base,
        httpx.Client(base_url=f"{base}/v1", headers=AUTH, timeout=5) as api,
    ):
        statuses = {api.get("/products", params={"id": SANDBOX_PRODUCT}).status_code
                    for _ in range(RATE_LIMIT * 2)}  # fmt: skip
    assert statuses == {200}
