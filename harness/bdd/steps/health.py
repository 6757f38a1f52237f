"""Steps: the receiver's health endpoint with a real token probe and a real store."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import httpx
from pytest_bdd import given, then, when

from harness.bdd.servers import TWIN_WEBHOOK_SECRET
from harness.bdd.wordings import Wording, parse, phrases, worded
from harness.bdd.world import World
from harness.serving import serve_asgi

# The checks of the receiver's health answer (its `checks`): its store, and its token probe.
CHECK: Wording[str] = Wording("health check", phrases({c: c for c in ("store", "token")}))
CHECKS = replace(CHECK, separators=(",",))
_RECEIVER = (
    "receiver is serving",
    'start with "Given a receiver whose idempotency store is reachable"',
)
_HEALTH = (
    "health was asked for",
    '"When the operator asks for the health of the receiver" asks for it',
)


def _serve_receiver(world: World, store_path: Path, lose_store: bool) -> None:
    from g2a_adapter import Settings, open_store
    from g2a_adapter.receiver import ReceiverOptions
    from harness.recording_receiver import recording_receiver_app

    target = world.settings()
    settings = Settings(
        api_url=target.api_url,
        api_hash=target.api_hash,
        api_key=target.api_key,
        webhook_secret=TWIN_WEBHOOK_SECRET,
    )
    store = open_store(f"sqlite:///{store_path}")
    world.on_close(store.close)
    options = ReceiverOptions(
        store=store, metrics=world.metrics, token_probe=world.client().auth.token
    )
    app, _ = recording_receiver_app(settings, options)
    if lose_store:
        store.close()  # the store's connection is gone: every later use of it fails
    stack = ExitStack()
    world.on_close(stack.close)
    world.notes["health_url"] = f"{stack.enter_context(serve_asgi(app))}/healthz"


@given("a receiver whose idempotency store is reachable")
def healthy_receiver(g2a_world: World, tmp_path: Path) -> None:
    """Serve a receiver whose idempotency store is reachable.

    Example: a receiver whose idempotency store is reachable
    """
    _serve_receiver(g2a_world, tmp_path / "health.sqlite3", lose_store=False)


@given("a receiver whose idempotency store connection was lost")
def lost_store_receiver(g2a_world: World, tmp_path: Path) -> None:
    """Serve a receiver whose idempotency store connection is lost.

    Example: a receiver whose idempotency store connection was lost
    """
    _serve_receiver(g2a_world, tmp_path / "health.sqlite3", lose_store=True)


@when("the operator asks for the health of the receiver")
def ask_health(g2a_world: World) -> None:
    """Request the receiver's /health endpoint.

    Example: the operator asks for the health of the receiver
    """
    url = g2a_world.noted("health_url", *_RECEIVER)
    g2a_world.notes["health"] = httpx.get(url, timeout=5.0)


@then(parse('the health is "ok" with HTTP {status:whole}'))
def health_ok(g2a_world: World, status: int) -> None:
    """The health answer is ok, with this HTTP status.

    Example: the health is "ok" with HTTP 200
    """
    response = g2a_world.noted("health", *_HEALTH)
    assert (response.status_code, response.json()["status"]) == (status, "ok"), response.text


@then(parse("the health is not ok, with HTTP {status:whole}"))
def health_not_ok(g2a_world: World, status: int) -> None:
    """The health answer is not ok, with this HTTP status.

    Example: the health is not ok, with HTTP 503
    """
    response = g2a_world.noted("health", *_HEALTH)
    assert response.status_code == status, response.text
    assert response.json()["status"] != "ok", response.text


def _checks(world: World) -> dict[str, dict[str, object]]:
    checks: dict[str, dict[str, object]] = world.noted("health", *_HEALTH).json()["checks"]
    return checks


@then(worded(parse('the checks "{names}" are reported "ok"'), names=CHECKS))
@then(worded(parse('the check "{names}" is reported "ok"'), names=CHECKS))
def checks_ok(g2a_world: World, names: str) -> None:
    """The health answer reports these checks (comma-separated) as ok.

    Example: the check "token" is reported "ok"
    Example: the checks "token, store" are reported "ok"
    """
    checks = _checks(g2a_world)
    for name in CHECKS.values(names):
        assert checks[name]["status"] == "ok", checks


@then(worded(parse('the check "{name}" is reported failing'), name=CHECK))
def check_failing(g2a_world: World, name: str) -> None:
    """The health answer reports this check as failing.

    Example: the check "store" is reported failing
    """
    checks = _checks(g2a_world)
    assert checks[name]["status"] != "ok", checks
    assert checks[name].get("error"), checks
    assert name in g2a_world.notes["health"].json().get("failed", [name])
