"""Edges where the twin used to be laxer than the documents say G2A is: what an account may
see, a reservation that lapses, request bodies and parameters that only look right."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from test_twin_import_api import FORM, OFFER, bearer, wait_job
from twin_support import SANDBOX_PRODUCT, assumed, error

from g2a_adapter.wire import derive_api_key
from harness.twin import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_EMAIL,
    RunningTwin,
    TwinAdmin,
)
from harness.twin.assumptions import IMPORT_ERRORS

OTHER = ("otherHash", "qa@example.com", "s3cret")
OTHER_KEY = derive_api_key(*OTHER)


@pytest.fixture
def other_account(admin: TwinAdmin) -> None:
    """A second credential set beside the sandbox one."""
    sandbox = {
        "api_hash": SANDBOX_API_HASH,
        "email": SANDBOX_EMAIL,
        "api_secret": SANDBOX_API_SECRET,
    }
    other = dict(zip(("api_hash", "email", "api_secret"), OTHER, strict=True))
    admin.configure(credentials=[sandbox, other])


@pytest.fixture
def other_export(twin: RunningTwin, other_account: None) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"{OTHER[0]}, {OTHER_KEY}"}
    with httpx.Client(base_url=twin.export_url, headers=headers, timeout=5) as client:
        yield client


def bearer_for(root: httpx.Client, client_id: str, secret: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = root.post("/oauth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_account_never_sees_or_uses_another_accounts_order(
    api: httpx.Client, other_export: httpx.Client, admin: TwinAdmin
) -> None:
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    unknown = (404, error("ORD02", "Order not found"))
    for method, path in [
        ("GET", f"/order/details/{order_id}"),
        ("PUT", f"/order/pay/{order_id}"),
        ("GET", f"/order/key/{order_id}"),
    ]:
        response = other_export.request(method, path)
        assert (response.status_code, response.json()) == unknown, (method, path)
    assert admin.order(order_id)["paid_at"] is None  # nothing happened to it
    assert api.put(f"/order/pay/{order_id}").status_code == 200  # its own account still can
    assert api.get(f"/order/key/{order_id}").status_code == 200


def test_each_account_pays_from_its_own_wallet(
    api: httpx.Client, other_export: httpx.Client, admin: TwinAdmin
) -> None:
    """One G2A Pay balance per account: another account's spending never refuses a payment."""
    mine = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()
    theirs = other_export.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()
    admin.configure(wallet_balance=mine["price"])  # enough for one order, in each wallet
    assert api.put(f"/order/pay/{mine['order_id']}").status_code == 200
    assert other_export.put(f"/order/pay/{theirs['order_id']}").status_code == 200
    another = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()
    refused = api.put(f"/order/pay/{another['order_id']}")
    assert (refused.status_code, refused.json()["code"]) == (403, "ORD112")  # its own is spent


def test_an_account_never_sees_or_changes_another_accounts_offers_and_jobs(
    root: httpx.Client, other_account: None
) -> None:
    mine = bearer_for(root, SANDBOX_API_HASH, FORM["client_secret"])
    theirs = bearer_for(root, OTHER[0], OTHER_KEY)
    job_id = root.post("/v3/sales/offers", json=OFFER, headers=mine).json()["data"]["jobId"]
    offer_id = wait_job(root, mine, job_id)["elements"][0]["resourceId"]  # type: ignore[index]

    listed = root.get("/v3/sales/offers", headers=theirs).json()
    assert (listed["data"], listed["meta"]["totalResults"]) == ([], 0)
    job = root.get(f"/v3/jobs/{job_id}", headers=theirs)
    assert (job.status_code, job.json()["code"]) == (404, "JOB_NOT_FOUND")
    patch = {"variant": {"price": {"retail": "1.00"}}}
    changed = root.patch(f"/v3/sales/offers/{offer_id}", json=patch, headers=theirs)
    assert (changed.status_code, changed.json()["code"]) == (404, "OFFER_NOT_FOUND")

    own = root.get("/v3/sales/offers", headers=mine).json()["data"]
    assert [(o["id"], o["price"]) for o in own] == [(offer_id, {"retail": "12.50"})]


def order_of_the_last_unit(api: httpx.Client, admin: TwinAdmin) -> str:
    """An order reserving the product's only unit, under a 50 ms reservation."""
    admin.update_product(SANDBOX_PRODUCT, qty=1)
    admin.configure(reservation_seconds=0.05)
    order_id: str = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    return order_id


