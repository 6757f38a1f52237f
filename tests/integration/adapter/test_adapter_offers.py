"""Import API through G2AClient against the served twin: token, offers, jobs, 401 refresh."""

from __future__ import annotations

import json

import pytest
from adapter_support import twin_settings

from g2a_adapter import AuthError, ConfigError, G2AApiError, G2AClient, Metrics
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

OFFER = {
    "offerType": "dropshipping",
    "variant": {
        "productId": SANDBOX_PRODUCT_IDS[0],
        "price": {"retail": 12.5},
        "inventory": {"size": 4},
    },
}


def test_offer_create_update_list_and_job(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.configure(job_delay_seconds=0)
    job_id = client.offers.create(OFFER)
    job = client.jobs.get(job_id)
    assert (job.job_id, job.status) == (job_id, "done")
    (element,) = job.elements
    assert (element.resource_type, element.status) == ("offer", "done")
    (offer,) = client.offers.list().data
    assert offer.id == element.resource_id
    assert (offer.model_extra or {})["inventory"]["size"] == 4
    update_job = client.offers.update(str(offer.id), {"variant": {"inventory": {"size": 9}}})
    assert client.jobs.get(update_job).status == "done"
    page = client.offers.list(page=1, items_per_page=5)
    assert page.meta.items_per_page == 5
    assert (page.data[0].model_extra or {})["inventory"]["size"] == 9
    tokens = twin.admin.requests(path="/oauth/token")
    assert [t["status"] for t in tokens] == [200]  # one cached token served every call
    posted = twin.admin.requests(path="/v3/sales/offers", method="POST")
    assert json.loads(posted[0]["body"]) == OFFER


def test_update_of_unknown_offer_is_a_typed_error(client: G2AClient) -> None:
    with pytest.raises(G2AApiError) as caught:
        client.offers.update("no-such-offer", {"variant": {"inventory": {"size": 1}}})
    assert caught.value.status_code == 404


def test_token_revoked_at_the_server_is_refreshed_once(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    first = client.auth.token()
    twin.admin.reset()  # the twin forgets every token; the client still caches `first`
    client.offers.list()
    assert client.auth.token() is not first
    statuses = [r["status"] for r in twin.admin.requests(path="/v3/sales/offers")]
    assert statuses == [401, 200]
    assert [r["status"] for r in twin.admin.requests(path="/oauth/token")] == [200]
    refreshed = metrics.registry.get_sample_value(
        "g2a_requests_total",
        {"method": "GET", "route": "/v3/sales/offers", "status": "401", "outcome": "refresh"},
    )
    assert refreshed == 1
    ttl = metrics.registry.get_sample_value("g2a_token_ttl_seconds")
    assert ttl is not None
    assert 290 < ttl <= 300


def test_wrong_oauth_client_is_an_auth_error(twin: RunningTwin) -> None:
    settings = twin_settings(twin.export_url, oauth_client_secret="not-the-key")
    with G2AClient(settings) as client, pytest.raises(AuthError, match="invalid_client") as caught:
        client.offers.list()
    assert "not-the-key" not in str(caught.value)
    assert twin.admin.requests(path="/v3/sales/offers") == []


def test_a_client_set_up_for_the_import_api_refuses_export_calls_before_sending(
    twin: RunningTwin,
) -> None:
    import_url = twin.export_url.removesuffix("/v1") + "/integration-api/v1"
    with G2AClient(twin_settings(import_url)) as client:
        with pytest.raises(ConfigError, match="G2A_API_URL ends in /integration-api/v1"):
            client.products.list()
        with pytest.raises(ConfigError, match="G2A_IMPORT_API_URL"):
            client.orders.create(SANDBOX_PRODUCT_IDS[0])
        assert twin.admin.requests() == []  # nothing was sent to /integration-api/v1/...
        assert client.offers.list().meta.page == 1  # the Import API works from the same host


def test_a_service_using_both_apis_sets_the_import_api_url_apart(twin: RunningTwin) -> None:
    origin = twin.export_url.removesuffix("/v1")
    settings = twin_settings(twin.export_url, import_api_url=f"{origin}/integration-api/v1")
    with G2AClient(settings) as client:
        assert client.products.list().docs
        assert client.offers.list().meta.page == 1
