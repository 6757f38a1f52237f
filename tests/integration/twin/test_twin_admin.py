"""The admin surface: reset, request log bounds and filters, orders, config, provider states."""

from __future__ import annotations

import time

import httpx
import pytest
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import RunningTwin, TwinAdmin, TwinAdminError


def test_reset_restores_a_fresh_world(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(rate_limit=1)
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    admin.add_fault(route="/v1/order", kind="status")
    api.get("/products")
    admin.reset()
    assert admin.config()["rate_limit"] is None
    assert admin.product(SANDBOX_PRODUCT)["qty"] >= 100
    assert admin.faults() == []
    assert admin.orders() == []
    assert admin.requests() == []


def test_request_log_is_bounded_and_filterable(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(request_log_size=5)
    for page in range(1, 8):
        api.get("/products", params={"page": page})
    api.post("/order", json={"product_id": SANDBOX_PRODUCT})
    records = admin.requests()
    assert [r["query"] for r in records[:4]] == ["page=4", "page=5", "page=6", "page=7"]
    assert len(records) == 5
    [post] = admin.requests(method="post")
    assert (post["path"], post["status"], post["body"]) == (
        "/v1/order", 200, f'{{"product_id":"{SANDBOX_PRODUCT}"}}'
    )  # fmt: skip
    admin.clear_requests()
    assert admin.requests() == []


def test_orders_can_be_inspected_and_moved(api: httpx.Client, admin: TwinAdmin) -> None:
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert admin.order(order_id)["status"] == "new"
    admin.set_order(order_id, status="paid")
    assert api.get(f"/order/details/{order_id}").json()["status"] == "complete"
    admin.set_order(order_id, key_downloaded=True)
    assert api.get(f"/order/key/{order_id}").json() == error("ORD004", "Key already downloaded")
    with pytest.raises(TwinAdminError, match="404"):
        admin.order("1")
    with pytest.raises(TwinAdminError, match="unknown order field"):
        admin.set_order(order_id, colour="red")


def test_config_rejects_unknown_fields(admin: TwinAdmin) -> None:
    with pytest.raises(TwinAdminError, match="unknown config field"):
        admin.configure(colour="red")
    with pytest.raises(TwinAdminError, match="400"):
        admin.configure(token_ttl_seconds="soon")


def test_config_view_hides_secrets(admin: TwinAdmin) -> None:
    view = admin.config()
    assert view["webhook_secrets"] == ["***"]
    assert view["credentials"] == [
        {"api_hash": "qdaiciDiyMaTjxMt", "email": "sandboxapitest@g2a.com"}
    ]


def test_provider_states_pin_orders(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.apply_state("order 1234567890 exists")
    with pytest.raises(TwinAdminError, match="needs the parameter order_id"):
        admin.apply_state("order {order_id} is paid")
    assert api.get("/order/details/1234567890").json()["status"] == "new"
    admin.apply_state("order {order_id} is paid", {"order_id": "1234567891"})
    assert api.get("/order/key/1234567891").status_code == 200
    admin.apply_state("key for order 1234567892 was already downloaded")
    assert api.get("/order/key/1234567892").json() == error("ORD004", "Key already downloaded")
    admin.apply_state("order 1234567893 is complete")
    assert api.get("/order/details/1234567893").json()["status"] == "complete"


def test_provider_states_shape_products(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.apply_state("product 10000000000123 is in stock")
    assert api.get("/products", params={"id": "10000000000123"}).json()["docs"][0]["qty"] >= 100
    admin.apply_state(f"product {SANDBOX_PRODUCT} does not exist")
    assert api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["total"] == 0
    admin.apply_state("product 10000000000123 costs more than 20")
    refused = api.post("/order", json={"product_id": "10000000000123", "max_price": 20})
    assert refused.status_code == 402
    admin.apply_state("offers exist")
    assert admin.apply_state("job abc-1 exists")["job_id"] == "abc-1"
    assert [j["jobId"] for j in admin.jobs()] == ["abc-1"]
    with pytest.raises(TwinAdminError, match="unknown provider state"):
        admin.apply_state("the moon is full")


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        pytest.param(b"[" * 20_000 + b"]" * 20_000, id="nested-too-deep"),
        pytest.param("{}".encode("utf-16"), id="utf-16"),
    ],
)
def test_admin_errors_are_json(twin: RunningTwin, raw: bytes) -> None:
    response = httpx.post(f"{twin.base_url}/__twin/faults", content=raw)
    assert (response.status_code, response.json()) == (400, {"error": "body is not valid JSON"})


@pytest.mark.parametrize(
    ("method", "path", "status", "reason"),
    [
        ("GET", "/__twin/no-such-page", 404, "not_found"),
        ("POST", "/__twin/config", 405, "method_not_allowed"),
    ],
)
def test_admin_404_and_405_are_json_too(
    twin: RunningTwin, method: str, path: str, status: int, reason: str
) -> None:
    response = httpx.request(method, f"{twin.base_url}{path}", content=b"{}")
    assert (response.status_code, response.json()) == (status, {"error": reason})
    assert response.headers["content-type"] == "application/json"


def listed_qty(api: httpx.Client) -> int:
    qty: int = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["docs"][0]["qty"]
    return qty


def test_moving_created_at_past_the_reservation_lapses_the_order(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    admin.set_order(order_id, created_at=time.time() - 1900)
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty  # the unit is back
    late = api.put(f"/order/pay/{order_id}")
    assert (late.status_code, late.json()) == (403, error("ORD114", "Payment too late"))
    assert listed_qty(api) == qty


def test_moving_created_at_ahead_extends_the_reservation(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(reservation_seconds=0.2)
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    admin.set_order(order_id, created_at=time.time() + 3600)
    time.sleep(0.3)
    assert listed_qty(api) == qty - 1  # still reserved
    assert api.put(f"/order/pay/{order_id}").status_code == 200


def test_a_paid_order_moved_back_to_new_lapses_again(api: httpx.Client, admin: TwinAdmin) -> None:
    """Back to new after its reservation time passed: the unit it held is given back."""
    admin.configure(reservation_seconds=0.2)
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert api.put(f"/order/pay/{order_id}").status_code == 200
    time.sleep(0.3)
    assert listed_qty(api) == qty - 1  # paid: sold, not reserved
    admin.set_order(order_id, status="new")
    assert listed_qty(api) == qty
    late = api.put(f"/order/pay/{order_id}")
    assert (late.status_code, late.json()) == (403, error("ORD114", "Payment too late"))


def test_a_lapsed_order_paid_or_renewed_by_the_admin_takes_its_unit_again(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    first = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    admin.set_order(first, created_at=time.time() - 1900)
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty
    admin.set_order(first, status="paid")
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty - 1
    assert api.get(f"/order/details/{first}").json()["status"] == "complete"

    second = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    admin.set_order(second, created_at=time.time() - 1900)
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty - 1
    admin.set_order(second, created_at=time.time())
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty - 2
    assert api.put(f"/order/pay/{second}").status_code == 200
    assert listed_qty(api) == qty - 2


def test_admin_views_show_lapsed_reservations_released(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(reservation_seconds=0.05)
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    time.sleep(0.1)
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty  # no API call in between
    assert [(o["order_id"], o["lapsed"]) for o in admin.orders()] == [(order_id, True)]
    assert admin.order(order_id)["lapsed"] is True
