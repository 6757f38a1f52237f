"""A reset ends the world a call started in: a call still held by a latency fault is dropped
(503 TWIN_RESET) instead of running against the fresh world the reset made."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import TwinAdmin
from harness.twin.state import FIRST_ORDER_ID

DROPPED = error("TWIN_RESET", "The twin was reset while this call was in flight; it was dropped")


def wait_logged(admin: TwinAdmin, path: str) -> None:
    """Until the twin has logged a call of `path` (so it is in flight, held by its fault)."""
    deadline = time.monotonic() + 5
    while not admin.requests(path=path):
        assert time.monotonic() < deadline, f"no call of {path} reached the twin"
        time.sleep(0.01)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_call_held_by_a_latency_fault_is_dropped_by_a_reset(
    api: httpx.Client, admin: TwinAdmin, phase: str
) -> None:
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    admin.add_fault(route="/v1/order", kind="latency", latency_ms=800, phase=phase, times=1)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(api.post, "/order", json={"product_id": SANDBOX_PRODUCT})
        wait_logged(admin, "/v1/order")
        admin.reset()
        response = held.result(timeout=10)

    assert (response.status_code, response.json()) == (503, DROPPED)
    # nothing of the dropped call reached the fresh world
    assert admin.orders() == []
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty
    assert admin.requests() == []
    first = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert first == str(FIRST_ORDER_ID)


DROPPED_MESSAGE = DROPPED["message"]


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (("POST", "/oauth/token"),
         {"error": "TWIN_RESET", "error_description": DROPPED_MESSAGE}),  # token_error_body
        (("GET", "/v3/sales/offers"),
         {"code": "TWIN_RESET", "message": DROPPED_MESSAGE}),  # import_error_body
    ],
)  # fmt: skip
def test_a_dropped_import_api_call_answers_in_its_configured_error_body(
    root: httpx.Client, admin: TwinAdmin, call: tuple[str, str], body: dict[str, str]
) -> None:
    method, path = call
    admin.configure(import_error_body="code_message")
    admin.add_fault(route=path, kind="latency", latency_ms=800, times=1)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(root.request, method, path)
        wait_logged(admin, path)
        admin.reset()
        response = held.result(timeout=10)

    assert (response.status_code, response.json()) == (503, body)


def test_calls_after_a_reset_are_answered_normally(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.reset()
    admin.add_fault(route="/v1/products", kind="latency", latency_ms=20, times=1)
    assert api.get("/products").status_code == 200


def test_a_completion_timer_from_before_a_reset_leaves_the_reused_order_id_alone(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(completion_delay_seconds=0.3)
    old = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert api.put(f"/order/pay/{old}").status_code == 200  # its completion timer is set
    admin.reset()
    admin.configure(completion_delay_seconds=60)
    admin.subscribe("http://127.0.0.1:9/hook")
    new = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert new == old
    assert api.put(f"/order/pay/{new}").status_code == 200
    time.sleep(0.5)  # the old timer has fired
    assert {d["type"] for d in admin.deliveries()} == {"order.paid"}  # no order.complete
    assert api.get(f"/order/details/{new}").json()["status"] == "paid"
    assert api.get(f"/order/key/{new}").json()["code"] == "ORD03"
