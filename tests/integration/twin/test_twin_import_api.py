"""Import API: OAuth tokens that really expire, offers, and jobs that finish later."""

from __future__ import annotations

import base64
import json
import logging
import time
from urllib.parse import quote

import httpx
import pytest
from twin_support import error as g2a_error

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, TwinAdmin

FORM = {"grant_type": "client_credentials", "client_id": SANDBOX_API_HASH,
        "client_secret": SANDBOX_API_KEY}  # fmt: skip
OFFER = {
    "offerType": "dropshipping",
    "variant": {
        "productId": "10000068865001",
        "price": {"retail": "12.50"},
        "inventory": {"size": 5},
        "active": True,
        "visibility": "retail",
    },
}


def token(root: httpx.Client) -> str:
    response = root.post("/oauth/token", data=FORM)
    assert response.status_code == 200
    return str(response.json()["access_token"])


def bearer(root: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(root)}"}


def wait_job(root: httpx.Client, headers: dict[str, str], job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        data: dict[str, object] = root.get(f"/v3/jobs/{job_id}", headers=headers).json()["data"]
        if data["status"] == "done":
            return data
        time.sleep(0.05)
    raise AssertionError("job never finished")


def test_token_answer_and_form_body(root: httpx.Client, admin: TwinAdmin) -> None:
    response = root.post("/oauth/token", data=FORM)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 300)
    [record] = admin.requests(path="/oauth/token")
    assert record["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert "client_secret=***" in record["body"]
    assert SANDBOX_API_KEY not in record["body"]


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        ({**FORM, "client_secret": "nope"}, 401, "invalid_client", "Client authentication failed"),
        ({**FORM, "client_id": "someone"}, 401, "invalid_client", "Client authentication failed"),
        (
            {**FORM, "grant_type": "password"},
            400,
            "unsupported_grant_type",
            "Only client_credentials is supported",
        ),
        (
            {"grant_type": "client_credentials"},
            400,
            "invalid_request",
            "client_id and client_secret are required",
        ),
    ],
)
def test_token_errors(
    root: httpx.Client, form: dict[str, str], status: int, error: str, description: str
) -> None:
    response = root.post("/oauth/token", data=form)
    assert (response.status_code, response.json()) == (
        status,
        {"error": error, "error_description": description},
    )


def test_tokens_really_expire(root: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(token_ttl_seconds=1)
    headers = bearer(root)
    assert root.post("/oauth/token", data=FORM).json()["expires_in"] == 1
    assert root.get("/v3/sales/offers", headers=headers).status_code == 200
    time.sleep(1.05)
    expired = root.get("/v3/sales/offers", headers=headers)
    assert (expired.status_code, expired.json()) == (
        401,
        g2a_error("AUTH02", "Access token is invalid or expired"),
    )
    assert root.get("/v3/sales/offers", headers=bearer(root)).status_code == 200


def test_v3_needs_a_bearer_token(root: httpx.Client) -> None:
    anonymous = root.get("/v3/sales/offers")
    assert (anonymous.status_code, anonymous.json()) == (
        403,
        g2a_error("AUTH01", "No Authorization header"),
    )
    bad = root.get("/v3/sales/offers", headers={"Authorization": "Bearer forged"})
    assert (bad.status_code, bad.json()) == (
        401,
        g2a_error("AUTH02", "Access token is invalid or expired"),
    )
    export_style = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}
    assert root.get("/v3/sales/offers", headers=export_style).status_code == 401


