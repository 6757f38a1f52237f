"""The adapter benchmark's baseline sends what the adapter sends: the twin's work is the same
on both sides, so the ratio measures the adapter. (`products.get` came to ask for
`includeOutOfStock=true` while the baseline kept asking without it, and the twin's extra work
for it, 3-4 % of a call, was counted as the adapter's.)"""

from __future__ import annotations

import httpx
import pytest

from benchmarks.bench_adapter import raw_request
from g2a_adapter import G2AClient, Metrics, NotFoundError, Settings, __version__
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS

API = "http://127.0.0.1:9/v1"


def test_the_baseline_request_is_the_adapter_s() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"total": 0, "page": 1, "docs": []})

    settings = Settings(api_url=API, api_hash=SANDBOX_API_HASH, api_key=SANDBOX_API_KEY)
    product_id = SANDBOX_PRODUCT_IDS[0]
    transport = httpx.MockTransport(answer)
    with (
        G2AClient(settings, metrics=Metrics(), transport=transport) as client,
        pytest.raises(NotFoundError),  # an empty page: the request is what counts here
    ):
        client.products.get(product_id)
    with httpx.Client(transport=httpx.MockTransport(answer)) as raw:
        raw.get(f"{API}/products", **raw_request(product_id))

    adapter, baseline = sent
    assert (baseline.method, baseline.url) == (adapter.method, adapter.url)
    ours, theirs = dict(adapter.headers), dict(baseline.headers)
    assert len(theirs.pop("x-correlation-id")) == len(ours.pop("x-correlation-id")) == 32
    assert ours.pop("user-agent") == f"g2a-adapter/{__version__}"
    assert theirs.pop("user-agent") == f"python-httpx/{httpx.__version__}"
    # httpx's own defaults, which the raw client adds: a few bytes more on the baseline's side
    assert sorted(set(theirs) - set(ours)) == ["accept-encoding", "connection"]
    assert {name: theirs[name] for name in ours} == ours
