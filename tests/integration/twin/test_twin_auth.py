"""Export API authentication exactly as G2A: `Authorization: {hash}, sha256(hash+email+secret)`."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from twin_support import error

from harness.twin import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_EMAIL,
    RunningTwin,
    TwinAdmin,
)


def key(api_hash: str, email: str, secret: str) -> str:
    return hashlib.sha256(f"{api_hash}{email}{secret}".encode()).hexdigest()


def get(twin: RunningTwin, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{twin.export_url}/products", headers=headers, params={"page": 1})


def test_published_sandbox_credentials_are_accepted(twin: RunningTwin) -> None:
    assert key(SANDBOX_API_HASH, SANDBOX_EMAIL, SANDBOX_API_SECRET) == SANDBOX_API_KEY
    response = get(twin, {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"})
    assert response.status_code == 200


def test_missing_header_is_auth01_403(twin: RunningTwin) -> None:
    response = get(twin, {})
    assert (response.status_code, response.json()) == (
        403,
        error("AUTH01", "No Authorization header"),
    )


@pytest.mark.parametrize(
    "value",
    [
        f"{SANDBOX_API_HASH}, {key(SANDBOX_API_HASH, 'someone@g2a.com', SANDBOX_API_SECRET)}",
        f"{SANDBOX_API_HASH}, {key(SANDBOX_API_HASH, SANDBOX_EMAIL, 'wrong-secret')}",
        f"{SANDBOX_API_HASH},{SANDBOX_API_KEY}",
        f"{SANDBOX_API_HASH} {SANDBOX_API_KEY}",
        f"Bearer {SANDBOX_API_KEY}",
        SANDBOX_API_KEY,
        "",
    ],
    ids=["wrong-email", "wrong-secret", "no-space", "no-comma", "bearer", "key-only", "empty"],
)
def test_wrong_or_malformed_header_is_auth02_401(twin: RunningTwin, value: str) -> None:
    response = get(twin, {"Authorization": value})
    assert (response.status_code, response.json()) == (
        401,
        error("AUTH02", "Wrong Authorization header"),
    )


def test_more_credential_sets_can_be_configured(twin: RunningTwin, admin: TwinAdmin) -> None:
    admin.configure(
        credentials=[
            {
                "api_hash": SANDBOX_API_HASH,
                "email": SANDBOX_EMAIL,
                "api_secret": SANDBOX_API_SECRET,
            },
            {"api_hash": "otherHash", "email": "qa@example.com", "api_secret": "s3cret"},
        ]
    )
    other = f"otherHash, {key('otherHash', 'qa@example.com', 's3cret')}"
    assert get(twin, {"Authorization": other}).status_code == 200
    assert get(twin, {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}).status_code == 200
    assert "s3cret" not in str(admin.config())


def test_request_log_masks_the_key(twin: RunningTwin, admin: TwinAdmin) -> None:
    get(twin, {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"})
    [record] = admin.requests(path="/v1/products")
    assert record["headers"]["authorization"] == f"{SANDBOX_API_HASH}, ***"
    assert SANDBOX_API_KEY not in str(admin.requests())
    assert record["status"] == 200
    assert (record["method"], record["query"], record["body"]) == ("GET", "page=1", "")


SANDBOX_AUTHORIZATION = f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"


@pytest.mark.parametrize(
    "first",
    [SANDBOX_AUTHORIZATION, f"{SANDBOX_API_HASH}, {key(SANDBOX_API_HASH, 'x@g2a.com', 'wrong')}"],
    ids=["the-same-twice", "a-wrong-one-first"],
)
def test_two_authorization_headers_are_auth02_401(
    twin: RunningTwin, admin: TwinAdmin, first: str
) -> None:
    """One credential an API takes, in one header: of two, the last was taken."""
    response = httpx.get(
        f"{twin.export_url}/products",
        headers=[("Authorization", first), ("Authorization", SANDBOX_AUTHORIZATION)],
    )
    assert (response.status_code, response.json()) == (
        401,
        error("AUTH02", "Wrong Authorization header"),
    )
    [record] = admin.requests(path="/v1/products")
    assert record["headers"]["authorization"] == f"{SANDBOX_API_HASH}, ***"
    assert SANDBOX_API_KEY not in str(admin.requests())