def test_offer_create_job_then_list_then_update(root: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(job_delay_seconds=0.2)
    headers = bearer(root)
    created = root.post("/v3/sales/offers", json=OFFER, headers=headers)
    assert created.status_code == 202
    job_id = created.json()["data"]["jobId"]
    pending = root.get(f"/v3/jobs/{job_id}", headers=headers).json()["data"]
    assert pending["status"] == "pending"
    assert root.get("/v3/sales/offers", headers=headers).json()["meta"]["totalResults"] == 0

    done = wait_job(root, headers, job_id)
    [element] = done["elements"]  # type: ignore[misc]
    assert (element["resourceType"], element["status"], element["code"]) == ("offer", "done", "")
    listing = root.get("/v3/sales/offers", headers=headers).json()
    assert listing["meta"] == {"page": 1, "itemsPerPage": 20, "totalResults": 1}
    [offer] = listing["data"]
    assert offer["id"] == element["resourceId"]
    assert offer["product"]["id"] == "10000068865001"
    assert (offer["price"], offer["inventory"], offer["status"]) == (
        {"retail": "12.50"}, {"size": 5, "sold": 0}, "active"
    )  # fmt: skip

    patch = {"variant": {"price": {"retail": 11}, "active": False}}
    updated = root.patch(f"/v3/sales/offers/{offer['id']}", json=patch, headers=headers)
    assert updated.status_code == 202
    wait_job(root, headers, updated.json()["data"]["jobId"])
    [after] = root.get("/v3/sales/offers", headers=headers).json()["data"]
    assert (after["price"], after["status"]) == ({"retail": "11.00"}, "inactive")
    assert [j["status"] for j in admin.jobs()] == ["done", "done"]


@pytest.mark.parametrize(
    ("sent", "shown"),
    [(1e22, "10000000000000000000000.00"), (1e300, "1" + "0" * 300 + ".00"),
     ("1.500", "1.50"), (2.5e-7, "0.00000025")],
    ids=["1e22", "1e300", "trailing-zeros", "tiny"],
)  # fmt: skip
def test_an_offer_shows_any_accepted_price_exactly(
    root: httpx.Client, admin: TwinAdmin, sent: float | str, shown: str
) -> None:
    """An accepted price past decimal's 28 digits (1e300) broke every later offer listing with
    a 500 (found by schemathesis at 50 examples)."""
    admin.configure(job_delay_seconds=0)
    headers = bearer(root)
    body = {**OFFER, "variant": {**OFFER["variant"], "price": {"retail": sent}}}  # type: ignore[dict-item]
    created = root.post("/v3/sales/offers", json=body, headers=headers)
    wait_job(root, headers, created.json()["data"]["jobId"])
    listing = root.get("/v3/sales/offers", headers=headers)
    assert listing.status_code == 200
    assert [o["price"] for o in listing.json()["data"]] == [{"retail": shown}]


def test_offer_for_an_unknown_product_fails_in_its_job(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(job_delay_seconds=0)
    headers = bearer(root)
    body = {**OFFER, "variant": {**OFFER["variant"], "productId": "10000000000099"}}  # type: ignore[dict-item]
    job_id = root.post("/v3/sales/offers", json=body, headers=headers).json()["data"]["jobId"]
    [element] = wait_job(root, headers, job_id)["elements"]  # type: ignore[misc]
    assert (element["status"], element["code"]) == ("failed", "PRODUCT_NOT_FOUND")
    assert root.get("/v3/sales/offers", headers=headers).json()["data"] == []


PRICES = "prices must be positive numbers"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{", "BR01", "Invalid JSON"),
        pytest.param(b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "BR01", "Invalid JSON",
                     id="nested-too-deep"),
        pytest.param(json.dumps(OFFER).encode("utf-16"), "BR01", "Invalid JSON", id="utf-16"),
        pytest.param(json.dumps({**OFFER, "note": "\ud800"}).encode(), "BR01", "Invalid JSON",
                     id="a-lone-surrogate-escape"),
        (b"[]", "BR02", "The body must be a JSON object"),
        (b'{"variant": {}}', "BR02", "offerType is required and must be a string"),
        (b'{"offerType": "dropshipping", "variant": {"productId": "x", "price": {"retail": 1}}}',
         "BR04", "Product ID is not valid"),
        (b'{"offerType": "dropshipping", "variant": {"productId": "1", "price": {"retail": -1}}}',
         "BR02", PRICES),
        (b'{"offerType": "dropshipping", "variant": {"productId": "1", "price": {"retail": 1'
         + b"0" * 400 + b"}}}", "BR02", PRICES),  # more than a float holds
        (b'{"offerType": "dropshipping", "variant": {"productId": "1", '
         b'"price": {"retail": "Infinity"}}}', "BR02", PRICES),
        (b'{"offerType": "dropshipping", "variant": {"productId": "1", '
         b'"price": {"retail": "NaN"}}}', "BR02", PRICES),
    ],
)  # fmt: skip
def test_offer_payload_errors(root: httpx.Client, body: bytes, code: str, message: str) -> None:
    headers = {**bearer(root), "Content-Type": "application/json"}
    response = root.post("/v3/sales/offers", content=body, headers=headers)
    assert (response.status_code, response.json()) == (400, g2a_error(code, message))


def test_unknown_offer_and_job(root: httpx.Client) -> None:
    headers = bearer(root)
    patch = root.patch("/v3/sales/offers/nope", json={"variant": {}}, headers=headers)
    assert (patch.status_code, patch.json()) == (
        404,
        g2a_error("OFFER_NOT_FOUND", "Offer not found"),
    )
    job = root.get("/v3/jobs/nope", headers=headers)
    assert (job.status_code, job.json()) == (404, g2a_error("JOB_NOT_FOUND", "Job not found"))


@pytest.mark.parametrize("params", [{"itemsPerPage": 101}, {"itemsPerPage": 0}, {"page": 0}])
def test_offer_paging_limits(root: httpx.Client, params: dict[str, int]) -> None:
    response = root.get("/v3/sales/offers", params=params, headers=bearer(root))
    assert (response.status_code, response.json()) == (
        400,
        g2a_error("BR02", "page >= 1 and itemsPerPage 1..100"),
    )


HASH = SANDBOX_API_HASH
ENCODED_KEY = "".join(f"%{ord(c):02X}" for c in SANDBOX_API_KEY)
ESCAPED_KEY = "".join(f"\\u{ord(c):04x}" for c in SANDBOX_API_KEY)
FORM_TEXT = f"grant_type=client_credentials&client_id={HASH}"


@pytest.mark.parametrize(
    ("path", "query", "body", "content_type", "logged"),
    [
        ("/oauth/token", "", f"{FORM_TEXT}&client_secret={SANDBOX_API_KEY}", "form",
         ("", f"{FORM_TEXT}&client_secret=***")),
        ("/oauth/token", f"{FORM_TEXT}&client_secret={SANDBOX_API_KEY}", "", "form",
         (f"{FORM_TEXT}&client_secret=***", "")),
        ("/oauth/token", "", f"{FORM_TEXT}&client%5Fsecret={SANDBOX_API_KEY}", "form",
         ("", f"{FORM_TEXT}&client%5Fsecret=***")),
        ("/oauth/token", "", f"{FORM_TEXT}&client_secret={ENCODED_KEY}", "form",
         ("", f"{FORM_TEXT}&client_secret=***")),
        ("/oauth/token", f"client%5fsecret={ENCODED_KEY}&x=1", "", "form",
         ("client%5fsecret=***&x=1", "")),
        ("/oauth/token", "", json.dumps({**FORM, "client_secret": SANDBOX_API_KEY}), "json",
         ("", json.dumps({**FORM, "client_secret": "***"}))),
        ("/oauth/token", "", f'{{"client\\u005fsecret": "{ESCAPED_KEY}"}}', "json",
         ("", '{"client_secret": "***"}')),
        ("/v1/products", f"key={SANDBOX_API_KEY}&page=1", "", "form",
         ("key=***&page=1", "")),
        ("/v1/order", "", f'{{"product_id": "1", "notes": ["{SANDBOX_API_KEY}"]}}', "json",
         ("", '{"product_id": "1", "notes": ["***"]}')),
        ("/v1/order", "", f"not json {SANDBOX_API_KEY}", "json", ("", "***")),
    ],
    ids=["form", "query", "encoded-name", "encoded-value", "encoded-query", "json",
         "json-escapes", "key-in-query", "key-in-json", "key-in-text"],
)  # fmt: skip
def test_secrets_never_reach_the_request_log_or_log_lines(
    root: httpx.Client,
    admin: TwinAdmin,
    caplog: pytest.LogCaptureFixture,
    path: str,
    query: str,
    body: str,
    content_type: str,
    logged: tuple[str, str],
) -> None:
    """Masked by the field a parser reads (a percent-encoded name is the name it decodes to),
    and wherever a configured key appears, however it is encoded."""
    caplog.set_level(logging.INFO, logger="harness.twin")
    media = {"form": "application/x-www-form-urlencoded", "json": "application/json"}
    url = f"{path}?{query}" if query else path
    root.post(url, content=body.encode(), headers={"Content-Type": media[content_type]})
    [record] = admin.requests()
    assert (record["query"], record["body"]) == logged
    lines = [r.getMessage() for r in caplog.records if r.name == "harness.twin"]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        f"POST {path}?{logged[0]}" if query else f"POST {path}"
    ]


