"""The per-credential request budget: BR03 / 429 with Retry-After, window by window."""

from __future__ import annotations

import time
from hashlib import sha256

import httpx
from twin_support import error

from harness.twin import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_EMAIL,
    RunningTwin,
    TwinAdmin,
)


def test_budget_per_window(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(rate_limit=3, rate_window_seconds=0.5)
    answers = [api.get("/products") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[3].json() == error("BR03", "Too many requests")
    assert answers[3].headers["retry-after"] == "1"
    time.sleep(0.55)
    assert api.get("/products").status_code == 200


def test_budget_is_per_credential(twin: RunningTwin, api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(
        rate_limit=1,
        rate_window_seconds=30,
        credentials=[
            {
                "api_hash": SANDBOX_API_HASH,
                "email": SANDBOX_EMAIL,
                "api_secret": SANDBOX_API_SECRET,
            },
            {"api_hash": "h2", "email": "e2", "api_secret": "s2-secret"},
        ],
    )  # fmt: skip
    assert api.get("/products").status_code == 200
    limited = api.get("/products")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")
    other = {"Authorization": f"h2, {sha256(b'h2e2s2-secret').hexdigest()}"}
    assert httpx.get(f"{twin.export_url}/products", headers=other).status_code == 200
    assert SANDBOX_API_KEY not in str(admin.requests())


def test_unauthenticated_calls_do_not_spend_the_budget(
    twin: RunningTwin, api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(rate_limit=1, rate_window_seconds=30)
    for _ in range(3):
        assert httpx.get(f"{twin.export_url}/products").status_code == 403
    assert api.get("/products").status_code == 200


def test_exhausted_state_blocks_until_it_passes(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.apply_state("rate limit is exhausted", {"seconds": 5})
    response = api.get("/products")
    assert (response.status_code, response.headers["retry-after"]) == (429, "5")