def test_a_lapsed_reservation_gives_its_unit_back_and_stays_unpayable(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    order_id = order_of_the_last_unit(api, admin)
    assert admin.product(SANDBOX_PRODUCT)["qty"] == 0
    assert api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["code"] == "ORD07"
    time.sleep(0.1)

    listed = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["docs"]
    assert [d["qty"] for d in listed] == [1]  # back in stock once the reservation lapsed
    admin.configure(reservation_seconds=3600)  # a longer reservation does not revive it
    late = api.put(f"/order/pay/{order_id}")
    assert (late.status_code, late.json()) == (403, error("ORD114", "Payment too late"))
    again = api.post("/order", json={"product_id": SANDBOX_PRODUCT})
    assert again.status_code == 200
    assert admin.product(SANDBOX_PRODUCT)["qty"] == 0  # the unit was given back once only


def test_a_paid_order_keeps_its_unit_after_the_reservation_time(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    order_id = order_of_the_last_unit(api, admin)
    assert api.put(f"/order/pay/{order_id}").status_code == 200
    time.sleep(0.1)
    [product] = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["docs"]
    assert product["qty"] == 0


@pytest.mark.parametrize(
    "content_type", ["application/jsonx", "application/json-patch+json", "text/plain"]
)
def test_an_order_needs_exactly_the_json_media_type(
    api: httpx.Client, admin: TwinAdmin, content_type: str
) -> None:
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    body = b'{"product_id": "%s"}' % SANDBOX_PRODUCT.encode()
    response = api.post("/order", content=body, headers={"Content-Type": content_type})
    assert (response.status_code, response.json()) == assumed("content_type_required")
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty
    charset = {"Content-Type": "Application/JSON; charset=utf-8"}
    assert api.post("/order", content=body, headers=charset).status_code == 200


@pytest.mark.parametrize("body", [b" ", b"\n", b"  \r\n"])
def test_pay_refuses_a_body_of_whitespace_too(
    api: httpx.Client, admin: TwinAdmin, body: bytes
) -> None:
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    response = api.put(f"/order/pay/{order_id}", content=body)
    assert (response.status_code, response.json()) == assumed("body_on_pay")
    assert admin.order(order_id)["paid_at"] is None


def test_max_price_has_no_upper_bound(api: httpx.Client) -> None:
    created = api.post("/order", json={"product_id": SANDBOX_PRODUCT, "max_price": 2e9})
    assert created.status_code == 200


@pytest.mark.parametrize("max_price", ["1" + "0" * 400, "1e400"], ids=["401 digits", "1e400"])
def test_a_max_price_no_float_holds_is_br02_and_reserves_nothing(
    api: httpx.Client, admin: TwinAdmin, max_price: str
) -> None:
    """As the `minPriceFrom` filter refuses it: an integer of 401 digits answered 500, and
    `1e400` (read as infinity) was taken as no limit."""
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    response = api.post(
        "/order",
        content=f'{{"product_id": "{SANDBOX_PRODUCT}", "max_price": {max_price}}}',
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (
        400,
        error("BR02", "max_price must be a number"),
    )
    assert (admin.product(SANDBOX_PRODUCT)["qty"], admin.orders()) == (qty, [])


@pytest.mark.parametrize(
    "authorization",
    ["Basic \u00e9\u00e9\u00e9\u00e9", "Basic not-base64!", "Basic //79"],  # //79: not UTF-8
)
def test_a_basic_header_that_is_not_base64_utf8_is_invalid_client(
    twin: RunningTwin, authorization: str
) -> None:
    twin.admin.configure(token_basic_auth=True)
    response = httpx.post(
        f"{twin.import_url}/oauth/token",
        content=b"grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": authorization.encode("latin-1"),  # type: ignore[dict-item]
        },
        timeout=5,
    )
    assert (response.status_code, response.json()) == (
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed"},
    )


def test_two_basic_headers_are_invalid_client(twin: RunningTwin) -> None:
    """Of two client credentials in two Authorization headers, the last was taken."""
    twin.admin.configure(token_basic_auth=True)
    basic = "Basic " + base64.b64encode(f"{SANDBOX_API_HASH}:{SANDBOX_API_KEY}".encode()).decode()
    response = httpx.post(
        f"{twin.import_url}/oauth/token",
        content=b"grant_type=client_credentials",
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", basic),
            ("Authorization", basic),
        ],
        timeout=5,
    )
    assert (response.status_code, response.json()) == (
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed"},
    )


def test_two_bearer_headers_are_a_token_refusal(root: httpx.Client) -> None:
    """Of two tokens in two Authorization headers, the last was taken."""
    (header,) = bearer(root).items()
    response = root.get("/v3/sales/offers", headers=[header, header])
    assert (response.status_code, response.json()) == (
        401,
        error("AUTH02", "Access token is invalid or expired"),
    )
    assert root.get("/v3/sales/offers", headers=[header]).status_code == 200


@pytest.mark.parametrize("body", [b'{"grant_type": "client_credentials"}', b""])
def test_a_token_request_without_a_grant_type_is_invalid_request(
    root: httpx.Client, body: bytes
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = root.post("/oauth/token", content=body, headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_request", "error_description": "grant_type is required"},
    )


@pytest.mark.parametrize("retail", ["5_0", "1e2", " 7 ", "+3", "\u0663", "0", "0.00", "-1"])
def test_an_offer_price_must_be_written_as_the_openapi_pattern_says(
    root: httpx.Client, retail: str
) -> None:
    headers = bearer_for(root, SANDBOX_API_HASH, FORM["client_secret"])
    offer = {**OFFER, "variant": {**OFFER["variant"], "price": {"retail": retail}}}  # type: ignore[dict-item]
    response = root.post("/v3/sales/offers", json=offer, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "BR02"), retail


@pytest.mark.parametrize(
    ("retail", "shown"), [(0.004, "0.004"), ("0.5", "0.50"), (12, "12.00"), ("9.999", "9.999")]
)
def test_an_offer_price_shows_two_decimals_or_all_it_has(
    root: httpx.Client, retail: object, shown: str
) -> None:
    headers = bearer_for(root, SANDBOX_API_HASH, FORM["client_secret"])
    offer = {**OFFER, "variant": {**OFFER["variant"], "price": {"retail": retail}}}  # type: ignore[dict-item]
    job_id = root.post("/v3/sales/offers", json=offer, headers=headers).json()["data"]["jobId"]
    offer_id = wait_job(root, headers, job_id)["elements"][0]["resourceId"]  # type: ignore[index]
    offers = root.get("/v3/sales/offers", headers=headers).json()["data"]
    assert {o["id"]: o["price"]["retail"] for o in offers}[offer_id] == shown


@pytest.mark.parametrize("params", [{"page": "1_0"}, {"itemsPerPage": " 5"}, {"page": "+1"}])
def test_offer_pages_are_plain_integers(root: httpx.Client, params: dict[str, str]) -> None:
    headers = bearer_for(root, SANDBOX_API_HASH, FORM["client_secret"])
    response = root.get("/v3/sales/offers", params=params, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "BR02")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_an_offer_create_or_update_needs_the_json_media_type(
    root: httpx.Client, admin: TwinAdmin, content_type: str
) -> None:
    """As an order's create: a JSON body labelled as something else is refused before any job
    starts, on the create and on the update."""
    admin.configure(job_delay_seconds=0)
    headers = bearer(root)
    created = root.post("/v3/sales/offers", json=OFFER, headers=headers)
    [element] = wait_job(root, headers, created.json()["data"]["jobId"])["elements"]  # type: ignore[misc]
    labelled = {**headers, "Content-Type": content_type}
    body = json.dumps(OFFER).encode()
    patch = json.dumps({"variant": {"active": False}}).encode()

    create = root.post("/v3/sales/offers", content=body, headers=labelled)
    update = root.patch(
        f"/v3/sales/offers/{element['resourceId']}", content=patch, headers=labelled
    )

    refused = assumed("content_type_required", IMPORT_ERRORS)
    assert (create.status_code, create.json()) == refused
    assert (update.status_code, update.json()) == refused
    assert len(admin.jobs()) == 1  # only the first, JSON-labelled create
    [offer] = root.get("/v3/sales/offers", headers=headers).json()["data"]
    assert offer["status"] == "active"


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_json_without_a_number_for_infinity_or_nan_is_br01(
    api: httpx.Client, root: httpx.Client, admin: TwinAdmin, constant: str
) -> None:
    """JavaScript's constants are not JSON: G2A's parser refuses them, as the admin does."""
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    body = f'{{"product_id": "{SANDBOX_PRODUCT}", "max_price": {constant}}}'
    order = api.post("/order", content=body, headers={"Content-Type": "application/json"})
    assert (order.status_code, order.json()) == (400, error("BR01", "Invalid JSON"))
    assert (admin.product(SANDBOX_PRODUCT)["qty"], admin.orders()) == (qty, [])

    offer = json.dumps(OFFER).replace('"12.50"', constant)
    headers = {**bearer(root), "Content-Type": "application/json"}
    created = root.post("/v3/sales/offers", content=offer, headers=headers)
    assert (created.status_code, created.json()) == (400, error("BR01", "Invalid JSON"))

    patched = httpx.patch(f"{admin.base_url}/__twin/catalog/{SANDBOX_PRODUCT}",
                          content=f'{{"qty": 5, "rating": {constant}}}')  # fmt: skip
    assert (patched.status_code, patched.json()) == (400, {"error": "body is not valid JSON"})
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty
