"""`receiver serve --stock FILE` names the client id its token endpoint expects and where the
secret comes from, never the secret."""

from __future__ import annotations

from g2a_adapter import Settings
from harness.commands.receiver import token_banner
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

BASE = {
    "G2A_API_URL": "http://127.0.0.1:9/v1",
    "G2A_API_HASH": SANDBOX_API_HASH,
    "G2A_API_KEY": SANDBOX_API_KEY,
    "G2A_WEBHOOK_SECRET": "webhook-secret",
}


def test_by_default_the_api_hash_and_key_authenticate_g2a() -> None:
    banner = token_banner(Settings.from_env(BASE), BASE)
    assert banner == (
        f"seller token (GET /oauth/token): client id {SANDBOX_API_HASH} (G2A_API_HASH); "
        "secret from G2A_API_KEY"
    )


def test_the_seller_client_id_and_secret_are_named_when_set() -> None:
    env = {**BASE, "G2A_SELLER_CLIENT_ID": "seller-id", "G2A_SELLER_CLIENT_SECRET": "s3cret-99"}
    banner = token_banner(Settings.from_env(env), env)
    assert banner == (
        "seller token (GET /oauth/token): client id seller-id (G2A_SELLER_CLIENT_ID); "
        "secret from G2A_SELLER_CLIENT_SECRET"
    )
    assert "s3cret" not in banner
    assert SANDBOX_API_KEY not in banner
