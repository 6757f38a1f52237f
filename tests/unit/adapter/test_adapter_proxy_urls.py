"""A proxy of G2A under a path prefix: the Export and the Import API calls (OAuth's token too)
keep the prefix, under one rule: the prefix is what precedes G2A's own API path (`/v1`,
`/integration-api/v1`) or, for `G2A_IMPORT_API_URL`, the whole path. The host rules stay."""

from __future__ import annotations

import re

import httpx
import pytest

from g2a_adapter import ConfigError, G2AClient, Settings
from g2a_adapter.idempotency import MemoryStore

KEY = "27c99de52a899b8d6462e933e050afaa300dadfb1281c7d8e635be9f0591de52"
PROXY = "proxy.example"
BASE = {"api_hash": "hash-1", "api_key": KEY, "allowed_hosts": (PROXY,)}
TOKEN = {"access_token": "tok-1", "token_type": "bearer", "expires_in": 300}
OFFERS = {"data": [], "meta": {"page": 1, "itemsPerPage": 20, "totalResults": 0}}
JOB = {"data": {"jobId": "j1", "status": "done", "elements": []}}
PRODUCTS = {"total": 0, "page": 1, "docs": []}


def urls_sent(settings: Settings, *, export: bool = True) -> list[str]:
    """Every request URL, exactly, of a token fetch, an offer listing, a job and (when the
    client has the Export API) a product listing."""
    sent: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        path = request.url.path
        if path.endswith("/oauth/token"):
            return httpx.Response(200, json=TOKEN)
        if path.endswith("/v3/sales/offers"):
            return httpx.Response(200, json=OFFERS)
        if path.endswith("/v3/jobs/j1"):
            return httpx.Response(200, json=JOB)
        return httpx.Response(200, json=PRODUCTS)

    client = G2AClient(settings, transport=httpx.MockTransport(respond), store=MemoryStore())
    with client:
        client.offers.list()
        client.jobs.get("j1")
        if export:
            client.products.list()
    return sent


def import_urls(base: str) -> list[str]:
    return [
        f"{base}/oauth/token",
        f"{base}/v3/sales/offers?page=1&itemsPerPage=20",
        f"{base}/v3/jobs/j1",
    ]


def test_the_import_api_keeps_the_prefix_of_the_api_url() -> None:
    settings = Settings(**BASE, api_url=f"https://{PROXY}/g2a/v1/")
    assert (settings.api_url, settings.import_api_url) == (
        f"https://{PROXY}/g2a/v1",
        f"https://{PROXY}/g2a",
    )
    assert urls_sent(settings) == [
        *import_urls(f"https://{PROXY}/g2a"),
        f"https://{PROXY}/g2a/v1/products?page=1",
    ]


@pytest.mark.parametrize(
    "import_url",
    [
        f"https://{PROXY}/g2a-import",
        f"https://{PROXY}/g2a-import/",
        f"https://{PROXY}/g2a-import/integration-api/v1",
        f"https://{PROXY}/g2a-import/integration-api",
    ],
)
def test_an_import_api_url_with_a_prefix_is_where_every_import_call_goes(import_url: str) -> None:
    settings = Settings(**BASE, api_url=f"https://{PROXY}/g2a/v1", import_api_url=import_url)
    assert settings.import_api_url == f"https://{PROXY}/g2a-import"
    assert urls_sent(settings) == [
        *import_urls(f"https://{PROXY}/g2a-import"),
        f"https://{PROXY}/g2a/v1/products?page=1",
    ]


def test_an_import_api_url_as_the_api_url_keeps_its_prefix() -> None:
    settings = Settings(**BASE, api_url=f"https://{PROXY}/g2a/integration-api")
    assert (settings.api_url, settings.import_api_url) == (
        f"https://{PROXY}/g2a/integration-api/v1",
        f"https://{PROXY}/g2a",
    )
    assert urls_sent(settings, export=False) == import_urls(f"https://{PROXY}/g2a")


def test_g2a_s_own_hosts_are_served_at_their_root_as_before() -> None:
    settings = Settings(
        api_hash="hash-1",
        api_key=KEY,
        env="live",
        api_url="https://api.g2a.com/v1",
        import_api_url="https://api.g2a.com/integration-api/v1",
    )
    assert urls_sent(settings) == [
        *import_urls("https://api.g2a.com"),
        "https://api.g2a.com/v1/products?page=1",
    ]


@pytest.mark.parametrize(
    ("import_url", "env", "words"),
    [
        # the Export API's path is no Import API base
        (f"https://{PROXY}/g2a/v1", "sandbox", "G2A_IMPORT_API_URL path ends in /v1"),
        ("https://sandboxapi.g2a.com/v1", "sandbox", "G2A_IMPORT_API_URL path ends in /v1"),
        (f"https://{PROXY}//g2a", "sandbox", "G2A_IMPORT_API_URL path must not contain '//'"),
        (f"https://{PROXY}/g2a//integration-api/v1", "sandbox", "must not contain '//'"),
        # a prefix changes none of the host rules
        ("https://evil.example.com/g2a", "sandbox", "G2A_IMPORT_API_URL host is not allowed"),
        ("https://api.g2a.com/g2a", "sandbox", "G2A_IMPORT_API_URL points at the live host"),
        ("https://sandboxapi.g2a.com/g2a", "live", "G2A_IMPORT_API_URL points at the sandbox"),
        ("http://127.0.0.1:8765/g2a", "live", "loopback host is allowed only in the sandbox"),
        (f"http://{PROXY}/g2a", "sandbox", "G2A_IMPORT_API_URL must use https"),
        (f"https://{PROXY}/g2a/../admin", "sandbox", "'..' segments"),
        (f"https://{PROXY}/g2a%2f..", "sandbox", "percent-encoded"),
    ],
)
def test_an_import_api_url_prefix_keeps_every_url_rule(
    import_url: str, env: str, words: str
) -> None:
    api_url = "https://api.g2a.com/v1" if env == "live" else "https://sandboxapi.g2a.com/v1"
    with pytest.raises(ConfigError, match=re.escape(words)):
        Settings(**BASE, env=env, api_url=api_url, import_api_url=import_url)


def test_the_loopback_twin_with_a_prefix_in_the_sandbox() -> None:
    settings = Settings(api_hash="hash-1", api_key=KEY, api_url="http://127.0.0.1:8765/twin/v1")
    assert settings.import_api_url == "http://127.0.0.1:8765/twin"
