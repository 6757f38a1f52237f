"""`g2a-harness load` picks its Export API key as `run` does (the twin's own on the twin), and
keeps the store's password out of the plan it hands to every Locust process."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.load import runner
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


def test_a_store_password_never_travels_in_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is a command-line argument, forwarded to remote workers: each process takes
    the store's password from its own G2A_IDEMPOTENCY_URL."""
    store_url = "postgresql://load:hunter2-pw@db/test"
    monkeypatch.setenv("G2A_IDEMPOTENCY_URL", store_url)
    profile = SimpleNamespace(wait=(0.0, 0.0), mix={}, buyer={}, webhooks={})
    run = SimpleNamespace(report_dir=tmp_path, profile=profile, target="twin")
    services = SimpleNamespace(api_url="http://127.0.0.1:1/v1", receiver_url="http://127.0.0.1:2")
    plan = runner._plan(run, SimpleNamespace(api_hash="h"), services)  # type: ignore[arg-type]

    assert "hunter2-pw" not in plan.to_json()
    assert plan.idempotency_url == "postgresql://load:***@db/test"
    assert plan.store_url({"G2A_IDEMPOTENCY_URL": store_url}) == store_url
    assert _plan("twin").store_url({}) == "memory://"
