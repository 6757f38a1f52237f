"""`GET /v1/products`: fields, filters and pagination edges over real HTTP."""

from __future__ import annotations

import math

import httpx
import pytest
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import SANDBOX_PRODUCT_IDS, TwinAdmin

PRODUCT_FIELDS = {
    "id", "name", "type", "slug", "qty", "minPrice", "thumbnail", "smallImage", "description",
    "region", "developer", "publisher", "platform", "restrictions", "requirements", "videos",
    "categories", "retail_min_price", "retailMinBasePrice", "availableToBuy", "priceLimit",
    "updated_at", "coverImage", "images", "release_date",
}  # fmt: skip


def all_docs(api: httpx.Client, **params: object) -> list[dict[str, object]]:
    docs: list[dict[str, object]] = []
    page = 1
    while True:
        body = api.get("/products", params={**params, "page": page}).json()
        docs += body["docs"]
        if not body["docs"]:
            return docs
        page += 1


def test_product_by_id_has_every_documented_field(api: httpx.Client) -> None:
    response = api.get("/products", params={"id": SANDBOX_PRODUCT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["total"], body["page"], len(body["docs"])) == (1, 1, 1)
    product = body["docs"][0]
    assert set(product) == PRODUCT_FIELDS
    assert product["id"] == SANDBOX_PRODUCT
    assert product["name"] == "Star Wars Battlefront 2 (2017) Origin Key GLOBAL"
    assert product["type"] == "egoods"
    assert product["qty"] >= 100
    assert set(product["restrictions"]) == {
        "pegi_violence", "pegi_profanity", "pegi_discrimination", "pegi_drugs", "pegi_fear",
        "pegi_gambling", "pegi_online", "pegi_sex",
    }  # fmt: skip
    for level in ("minimal", "recommended"):
        assert set(product["requirements"][level]) == {
            "reqprocessor", "reqgraphics", "reqmemory", "reqdiskspace", "reqsystem", "reqother"
        }  # fmt: skip
    assert product["videos"][0]["type"] == "YOUTUBE"


@pytest.mark.parametrize("product_id", SANDBOX_PRODUCT_IDS)
def test_sandbox_products_are_in_stock(api: httpx.Client, product_id: str) -> None:
    docs = api.get("/products", params={"id": product_id}).json()["docs"]
    assert docs[0]["qty"] >= 100


def test_unknown_id_gives_an_empty_page(api: httpx.Client) -> None:
    assert api.get("/products", params={"id": "99999999999999"}).json() == {
        "total": 0,
        "page": 1,
        "docs": [],
    }


@pytest.mark.parametrize("product_id", ["abc", "", "1.5", "-1"])
def test_non_numeric_id_is_br04(api: httpx.Client, product_id: str) -> None:
    response = api.get("/products", params={"id": product_id})
    assert response.status_code == 400
    assert response.json() == error("BR04", "Product ID is not valid")


def test_pages_hold_twenty_and_cover_the_in_stock_catalog(api: httpx.Client) -> None:
    first = api.get("/products").json()
    in_stock = first["total"]
    assert 200 < in_stock < 300  # 300 generated, some out of stock
    assert len(first["docs"]) == 20
    last_page = math.ceil(in_stock / 20)
    last = api.get("/products", params={"page": last_page}).json()
    assert len(last["docs"]) == in_stock - 20 * (last_page - 1)
    beyond = api.get("/products", params={"page": last_page + 1}).json()
    assert beyond == {"total": in_stock, "page": last_page + 1, "docs": []}
    ids = [d["id"] for d in all_docs(api)]
    assert len(ids) == in_stock == len(set(ids))
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("0", "page must be between 1 and 500"),
        ("-1", "page must be between 1 and 500"),
        ("501", "page must be between 1 and 500"),
        ("two", "page must be an integer"),
        ("", "page must be an integer"),
    ],
)
def test_pages_outside_1_to_500_are_br02(api: httpx.Client, page: str, message: str) -> None:
    response = api.get("/products", params={"page": page})
    assert (response.status_code, response.json()) == (400, error("BR02", message))


def test_page_500_is_the_last_valid_page(api: httpx.Client) -> None:
    assert api.get("/products", params={"page": 500}).json()["docs"] == []


def test_include_out_of_stock(api: httpx.Client) -> None:
    hidden = api.get("/products").json()["total"]
    everything = api.get("/products", params={"includeOutOfStock": "true"}).json()["total"]
    assert everything == 300
    out = [d for d in all_docs(api, includeOutOfStock=1) if d["qty"] == 0]
    assert len(out) == everything - hidden > 0
    assert all(d["availableToBuy"] is False for d in out)


def test_min_qty_and_price_filters(api: httpx.Client) -> None:
    docs = all_docs(api, minQty=150, minPriceFrom=10.5, minPriceTo=30)
    assert docs
    assert all(d["qty"] >= 150 and 10.5 <= d["minPrice"] <= 30 for d in docs)
    everything = all_docs(api, includeOutOfStock="true")
    expected = [d["id"] for d in everything if d["qty"] >= 150 and 10.5 <= d["minPrice"] <= 30]
    assert [d["id"] for d in docs] == expected


def test_number_filters_take_every_json_spelling(api: httpx.Client) -> None:
    """Signs, fractions and exponents as JSON (and schemathesis) write numbers."""
    same = all_docs(api, minPriceFrom="10.5", minPriceTo="30")
    assert same == all_docs(api, minPriceFrom="1.05e1", minPriceTo="3E+1")
    assert all_docs(api, minQty="-1", minPriceFrom="-.5") == all_docs(api)


def test_updated_at_filters(api: httpx.Client) -> None:
    low, high = "2024-06-01 00:00:00", "2025-01-31 23:59:59"
    docs = all_docs(api, updatedAtFrom=low, updatedAtTo=high)
    assert docs
    assert all(low <= d["updated_at"] <= high for d in docs)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"minQty": "x"}, "minQty must be an integer"),
        ({"minPriceFrom": "cheap"}, "minPriceFrom must be a number"),
        ({"minPriceTo": "nan"}, "minPriceTo must be a number"),
        ({"includeOutOfStock": "maybe"}, "includeOutOfStock must be true, false, 1 or 0"),
        ({"updatedAtFrom": "2024-01-01"}, "updatedAtFrom must be yyyy-mm-dd hh:mm:ss"),
        ({"updatedAtTo": ""}, "updatedAtTo must be yyyy-mm-dd hh:mm:ss"),
        ({"updatedAtFrom": "2026-13-45 99:99:99"}, "updatedAtFrom must be yyyy-mm-dd hh:mm:ss"),
        ({"updatedAtTo": "2026-01-01 24:00:00"}, "updatedAtTo must be yyyy-mm-dd hh:mm:ss"),
        ({"minQty": ""}, "minQty must be an integer"),
        ({"includeOutOfStock": ""}, "includeOutOfStock must be true, false, 1 or 0"),
        # What Python's int() and float() read but the OpenAPI types do not allow
        ({"includeOutOfStock": "TRUE"}, "includeOutOfStock must be true, false, 1 or 0"),
        ({"page": "1_0"}, "page must be an integer"),
        ({"page": " 2"}, "page must be an integer"),
        ({"page": "+2"}, "page must be an integer"),
        ({"minQty": "\u0663"}, "minQty must be an integer"),  # ARABIC-INDIC DIGIT THREE
        ({"minPriceFrom": "1_000"}, "minPriceFrom must be a number"),
        ({"minPriceTo": "inf"}, "minPriceTo must be a number"),
        ({"minPriceTo": " 5"}, "minPriceTo must be a number"),
    ],
)
def test_malformed_filters_are_br02(
    api: httpx.Client, params: dict[str, str], message: str
) -> None:
    response = api.get("/products", params=params)
    assert (response.status_code, response.json()) == (400, error("BR02", message))


@pytest.mark.parametrize("name", ["updatedAtFrom", "updatedAtTo"])
@pytest.mark.parametrize(
    "moment", ["2024-02-31 00:00:00", "2024-04-31 12:00:00", "2023-02-29 12:00:00"]
)
def test_a_date_that_does_not_exist_is_br02(api: httpx.Client, name: str, moment: str) -> None:
    """The pattern takes days 01 to 31 of any month; a day its month lacks is no filter."""
    response = api.get("/products", params={name: moment})
    assert (response.status_code, response.json()) == (
        400,
        error("BR02", f"{name} must be yyyy-mm-dd hh:mm:ss"),
    )


@pytest.mark.parametrize("moment", ["2024-02-29 00:00:00", "2000-02-29 23:59:59"])
def test_february_29_of_a_leap_year_is_a_date(api: httpx.Client, moment: str) -> None:
    response = api.get("/products", params={"updatedAtFrom": moment, "updatedAtTo": moment})
    assert response.status_code == 200


def test_catalog_changes_show_up(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    listed = all_docs(api)
    assert SANDBOX_PRODUCT not in {d["id"] for d in listed}
    shown = api.get("/products", params={"id": SANDBOX_PRODUCT, "includeOutOfStock": 1}).json()
    assert shown["docs"][0]["qty"] == 0


def test_seeded_catalogs_are_deterministic(api: httpx.Client, admin: TwinAdmin) -> None:
    assert admin.seed(seed=7, size=45) == 45
    first = all_docs(api, includeOutOfStock=1)
    admin.seed(seed=8, size=45)
    other = all_docs(api, includeOutOfStock=1)
    admin.seed(seed=7, size=45)
    assert all_docs(api, includeOutOfStock=1) == first != other
    assert set(SANDBOX_PRODUCT_IDS) <= {d["id"] for d in first}


def test_catalog_can_be_replaced(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.seed(products=[{"id": "10000000000001", "name": "Only One", "qty": 3, "minPrice": 9.5}])
    body = api.get("/products").json()
    assert body["total"] == 1
    assert {k: body["docs"][0][k] for k in ("id", "name", "qty", "minPrice")} == {
        "id": "10000000000001",
        "name": "Only One",
        "qty": 3,
        "minPrice": 9.5,
    }
