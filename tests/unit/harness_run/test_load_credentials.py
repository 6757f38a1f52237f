"""`g2a-harness load` picks its Export API key as `run` does: the twin's own on the twin."""

from __future__ import annotations

from harness.load.plan import LoadPlan
from harness.twin.credentials import SANDBOX_API_KEY

LIVE_KEY = "a1" * 32


def _plan(target: str) -> LoadPlan:
    return LoadPlan(
        target=target,
        api_url="http://127.0.0.1:1/v1",
        api_hash="h",
        receiver_url="http://127.0.0.1:2",
        idempotency_url="memory://",
        journal_path="j",
        wait=(0.0, 0.0),
        mix={},
        buyer={},
        webhooks={},
    )


def test_on_the_twin_a_real_key_in_the_environment_is_ignored() -> None:
    assert _plan("twin").api_key({"G2A_API_KEY": LIVE_KEY}) == SANDBOX_API_KEY
    assert _plan("twin").api_key({}) == SANDBOX_API_KEY


def test_on_the_sandbox_the_environment_key_is_used() -> None:
    assert _plan("sandbox").api_key({"G2A_API_KEY": LIVE_KEY}) == LIVE_KEY
    assert _plan("sandbox").api_key({}) == ""
