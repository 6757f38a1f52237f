"""Consumer pacts of the Import API (OAuth token, offers, jobs), driven through `G2AClient`.

The bearer token of the offers calls is a provider-state value: the verifier obtains a real token
in the state "an access token was issued" and injects it into `Bearer ${access_token}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from _consumer import ConsumerSession
from _pact_terms import (
    ANY_SUCCESS_STATUS,
    BEARER,
    DIGITS,
    EXAMPLE_TOKEN,
    JSON_TYPE,
    PRODUCT_ID,
    UUID,
    text,
)
from pact import Pact, match
from pact.error import MismatchesError
from pact.interaction import HttpInteraction

from harness.contracts.states import TOKEN_STATE
from harness.contracts.verify import IMPORT_PROVIDER
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

JSON = {"Content-Type": match.regex("application/json", regex=JSON_TYPE)}
JOB_ID = "5f0b7c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f"
OFFER_ID = "9d1e2f3a-4b5c-4d6e-8f7a-1b2c3d4e5f60"
NEW_OFFER: dict[str, Any] = {
    "offerType": "dropshipping",
    "variant": {
        "productId": PRODUCT_ID,
        "price": {"retail": 12.5},
        "inventory": {"size": 10},
        "visibility": "retail",
        "active": True,
    },
}


@pytest.fixture
def imports(consumer: Callable[[str], ConsumerSession]) -> ConsumerSession:
    return consumer(IMPORT_PROVIDER)


def expect_token(session: ConsumerSession) -> HttpInteraction:
    return (
        session.pact.upon_receiving("a client-credentials token request")
        .with_request("POST", "/oauth/token")
        .with_body(
            f"grant_type=client_credentials&client_id={SANDBOX_API_HASH}"
            f"&client_secret={SANDBOX_API_KEY}",
            "application/x-www-form-urlencoded",
        )
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "access_token": match.str(EXAMPLE_TOKEN),
                "token_type": text("bearer", r"^[Bb]earer$"),
                "expires_in": match.int(300),
            }
        )
    )


def test_access_token(imports: ConsumerSession) -> None:
    expect_token(imports)
    with imports.client() as client:
        token = client.auth.token()
    assert token.access_token.get_secret_value() == EXAMPLE_TOKEN
    assert 299 <= token.ttl_seconds() <= 300
    assert EXAMPLE_TOKEN not in repr(token)


def test_offers_list(imports: ConsumerSession) -> None:
    expect_token(imports)
    offer = {
        "id": text(OFFER_ID, UUID),
        "type": match.str("dropshipping"),
        "status": match.str("active"),
        "product": {"id": text(PRODUCT_ID, DIGITS), "name": match.str("A game")},
        "price": {"retail": match.str("12.50")},
        "inventory": {"size": match.int(10), "sold": match.int(0)},
    }
    (
        imports.pact.upon_receiving("a request for the first page of offers")
        .given(TOKEN_STATE)
        .given("offers exist")
        .with_request("GET", "/v3/sales/offers")
        .with_header("Authorization", BEARER)
        .with_query_parameter("page", match.regex("1", regex=DIGITS))
        .with_query_parameter("itemsPerPage", match.regex("20", regex=DIGITS))
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "data": match.each_like(offer, min=1),
                "meta": {
                    "page": match.int(1),
                    "itemsPerPage": match.int(20),
                    "totalResults": match.int(1),
                },
            }
        )
    )
    with imports.client() as client:
        page = client.offers.list(page=1, items_per_page=20)
    assert [o.id for o in page.data] == [OFFER_ID]
    assert (page.meta.page, page.meta.items_per_page, page.meta.total_results) == (1, 20, 1)


def test_offer_create_returns_a_job(imports: ConsumerSession) -> None:
    expect_token(imports)
    (
        imports.pact.upon_receiving("a new dropshipping offer")
        .given(TOKEN_STATE)
        .given(f"product {PRODUCT_ID} is in stock", id=PRODUCT_ID)
        .with_request("POST", "/v3/sales/offers")
        .with_header("Authorization", BEARER)
        .with_body(NEW_OFFER, "application/json")
        .will_respond_with(202)
        .with_matching_rules(ANY_SUCCESS_STATUS, "Response")
        .with_headers(JSON)
        .with_body({"data": {"jobId": text(JOB_ID, r"^[\w-]+$")}})
    )
    with imports.client() as client:
        assert client.offers.create(NEW_OFFER) == JOB_ID


def test_job_status(imports: ConsumerSession) -> None:
    expect_token(imports)
    (
        imports.pact.upon_receiving("the status of an offer job")
        .given(TOKEN_STATE)
        .given(f"job {JOB_ID} exists", job_id=JOB_ID)
        .with_request("GET", match.regex(f"/v3/jobs/{JOB_ID}", regex=r"^/v3/jobs/[\w-]+$"))
        .with_header("Authorization", BEARER)
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "data": {
                    "jobId": text(JOB_ID, r"^[\w-]+$"),
                    "status": text("done", r"^[a-z_]+$"),
                    "elements": match.each_like(
                        {
                            "resourceId": match.str(OFFER_ID),
                            "resourceType": match.str("offer"),
                            "status": match.str("done"),
                        },
                        min=1,
                    ),
                }
            }
        )
    )
    with imports.client() as client:
        job = client.jobs.get(JOB_ID)
    assert (job.job_id, job.status) == (JOB_ID, "done")
    assert [(e.resource_id, e.status) for e in job.elements] == [(OFFER_ID, "done")]


def bearer_only_pact() -> Pact:
    """A throwaway pact (never written) holding only the shared `BEARER` term."""
    pact = Pact("bearer-term-check", "any-provider").with_specification("V4")
    (
        pact.upon_receiving("a call with a bearer token")
        .with_request("GET", "/v3/sales/offers")
        .with_header("Authorization", BEARER)
        .will_respond_with(200)
    )
    return pact


def test_bearer_term_accepts_a_bearer_token() -> None:
    with bearer_only_pact().serve(addr="127.0.0.1") as server:
        answer = httpx.get(
            f"{server.url}/v3/sales/offers", headers={"Authorization": f"Bearer {EXAMPLE_TOKEN}"}
        )
    assert answer.status_code == 200


@pytest.mark.parametrize("authorization", ["Basic x", "Bearer ", "bearer x", EXAMPLE_TOKEN])
def test_bearer_term_refuses_another_scheme(authorization: str) -> None:
    """An adapter that sends another scheme (or a bare token) fails the Import consumer pacts."""
    server = bearer_only_pact().serve(addr="127.0.0.1", verbose=False)
    with pytest.raises(MismatchesError) as caught, server:
        httpx.get(f"{server.url}/v3/sales/offers", headers={"Authorization": authorization})
    assert "Authorization" in str(caught.value)
