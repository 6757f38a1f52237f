"""The README's Python examples run as written: a service team copies them.

Each ```python block of README.md is executed as it stands, the client example against the
served twin, the receiver examples in one namespace (the second uses the first's names), and
what they build is then used: the purchase returns a key, and the `TransactionalHandler`
example books a delivered event exactly once.
"""

from __future__ import annotations

import inspect
import pickle
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from g2a_adapter import StoreUnavailableError
from g2a_adapter.wire import signed_webhook_headers
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, RunningTwin
from harness.twin.webhooks import event_body

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "readme-example-secret"
ORDER = {"order_id": "1530000042", "product_id": "10000084431001", "price": 9.5, "currency": "EUR"}


def python_blocks() -> list[str]:
    """The ```python blocks of the README, in order."""
    return re.findall(r"^```python\n(.*?)^```$", README.read_text(), flags=re.M | re.S)


def block_with(text: str) -> str:
    (block,) = [b for b in python_blocks() if text in b]
    return block


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, twin: RunningTwin) -> Path:
    """What the examples read from the environment; the store file they use."""
    store = tmp_path / "idempotency.sqlite3"
    for name, value in {
        "G2A_API_URL": twin.export_url,
        "G2A_API_HASH": SANDBOX_API_HASH,
        "G2A_API_KEY": SANDBOX_API_KEY,
        "G2A_WEBHOOK_SECRET": SECRET,
        "G2A_IDEMPOTENCY_URL": f"sqlite:///{store}",
    }.items():
        monkeypatch.setenv(name, value)
    return store


def test_the_readme_has_the_examples_this_module_runs() -> None:
    assert len(python_blocks()) == 5


def test_the_client_example_lists_products_and_buys_a_key(environment: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(block_with("G2AClient.from_env()"), namespace)  # noqa: S102 - the README's own code
    assert namespace["page"].docs
    assert all(product.qty >= 1 for product in namespace["page"].docs)
    assert namespace["result"].key  # the game key the purchase paid for


@pytest.mark.anyio
async def test_the_receiver_examples_build_apps_and_book_an_event_once(environment: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(block_with("create_receiver_app(settings, on_event)"), namespace)  # noqa: S102
    plain = namespace["app"]
    exec(block_with("TransactionalHandler(book)"), namespace)  # noqa: S102
    app = namespace["app"]
    plain.state.store.close()  # opened on the same file, as two services would
    with sqlite3.connect(environment) as db:
        db.execute("CREATE TABLE bookings (order_id TEXT NOT NULL)")

    event_id = "evt-readme-1"
    body = event_body(event_id, "order.paid", time.time(), ORDER)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        answers = [  # the second is G2A's redelivery: same event, new nonce and signature
            await client.post(
                "/webhooks/g2a",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    **signed_webhook_headers([SECRET], body, event_id=event_id),
                },
            )
            for _ in range(2)
        ]
    app.state.store.close()
    assert [(a.status_code, a.json()["status"]) for a in answers] == [
        (200, "processed"),
        (200, "duplicate"),
    ]
    with sqlite3.connect(environment) as db:
        assert db.execute("SELECT order_id FROM bookings").fetchall() == [("1530000042",)]


@pytest.mark.anyio
async def test_the_mounted_receiver_example_serves_under_its_prefix_and_closes_its_store(
    environment: Path,
) -> None:
    namespace: dict[str, Any] = {}
    exec(block_with("create_receiver_app(settings, on_event)"), namespace)  # noqa: S102
    exec(block_with('Mount("/g2a", app)'), namespace)  # noqa: S102
    service, store = namespace["service"], namespace["app"].state.store
    body = event_body("evt-mounted", "order.paid", time.time(), ORDER)
    headers = signed_webhook_headers([SECRET], body, event_id="evt-mounted")
    transport = httpx.ASGITransport(app=service)
    async with (
        service.router.lifespan_context(service),
        httpx.AsyncClient(transport=transport, base_url="http://service") as client,
    ):
        answer = await client.post("/g2a/webhooks/g2a", content=body, headers=headers)
        health = await client.get("/g2a/healthz")

    assert answer.json() == {"status": "processed", "event_id": "evt-mounted"}
    assert health.json()["checks"]["store"]["status"] == "ok"
    with pytest.raises(StoreUnavailableError, match="closed"):  # the service's lifespan ran
        store.ping()  # the receiver's, which closed the store it opened


def test_the_receiver_example_serves_under_the_adapter_s_server_limits(environment: Path) -> None:
    """The serving lines of the receiver example (commented out: they serve forever) import
    from the adapter alone, never the harness, and build the limited server as written."""
    block = block_with("create_receiver_app(settings, on_event)")
    serving = re.findall(r"^#   (\S.*)$", block, flags=re.M)
    assert "from g2a_adapter.receiver import ServerLimits, uvicorn_config" in serving
    assert not any("harness" in line for line in serving)
    *setup, last = serving
    assert last.startswith("uvicorn.Server(")
    assert last.endswith(".run()")
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # noqa: S102 - the README's own code
    try:
        exec("\n".join([*setup, f"server = {last.removesuffix('.run()')}"]), namespace)  # noqa: S102
    finally:
        namespace["app"].state.store.close()
    config = namespace["server"].config
    assert config.app is namespace["app"]
    assert config.h11_max_incomplete_event_size == namespace["ServerLimits"]().max_header_bytes
    assert config.http.__name__ == "LimitedH11Protocol"


def test_the_workers_example_builds_a_config_uvicorns_supervisor_takes() -> None:
    """The supervisor spawns each worker with the config pickled: what the example builds
    crosses, limits and all, and the supervisor takes the arguments it is given."""
    *setup, last = block_with("Multiprocess(").strip().splitlines()
    assert last == "Multiprocess(config, sockets=[config.bind_socket()]).run()"
    namespace: dict[str, Any] = {}
    exec("\n".join(setup), namespace)  # noqa: S102 - the README's, all but the serving line
    supervisor = inspect.signature(namespace["Multiprocess"])
    assert list(supervisor.parameters) == ["config", "sockets"]
    config = pickle.loads(pickle.dumps(namespace["config"]))  # noqa: S301 - as a worker does
    assert (config.app, config.workers) == ("service.main:service", 2)
    assert config.http.__name__ == "LimitedH11Protocol"
