"""What G2A does not publish about its Import API is a registered setting: the twin's default
answer, and its answer once configured, exactly (status and body)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from test_twin_import_api import FORM, OFFER, bearer, wait_job
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, RunningTwin, TwinAdmin

UNKNOWN_PRODUCT = "10000000000099"
UNKNOWN_OFFER = {**OFFER, "variant": {**OFFER["variant"], "productId": UNKNOWN_PRODUCT}}  # type: ignore[dict-item]
BAD_SECRET = {**FORM, "client_secret": "nope"}


def answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


# the offer body ----------------------------------------------------------------------------
def test_the_offer_body_is_checked_by_default(root: httpx.Client) -> None:
    body = {"offerType": "dropshipping", "variant": {"productId": SANDBOX_PRODUCT}}
    refused = root.post("/v3/sales/offers", json=body, headers=bearer(root))
    assert answer(refused) == (400, error("BR02", "variant.price is required"))


def test_an_unchecked_offer_body_keeps_only_the_fields_that_fit(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(offer_body_checked=False, job_delay_seconds=0)
    headers = bearer(root)
    variant = {"productId": SANDBOX_PRODUCT, "price": {"retail": -1}, "inventory": {"size": 3},
               "visibility": "nowhere", "active": "yes"}  # fmt: skip
    body = {"offerType": 7, "colour": "red", "variant": variant}
    created = root.post("/v3/sales/offers", json=body, headers=headers)
    assert created.status_code == 202
    [element] = wait_job(root, headers, created.json()["data"]["jobId"])["elements"]  # type: ignore[misc]
    assert (element["status"], element["code"]) == ("done", "")
    [offer] = root.get("/v3/sales/offers", headers=headers).json()["data"]
    assert {k: v for k, v in offer.items() if k not in {"createdAt", "updatedAt"}} == {
        "id": element["resourceId"],
        "product": {"id": SANDBOX_PRODUCT, "name": offer["product"]["name"]},
        "inventory": {"size": 3, "sold": 0},
        "visibility": "retail",
        "status": "active",
    }
    empty = root.post("/v3/sales/offers", json={}, headers=headers)
    assert empty.status_code == 202
    not_an_object = root.post("/v3/sales/offers", json=[], headers=headers)
    assert answer(not_an_object) == (400, error("BR02", "The body must be a JSON object"))


# an offer of an unknown product ------------------------------------------------------------
def test_an_unknown_product_fails_the_job_by_default_with_its_configured_code(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    errors = {"product_not_found": [422, "P404", "No {product_id}"]}
    admin.configure(job_delay_seconds=0, import_errors=errors)
    headers = bearer(root)
    created = root.post("/v3/sales/offers", json=UNKNOWN_OFFER, headers=headers)
    assert created.status_code == 202
    [element] = wait_job(root, headers, created.json()["data"]["jobId"])["elements"]  # type: ignore[misc]
    assert (element["status"], element["code"], element["message"]) == (
        "failed", "P404", f"No {UNKNOWN_PRODUCT}"
    )  # fmt: skip


def test_an_unknown_product_may_refuse_the_request(root: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(offer_unknown_product="request", job_delay_seconds=0)
    headers = bearer(root)
    refused = root.post("/v3/sales/offers", json=UNKNOWN_OFFER, headers=headers)
    assert answer(refused) == (
        404,
        error("PRODUCT_NOT_FOUND", f"Product {UNKNOWN_PRODUCT} does not exist"),
    )
    assert admin.jobs() == []
    created = root.post("/v3/sales/offers", json=OFFER, headers=headers)
    [element] = wait_job(root, headers, created.json()["data"]["jobId"])["elements"]  # type: ignore[misc]
    patch = {"variant": {"productId": UNKNOWN_PRODUCT}}
    refused = root.patch(f"/v3/sales/offers/{element['resourceId']}", json=patch, headers=headers)
    assert answer(refused) == (
        404,
        error("PRODUCT_NOT_FOUND", f"Product {UNKNOWN_PRODUCT} does not exist"),
    )


# the Export API's codes the Import API reuses ------------------------------------------------
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
BAD_ID_OFFER = {**OFFER, "variant": {**OFFER["variant"], "productId": "abc"}}  # type: ignore[dict-item]
REUSED = {  # situation: (the call, as root.request's arguments; the default answer)
    "token_invalid": (
        ("GET", "/v3/sales/offers", {"headers": {"Authorization": "Bearer nope"}}),
        (401, error("AUTH02", "Access token is invalid or expired")),
    ),
    "body_not_json": (
        ("POST", "/v3/sales/offers", {"content": b"{", "headers": JSON}),
        (400, error("BR01", "Invalid JSON")),
    ),
    "invalid_data": (
        ("GET", "/v3/sales/offers", {"params": {"itemsPerPage": 0}}),
        (400, error("BR02", "page >= 1 and itemsPerPage 1..100")),
    ),
    "product_id_not_valid": (
        ("POST", "/v3/sales/offers", {"json": BAD_ID_OFFER}),
        (400, error("BR04", "Product ID is not valid")),
    ),
    "content_type_required": (
        ("POST", "/v3/sales/offers", {"content": json.dumps(OFFER).encode(), "headers": TEXT}),
        (400, error("BR01", "Content-Type must be application/json")),
    ),
}


def ask(root: httpx.Client, call: tuple[str, str, dict[str, Any]]) -> httpx.Response:
    """`call` as the sandbox account (a bearer token unless it sends its own)."""
    method, path, kwargs = call
    headers = {**bearer(root), **kwargs.get("headers", {})}
    return root.request(method, path, **{**kwargs, "headers": headers})


@pytest.mark.parametrize("situation", REUSED)
def test_the_export_codes_the_import_api_reuses_are_its_defaults(
    root: httpx.Client, situation: str
) -> None:
    call, default = REUSED[situation]
    assert answer(ask(root, call)) == default


@pytest.mark.parametrize("situation", REUSED)
def test_the_import_apis_reused_codes_are_configurable(
    root: httpx.Client, api: httpx.Client, anon: httpx.Client, admin: TwinAdmin, situation: str
) -> None:
    admin.configure(import_errors={situation: [422, "X1", "Refused"]})
    call, (status, body) = REUSED[situation]
    assert answer(ask(root, call)) == (422, error("X1", "Refused"))
    [entry] = [e for e in anon.get("/__twin/assumptions").json()
               if e["setting"] == f"import_errors.{situation}"]  # fmt: skip
    assert (entry["value"], entry["default"][:2]) == (
        [422, "X1", "Refused"],
        [status, body["code"]],
    )
    export = api.get("/products", params={"page": 0})  # the Export API keeps its codes
    assert answer(export) == (400, error("BR02", "page must be between 1 and 500"))


def test_the_export_apis_content_type_refusal_keeps_its_order_errors_setting(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(order_errors={"content_type_required": [415, "O1", "Orders want JSON"]})
    call, default = REUSED["content_type_required"]
    assert answer(ask(root, call)) == default
    body = json.dumps({"product_id": SANDBOX_PRODUCT}).encode()
    order = api.post("/order", content=body, headers=TEXT)
    assert answer(order) == (415, error("O1", "Orders want JSON"))


def test_a_configured_invalid_data_message_says_what_was_wrong_in_place_of_reason(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(import_errors={"invalid_data": [422, "X1", "Refused: {reason}"]})
    call, _ = REUSED["invalid_data"]
    refused = error("X1", "Refused: page >= 1 and itemsPerPage 1..100")
    assert answer(ask(root, call)) == (422, refused)


def test_the_import_apis_rate_limit_code_is_configurable(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin
) -> None:
    headers = bearer(root)
    admin.configure(rate_limit=1, rate_window_seconds=30,
                    import_errors={"rate_limited": [503, "SLOW", "Slow down"]})  # fmt: skip
    assert root.get("/v3/sales/offers", headers=headers).status_code == 200
    limited = root.get("/v3/sales/offers", headers=headers)
    assert (limited.status_code, limited.headers["retry-after"], limited.json()) == (
        503, "30", error("SLOW", "Slow down")
    )  # fmt: skip
    assert answer(api.get("/products")) == (429, error("BR03", "Too many requests"))


# AUTH01 ------------------------------------------------------------------------------------
def test_the_status_of_a_missing_authorization_is_configurable(
    root: httpx.Client, twin: RunningTwin, admin: TwinAdmin
) -> None:
    missing = error("AUTH01", "No Authorization header")
    assert answer(root.get("/v3/sales/offers")) == (403, missing)
    admin.configure(auth01_status=400)
    assert answer(root.get("/v3/sales/offers")) == (400, missing)
    assert answer(httpx.get(f"{twin.export_url}/products")) == (400, missing)


# the token endpoint ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "body"),
    [
        ("rfc6749", {"error": "invalid_client",
                     "error_description": "Client authentication failed"}),
        ("envelope", error("invalid_client", "Client authentication failed")),
        ("code_message", {"code": "invalid_client", "message": "Client authentication failed"}),
    ],
)  # fmt: skip
def test_the_token_error_body_is_configurable(
    root: httpx.Client, admin: TwinAdmin, shape: str, body: dict[str, str]
) -> None:
    admin.configure(token_error_body=shape)
    assert answer(root.post("/oauth/token", data=BAD_SECRET)) == (401, body)


def test_a_token_form_must_be_sent_as_a_form_unless_configured(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    form, headers = urlencode(FORM), {"Content-Type": "application/json"}
    assert answer(root.post("/oauth/token", content=form, headers=headers)) == (
        400,
        {"error": "invalid_request", "error_description": "The body must be a form"},
    )
    assert root.post("/oauth/token", data=FORM).status_code == 200
    admin.configure(token_any_content_type=True)
    assert root.post("/oauth/token", content=form, headers=headers).status_code == 200


def test_basic_client_authentication_is_ignored_unless_configured(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    form, client = {"grant_type": "client_credentials"}, (SANDBOX_API_HASH, SANDBOX_API_KEY)
    assert answer(root.post("/oauth/token", data=form, auth=client)) == (
        400,
        {"error": "invalid_request",
         "error_description": "client_id and client_secret are required"},
    )  # fmt: skip
    admin.configure(token_basic_auth=True)
    assert root.post("/oauth/token", data=form, auth=client).status_code == 200


# rate limit and paging ---------------------------------------------------------------------
@pytest.mark.parametrize(("scope", "import_status"), [("account", 429), ("api", 200)])
def test_the_rate_limit_budget_is_shared_by_both_apis_unless_configured(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin, scope: str, import_status: int
) -> None:
    headers = bearer(root)
    admin.configure(rate_limit=1, rate_window_seconds=30, rate_limit_scope=scope)
    assert api.get("/products").status_code == 200
    assert root.get("/v3/sales/offers", headers=headers).status_code == import_status
    limited = root.get("/v3/sales/offers", headers=headers)
    assert answer(limited) == (429, error("BR03", "Too many requests"))
    assert answer(api.get("/products")) == (429, error("BR03", "Too many requests"))


def test_token_requests_spend_no_budget_by_default(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(rate_limit=1, rate_window_seconds=30)
    for _ in range(3):
        assert root.post("/oauth/token", data=FORM).status_code == 200
    assert api.get("/products").status_code == 200


@pytest.mark.parametrize(("scope", "export_status"), [("account", 429), ("api", 200)])
def test_token_requests_spend_their_accounts_import_budget_when_configured(
    root: httpx.Client, api: httpx.Client, admin: TwinAdmin, scope: str, export_status: int
) -> None:
    admin.configure(
        rate_limit=1, rate_window_seconds=30, rate_limit_scope=scope, token_rate_limited=True
    )
    assert root.post("/oauth/token", data=BAD_SECRET).status_code == 401  # spends nothing
    assert root.post("/oauth/token", data=FORM).status_code == 200
    limited = root.post("/oauth/token", data=FORM)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")
    assert limited.json() == {"error": "BR03", "error_description": "Too many requests"}
    assert api.get("/products").status_code == export_status


def test_the_default_offers_page_size_is_configurable(root: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(job_delay_seconds=0, offers_page_size=2)
    headers = bearer(root)
    for _ in range(3):
        root.post("/v3/sales/offers", json=OFFER, headers=headers)
    listing = root.get("/v3/sales/offers", headers=headers).json()
    assert (len(listing["data"]), listing["meta"]) == (
        2,
        {"page": 1, "itemsPerPage": 2, "totalResults": 3},
    )
    asked = root.get("/v3/sales/offers", params={"itemsPerPage": 3}, headers=headers).json()
    assert (len(asked["data"]), asked["meta"]["itemsPerPage"]) == (3, 3)


def test_a_wrong_method_on_the_token_endpoint_answers_in_the_token_error_body(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(token_error_body="rfc6749")
    refused = root.get("/oauth/token")
    assert (refused.status_code, refused.headers["allow"], refused.json()) == (
        405, "POST", {"error": "METHOD_NOT_ALLOWED", "error_description": "Method not allowed"}
    )  # fmt: skip
