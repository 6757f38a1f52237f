"""What docs/g2a-api.md leaves unknown is a registered setting: its default answer, and the
answer once configured, exactly (status and body)."""

from __future__ import annotations

import time

import httpx
import pytest
from test_twin_import_api import FORM, OFFER, bearer
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_API_SECRET, TwinAdmin

UNKNOWN_PRODUCT = "10000000000099"


def answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


# Export API --------------------------------------------------------------------------------
def test_a_lookup_by_id_finds_an_out_of_stock_product(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    admin.configure(page_size=1000)
    found = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()
    assert (found["total"], [(d["id"], d["qty"]) for d in found["docs"]]) == (
        1,
        [(SANDBOX_PRODUCT, 0)],
    )
    listed = {d["id"] for d in api.get("/products").json()["docs"]}
    assert SANDBOX_PRODUCT not in listed
    assert len(listed) == api.get("/products").json()["total"]


@pytest.mark.parametrize(("hidden", "by_id", "in_listing"),
                         [("always", 0, False), ("never", 1, True)])  # fmt: skip
def test_hiding_out_of_stock_products_is_configurable(
    api: httpx.Client, admin: TwinAdmin, hidden: str, by_id: int, in_listing: bool
) -> None:
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    admin.configure(out_of_stock_hidden=hidden, page_size=1000)
    assert api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["total"] == by_id
    listed = {d["id"] for d in api.get("/products").json()["docs"]}
    assert (SANDBOX_PRODUCT in listed) is in_listing


def test_the_answer_to_a_bad_query_is_configurable(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(export_errors={"bad_query": [422, "Q01", "Bad query: {reason}"]})
    assert answer(api.get("/products", params={"page": 0})) == (
        422,
        error("Q01", "Bad query: page must be between 1 and 500"),
    )
    assert answer(api.get("/products", params={"minQty": "x"})) == (
        422,
        error("Q01", "Bad query: minQty must be an integer"),
    )
    assert answer(api.get("/products", params={"id": "x"})) == (
        400,
        error("BR04", "Product ID is not valid"),
    )


@pytest.mark.parametrize("call", ["details", "key"])
def test_the_answer_to_a_non_numeric_order_id_is_configurable(
    api: httpx.Client, admin: TwinAdmin, call: str
) -> None:
    assert answer(api.get(f"/order/{call}/abc")) == (404, error("ORD02", "Order not found"))
    admin.configure(export_errors={"order_id_not_numeric": [400, "ORD00", "Order id not valid"]})
    assert answer(api.get(f"/order/{call}/abc")) == (400, error("ORD00", "Order id not valid"))
    assert answer(api.get(f"/order/{call}/99")) == (404, error("ORD02", "Order not found"))


def test_the_answer_to_get_product_by_path_is_configurable(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    path = f"/products/{SANDBOX_PRODUCT}"
    assert answer(api.get(path)) == (404, error("NOT_FOUND", "No such endpoint"))
    admin.configure(export_errors={"product_path": [404, "PRD01", "Product not found"]})
    assert answer(api.get(path)) == (404, error("PRD01", "Product not found"))
    assert answer(api.post(path)) == (404, error("PRD01", "Product not found"))
    assert answer(api.get("/nothing")) == (404, error("NOT_FOUND", "No such endpoint"))


def test_authorization_case_sensitivity_is_configurable(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    upper = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY.upper()}"}
    lower = {"Authorization": f"{SANDBOX_API_HASH.lower()}, {SANDBOX_API_KEY}"}
    refused = (401, error("AUTH02", "Wrong Authorization header"))
    assert answer(api.get("/products", headers=upper)) == refused
    admin.configure(export_auth_case_sensitive=False)
    assert api.get("/products", headers=upper).status_code == 200
    assert api.get("/products", headers=lower).status_code == 200
    admin.configure(export_auth_case_sensitive=True)
    assert answer(api.get("/products", headers=lower)) == refused


def test_a_lapsed_order_shows_the_lapsed_word(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(reservation_seconds=0.05)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    time.sleep(0.1)
    assert api.get(f"/order/details/{order_id}").json()["status"] == "new"
    admin.configure(status_words={"lapsed": "expired"})
    details = api.get(f"/order/details/{order_id}").json()
    assert details == {"status": "expired", "price": details["price"], "currency": "EUR"}


def test_status_words_refuse_an_unknown_state(admin: TwinAdmin, anon: httpx.Client) -> None:
    refused = anon.put("/__twin/config", json={"status_words": {"cancelled": "cancelled"}})
    assert answer(refused) == (
        400,
        {"error": "unknown status_words key(s): cancelled (known: new, paid, complete, lapsed)"},
    )
    assert admin.config()["status_words"]["new"] == "new"


def test_a_null_currency_is_eur(api: httpx.Client) -> None:
    created = api.post("/order", json={"product_id": SANDBOX_PRODUCT, "currency": None})
    assert (created.status_code, created.json()["currency"]) == (200, "EUR")


def test_a_lower_case_currency_is_a_currency_not_supported(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    body = {"product_id": SANDBOX_PRODUCT, "currency": "eur"}
    assert answer(api.post("/order", json=body)) == (
        400,
        error("BR02", "Currency is not supported"),
    )
    admin.configure(order_errors={"currency_not_supported": [422, "CUR01", "No such currency"]})
    assert answer(api.post("/order", json=body)) == (422, error("CUR01", "No such currency"))
    assert admin.orders() == []


# Import API --------------------------------------------------------------------------------
def test_the_oauth_client_secret_may_be_the_api_secret(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    with_secret = {**FORM, "client_secret": SANDBOX_API_SECRET}
    refused = (
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed"},
    )
    assert answer(root.post("/oauth/token", data=with_secret)) == refused
    admin.configure(oauth_client_secret="api_secret")
    assert root.post("/oauth/token", data=with_secret).status_code == 200
    assert answer(root.post("/oauth/token", data=FORM)) == refused


@pytest.mark.parametrize("status", [200, 201])
def test_the_status_of_an_accepted_offer_change_is_configurable(
    root: httpx.Client, admin: TwinAdmin, status: int
) -> None:
    admin.configure(offer_accepted_status=status, job_delay_seconds=0)
    headers = bearer(root)
    created = root.post("/v3/sales/offers", json=OFFER, headers=headers)
    assert created.status_code == status
    offer_id = root.get("/v3/sales/offers", headers=headers).json()["data"][0]["id"]
    patch = {"variant": {"active": False}}
    assert (
        root.patch(f"/v3/sales/offers/{offer_id}", json=patch, headers=headers).status_code
        == status
    )


def test_job_status_words_are_configurable(root: httpx.Client, admin: TwinAdmin) -> None:
    words = {"pending": "queued", "done": "finished", "failed": "rejected"}
    admin.configure(job_delay_seconds=0.2, job_status_words=words)
    headers = bearer(root)
    body = {**OFFER, "variant": {**OFFER["variant"], "productId": UNKNOWN_PRODUCT}}  # type: ignore[dict-item]
    job_id = root.post("/v3/sales/offers", json=body, headers=headers).json()["data"]["jobId"]
    element = {"resourceType": "offer", "code": "", "message": "", "status": "queued"}
    pending = root.get(f"/v3/jobs/{job_id}", headers=headers).json()["data"]
    offer_id = pending["elements"][0]["resourceId"]
    assert pending == {"jobId": job_id, "status": "queued",
                       "elements": [{**element, "resourceId": offer_id}]}  # fmt: skip
    time.sleep(0.3)
    done = root.get(f"/v3/jobs/{job_id}", headers=headers).json()["data"]
    failed = {**element, "resourceId": offer_id, "status": "rejected", "code": "PRODUCT_NOT_FOUND",
              "message": f"Product {UNKNOWN_PRODUCT} does not exist"}  # fmt: skip
    assert done == {"jobId": job_id, "status": "finished", "elements": [failed]}


def test_import_errors_and_their_body_are_configurable(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin
) -> None:
    headers = bearer(root)
    admin.configure(import_errors={"offer_not_found": [410, "GONE", "No such offer"]})
    patch = root.patch("/v3/sales/offers/nope", json={"variant": {}}, headers=headers)
    assert answer(patch) == (410, error("GONE", "No such offer"))

    admin.configure(import_error_body="code_message")
    job = root.get("/v3/jobs/nope", headers=headers)
    assert answer(job) == (404, {"code": "JOB_NOT_FOUND", "message": "Job not found"})
    anonymous = root.get("/v3/sales/offers")
    assert answer(anonymous) == (403, {"code": "AUTH01", "message": "No Authorization header"})
    assert answer(api.get("/order/details/99")) == (404, error("ORD02", "Order not found"))


# fields and query parameters G2A does not document -----------------------------------------
def test_undocumented_order_fields_and_query_parameters_are_ignored_by_default(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    stock = admin.product(SANDBOX_PRODUCT)["qty"]
    ordered = api.post("/order", json={"product_id": SANDBOX_PRODUCT, "maxPrice": 0.01})
    assert ordered.status_code == 200, ordered.text  # the misspelt limit is not applied
    assert admin.product(SANDBOX_PRODUCT)["qty"] == stock - 1
    listed = api.get("/products", params={"id": SANDBOX_PRODUCT, "minqty": 10**6})
    assert (listed.status_code, listed.json()["total"]) == (200, 1)


def test_undocumented_order_fields_and_query_parameters_are_refused_when_configured(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(unknown_fields_refused=True)
    stock = admin.product(SANDBOX_PRODUCT)["qty"]
    body = {"product_id": SANDBOX_PRODUCT, "maxPrice": 0.01, "max_price": 100, "note": "x"}
    assert answer(api.post("/order", json=body)) == (
        400,
        error("BR02", "unknown field(s): maxPrice, note"),
    )
    assert admin.product(SANDBOX_PRODUCT)["qty"] == stock  # nothing was reserved
    query = {"id": SANDBOX_PRODUCT, "minqty": 10**6, "page": 1}
    assert answer(api.get("/products", params=query)) == (
        400,
        error("BR02", "unknown query parameter(s): minqty"),
    )
    documented = {"id": SANDBOX_PRODUCT, "page": 1, "minQty": 0, "includeOutOfStock": "true",
                  "minPriceFrom": 0, "minPriceTo": 10**6, "updatedAtFrom": "2000-01-01 00:00:00",
                  "updatedAtTo": "2100-01-01 00:00:00"}  # fmt: skip
    assert api.get("/products", params=documented).json()["total"] == 1
    order = {"product_id": SANDBOX_PRODUCT, "currency": "EUR", "max_price": 0, "min_rating": 0}
    assert api.post("/order", json=order).status_code == 200
