"""Serve an ASGI app on an ephemeral loopback port in a background thread (for the receiver)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

TWIN_WEBHOOK_SECRET = "twin-webhook-secret"  # TwinConfig's default signing secret
RECEIVER_PATH = "/webhooks/g2a"
_START_TIMEOUT_S = 10.0


@contextmanager
def serve_asgi(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Yield `http://host:port` while uvicorn serves `app`; stop it cleanly afterwards."""
    config = uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="g2a-bdd-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(_START_TIMEOUT_S)
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)


@contextmanager
def serving_receiver(twin_export_url: str) -> Iterator[str]:
    """Serve the adapter's receiver for the twin's signed webhooks; yield its base URL.

    The receiver shares one `Metrics` with an adapter client whose token feeds `/healthz`,
    so `/metrics` shows what a dashboard would: webhook and G2A request metrics together.
    """
    from g2a_adapter import G2AClient, Metrics, Settings, open_store
    from g2a_adapter.asgi import create_receiver_app
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    settings = Settings(
        api_url=twin_export_url,
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=TWIN_WEBHOOK_SECRET,
        idempotency_url="memory://",
    )
    metrics = Metrics()
    store = open_store("memory://")
    with G2AClient(settings, metrics=metrics, store=store) as client:
        app = create_receiver_app(
            settings, store=store, metrics=metrics, token_probe=client.auth.token
        )
        with serve_asgi(app) as base_url:
            yield base_url
    store.close()
