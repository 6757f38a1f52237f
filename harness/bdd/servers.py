"""The adapter's receiver served on an ephemeral loopback port, for the twin's webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.serving import serve_asgi
from harness.twin.config import DEFAULT_WEBHOOK_SECRET

TWIN_WEBHOOK_SECRET = DEFAULT_WEBHOOK_SECRET  # what the twin signs with unless told
RECEIVER_PATH = "/webhooks/g2a"


@contextmanager
def serving_receiver(twin_export_url: str) -> Iterator[str]:
    """Serve the adapter's receiver for the twin's signed webhooks; yield its base URL.

    The receiver shares one `Metrics` with an adapter client whose token feeds `/healthz`,
    so `/metrics` shows what a dashboard would: webhook and G2A request metrics together.
    """
    from g2a_adapter import G2AClient, Metrics, Settings, open_store
    from g2a_adapter.receiver import ReceiverOptions
    from harness.recording_receiver import recording_receiver_app
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
        options = ReceiverOptions(store=store, metrics=metrics, token_probe=client.auth.token)
        app, _ = recording_receiver_app(settings, options)
        with serve_asgi(app) as base_url:
            yield base_url
    store.close()
