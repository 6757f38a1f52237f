"""`g2a-harness load` picks its Export API key and allowed hosts as `run` does (the twin's own
key on the twin), keeps the store's password out of the plan it hands to every Locust process,
and never writes its test purchases into the service's store (`G2A_IDEMPOTENCY_URL`)."""

from __future__ import annotations

import ssl
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.load import runner
from harness.load.plan import LoadPlan
from harness.load.profiles import get_profile
from harness.load.services import load_services
from harness.targets import Target
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
    the store's password from its own G2A_LOAD_IDEMPOTENCY_URL."""
    store_url = "postgresql://load:hunter2-pw@db/test"
    monkeypatch.setenv("G2A_LOAD_IDEMPOTENCY_URL", store_url)
    plan = _runner_plan(tmp_path)

    assert "hunter2-pw" not in plan.to_json()
    assert plan.idempotency_url == "postgresql://load:***@db/test"
    assert plan.store_url({"G2A_LOAD_IDEMPOTENCY_URL": store_url}) == store_url
    assert _plan("twin").store_url({}) == "memory://"


def _runner_plan(report_dir: Path, services: object = None, api: object = None) -> LoadPlan:
    profile = SimpleNamespace(wait=(0.0, 0.0), mix={}, buyer={}, webhooks={})
    run = SimpleNamespace(report_dir=report_dir, profile=profile, target="twin")
    api = api or SimpleNamespace(api_hash="h")
    services = services or SimpleNamespace(
        api_url="http://127.0.0.1:1/v1",
        receiver_url="http://127.0.0.1:2",
        webhook_tolerance_s=300,
        allowed_hosts="",
        ca_certificate="",
    )
    return runner._plan(run, api, services)  # type: ignore[arg-type]


SERVICE_STORE = "redis://service-store.internal:6379/0"


def test_a_run_never_writes_into_the_services_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's shell with the service's settings exported: the load's test purchases
    go to the run's own store, never into G2A_IDEMPOTENCY_URL (30-day records of fake keys)."""
    monkeypatch.setenv("G2A_IDEMPOTENCY_URL", SERVICE_STORE)
    monkeypatch.delenv("G2A_LOAD_IDEMPOTENCY_URL", raising=False)
    plan = _runner_plan(tmp_path)

    own = f"sqlite:///{tmp_path.resolve() / 'idempotency.sqlite3'}"
    assert plan.idempotency_url == own
    assert plan.store_url({"G2A_IDEMPOTENCY_URL": SERVICE_STORE}) == own


def test_the_sandbox_reached_through_an_allowed_host_is_loaded_as_run_allows_it(
    tmp_path: Path,
) -> None:
    """G2A_ALLOWED_HOSTS (a proxy of G2A) reaches the receiver's and every user's settings."""
    url, proxy = "https://g2a-proxy.example:18443/v1", "g2a-proxy.example"
    api = Target("sandbox", "sandbox", url, "MySandboxHash123", "a" * 64, proxy)
    profile = get_profile("smoke").for_target("sandbox")
    with load_services(  # the receiver's settings accept the proxy
        profile,
        api.api_url,
        "load-secret",
        log_path=tmp_path / "services.log",
        allowed_hosts=api.allowed_hosts,
    ) as services:
        plan = _runner_plan(tmp_path, services, api)

    assert (services.api_url, plan.allowed_hosts) == (url, proxy)
    assert plan.settings({"G2A_API_KEY": "b" * 64}).api_url == url  # every user's settings


def test_users_trust_the_runs_ca_beside_the_public_ones(tmp_path: Path) -> None:
    """Off loopback on the sandbox target, buyers call G2A's sandbox (a public certificate)
    while webhook senders call the run's receiver (the run's CA): the users' context must
    trust both. Before, it trusted the run's CA alone and every buyer call failed."""
    import certifi

    from harness.load.tls import issue

    certificates = issue("192.0.2.7", tmp_path)
    plan = _runner_plan(
        tmp_path,
        services=SimpleNamespace(
            api_url="https://sandboxapi.g2a.com/v1",
            receiver_url="https://192.0.2.7:2",
            webhook_tolerance_s=300,
            allowed_hosts="192.0.2.7",
            ca_certificate=certificates.ca_pem,
        ),
    )
    context = plan.ssl_context()

    assert context is not None
    trusted = {str(ca["subject"]) for ca in context.get_ca_certs()}
    public = ssl.create_default_context(cafile=certifi.where()).get_ca_certs()
    assert {str(ca["subject"]) for ca in public} <= trusted
    assert any("g2a-harness load run CA" in subject for subject in trusted)