BASIC = "Basic " + base64.b64encode(f"{HASH}:{SANDBOX_API_KEY}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "body", "logged"),
    [
        ({"X-Upstream-Auth": BASIC}, "", ("Basic ***", "")),
        ({}, json.dumps({"notes": BASIC}), ("", '{"notes": "Basic ***"}')),
        ({}, json.dumps({"notes": f"sent {BASIC};"}), ("", '{"notes": "sent Basic ***;"}')),
        ({"X-Upstream-Auth": quote(BASIC, safe="")}, "", ("***", "")),  # one encoded word
    ],
    ids=["basic-in-a-header", "basic-in-json", "basic-in-json-text", "basic-percent-encoded"],
)  # fmt: skip
def test_a_secret_in_base64_or_encoded_never_reaches_the_request_log(
    root: httpx.Client,
    admin: TwinAdmin,
    headers: dict[str, str],
    body: str,
    logged: tuple[str, str],
) -> None:
    """A configured key in the base64 of an HTTP Basic credential, or percent-encoded, where
    no field name tells it: in a header the twin does not know, or a JSON value."""
    root.post(
        "/v1/order", content=body.encode(), headers={**headers, "Content-Type": "application/json"}
    )
    [record] = admin.requests()
    assert (record["headers"].get("x-upstream-auth", ""), record["body"]) == logged


def test_a_percent_encoded_secret_field_is_read_as_the_field(root: httpx.Client) -> None:
    body = f"{FORM_TEXT}&client%5Fsecret={ENCODED_KEY}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert root.post("/oauth/token", content=body, headers=headers).status_code == 200


def test_a_removed_credential_loses_its_tokens(root: httpx.Client, admin: TwinAdmin) -> None:
    headers = bearer(root)
    admin.configure(credentials=[{"api_hash": "otherHash", "email": "qa@example.com",
                                  "api_secret": "s3cret"}])  # fmt: skip
    refused = root.get("/v3/sales/offers", headers=headers)
    assert (refused.status_code, refused.json()) == (
        401, g2a_error("AUTH02", "Access token is invalid or expired")
    )  # fmt: skip
