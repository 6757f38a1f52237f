"""Products and orders through G2AClient against the served twin (real HTTP)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from adapter_support import query, twin_settings

from g2a_adapter import (
    ApiAuthError,
    G2AApiError,
    G2AClient,
    NotFoundError,
    OrderCreated,
    Product,
    RequestValidationError,
    Settings,
)
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[0]


@pytest.fixture
def catalog(client: G2AClient) -> list[Product]:
    return list(client.products.iter_all(include_out_of_stock=True))


def test_first_page_is_typed_and_keeps_extra_fields(client: G2AClient, twin: RunningTwin) -> None:
    page = client.products.list()
    assert page.page == 1
    assert len(page.docs) == 20
    first = page.docs[0]
    raw = twin.admin.product(first.id)
    assert first.name == raw["name"]
    assert first.min_price == Decimal(repr(raw["minPrice"]))
    assert first.qty == raw["qty"]
    assert first.model_extra is not None
    assert first.model_extra["updated_at"] == raw["updated_at"]
    request = twin.admin.requests(path="/v1/products")[-1]
    assert query(request) == {"page": "1"}


def test_iter_all_walks_every_page_once(client: G2AClient, twin: RunningTwin) -> None:
    in_stock = list(client.products.iter_all())
    total = client.products.list().total
    assert len(in_stock) == total
    assert len({p.id for p in in_stock}) == total
    pages = [query(r)["page"] for r in twin.admin.requests(path="/v1/products")]
    assert pages[: -(-total // 20)] == [str(n) for n in range(1, -(-total // 20) + 1)]
    assert all(p.qty > 0 for p in in_stock)


def test_every_filter_matches_an_independent_computation(
    client: G2AClient, catalog: list[Product]
) -> None:
    assert len(catalog) == 300
    prices = sorted(p.min_price for p in catalog)
    low, high = prices[60], prices[200]
    stamps = sorted(str((p.model_extra or {})["updated_at"]) for p in catalog)
    since = datetime.strptime(stamps[150], "%Y-%m-%d %H:%M:%S")
    until = datetime.strptime(stamps[250], "%Y-%m-%d %H:%M:%S")
    cases = {
        "min_qty": ({"min_qty": 50}, lambda p: p.qty >= 50),
        "price_from": ({"min_price_from": low}, lambda p: p.qty > 0 and p.min_price >= low),
        "price_to": ({"min_price_to": high}, lambda p: p.qty > 0 and p.min_price <= high),
        "oos": ({"include_out_of_stock": True}, lambda p: True),
        "no_oos": ({"include_out_of_stock": False}, lambda p: p.qty > 0),
        "updated": (
            {"updated_at_from": since, "updated_at_to": until, "include_out_of_stock": True},
            lambda p: stamps[150] <= str((p.model_extra or {})["updated_at"]) <= stamps[250],
        ),
    }
    for name, (filters, keep) in cases.items():
        got = [p.id for p in client.products.iter_all(**filters)]
        expected = [p.id for p in catalog if keep(p)]
        assert got == expected, name
        assert expected, name


def test_filters_are_sent_with_g2a_names(client: G2AClient, twin: RunningTwin) -> None:
    client.products.list(
        2,
        min_qty=3,
        min_price_from=1.5,
        min_price_to=40,
        include_out_of_stock=False,
        updated_at_from=datetime(2025, 1, 2, 3, 4, 5),
        updated_at_to=datetime(2026, 1, 1),
    )
    (request,) = twin.admin.requests(path="/v1/products")
    assert query(request) == {
        "page": "2",
        "minQty": "3",
        "minPriceFrom": "1.5",
        "minPriceTo": "40",
        "includeOutOfStock": "false",
        "updatedAtFrom": "2025-01-02 03:04:05",
        "updatedAtTo": "2026-01-01 00:00:00",
    }


def test_lookup_by_id(client: G2AClient, twin: RunningTwin) -> None:
    product = client.products.get(PRODUCT)
    assert product.id == PRODUCT
    assert product.name == twin.admin.product(PRODUCT)["name"]
    assert client.products.list(id=int(PRODUCT)).docs[0].id == PRODUCT
    with pytest.raises(NotFoundError, match="99999"):
        client.products.get("99999")


@pytest.mark.parametrize(
    "call",
    [
        {"page": 0},
        {"page": 501},
        {"id": "abc"},
        {"min_qty": -1},
        {"min_price_from": -0.5},
    ],
)
def test_bad_queries_fail_before_sending(
    client: G2AClient, twin: RunningTwin, call: dict[str, object]
) -> None:
    with pytest.raises(RequestValidationError):
        client.products.list(**call)  # type: ignore[arg-type]
    assert twin.admin.requests() == []


def test_order_lifecycle(client: G2AClient, twin: RunningTwin) -> None:
    created = client.orders.create(PRODUCT, max_price=1000)
    assert isinstance(created, OrderCreated)
    assert created.order_id.isdigit()
    assert created.currency == "EUR"
    assert created.price == Decimal(repr(twin.admin.product(PRODUCT)["minPrice"]))
    assert client.orders.details(created.order_id).status == "new"
    payment = client.orders.pay(created.order_id)
    assert payment.status is True
    assert len(payment.transaction_id) == 36
    details = client.orders.details(created.order_id)
    assert (details.status, details.price, details.currency) == ("complete", created.price, "EUR")
    key = client.orders.key(created.order_id)
    assert key.key == twin.admin.order(created.order_id)["key"]
    assert key.key not in repr(key)
    (create_call,) = twin.admin.requests(path="/v1/order", method="POST")
    assert json.loads(create_call["body"]) == {
        "product_id": PRODUCT,
        "currency": "EUR",
        "max_price": 1000.0,
    }


def test_other_currency_and_min_rating(client: G2AClient, twin: RunningTwin) -> None:
    created = client.orders.create(PRODUCT, currency="USD", min_rating=0.5)
    assert created.currency == "USD"
    (call,) = twin.admin.requests(path="/v1/order", method="POST")
    assert json.loads(call["body"]) == {"product_id": PRODUCT, "currency": "USD", "min_rating": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"product_id": "12ab"}, "product_id"),
        ({"product_id": PRODUCT, "currency": "euro"}, "currency"),
        ({"product_id": PRODUCT, "max_price": -1}, "max_price"),
        ({"product_id": PRODUCT, "min_rating": 1.5}, "min_rating"),
    ],
)
def test_bad_orders_fail_before_sending(
    client: G2AClient, twin: RunningTwin, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(RequestValidationError, match=field):
        client.orders.create(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="order id"):
        client.orders.pay("../etc")
    assert twin.admin.requests() == []


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        (lambda c: c.orders.details("999999"), "ORD02", 404),
        (lambda c: c.orders.pay("999999"), "ORD02", 404),
        (lambda c: c.orders.create("99999999999"), "ORD01", 404),
        (lambda c: c.orders.create(PRODUCT, max_price=0.01), "ORD05", 402),
    ],
)
def test_g2a_errors_are_typed_with_code_and_status(
    client: G2AClient, twin: RunningTwin, call: Any, code: str, status: int
) -> None:
    with pytest.raises(G2AApiError) as caught:
        call(client)
    assert (caught.value.code, caught.value.status_code) == (code, status)
    assert str(caught.value).startswith(f"G2A error {code} (HTTP {status}): ")
    assert len(twin.admin.requests()) == 1  # 4xx: never retried


def test_key_only_once_and_payment_order(client: G2AClient) -> None:
    created = client.orders.create(PRODUCT)
    with pytest.raises(G2AApiError) as not_ready:
        client.orders.key(created.order_id)
    assert (not_ready.value.code, not_ready.value.status_code) == ("ORD03", 403)
    client.orders.pay(created.order_id)
    client.orders.key(created.order_id)
    with pytest.raises(G2AApiError) as again:
        client.orders.key(created.order_id)
    assert (again.value.code, again.value.status_code) == ("ORD004", 400)


def test_wrong_credentials_are_an_auth_error(twin: RunningTwin) -> None:
    settings = twin_settings(twin.export_url, api_key="0" * 64)
    with G2AClient(settings) as client, pytest.raises(ApiAuthError) as caught:
        client.products.list()
    assert (caught.value.code, caught.value.status_code) == ("AUTH02", 401)
    assert len(twin.admin.requests()) == 1  # never retried


def test_settings_fixture_points_at_the_twin(settings: Settings, twin: RunningTwin) -> None:
    assert settings.api_url == twin.export_url
