"""Provider states for pact verification, served to the Pact verifier as a state-change URL.

The verifier POSTs `{"state", "params", "action"}` before (setup) and after (teardown) every
interaction. Setup forwards the state to the provider's admin surface (`POST /__twin/states`);
teardown resets the provider so no state (an exhausted rate limit, a paid order) leaks into the
next interaction. One state is answered here, not by the provider: `"an access token was
issued"` obtains a real token from the provider's `POST /oauth/token` and returns it as
`{"access_token": ...}`, which the verifier injects into the pact's `Bearer ${access_token}`
header (a provider-state generator). pact-python's in-process callable handlers cannot return
values, hence this small URL handler.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from harness.cassettes import redacted_url
from harness.twin.admin import TwinAdmin
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

TOKEN_STATE = "an access token was issued"
STATE_PATH = "/_pact/state"
# How often the state server's loop looks for its shutdown: with the default 0.5 s, each
# verification waited up to that long for its state server to stop.
SHUTDOWN_POLL_S = 0.05

logger = logging.getLogger("harness.contracts")


def sandbox_token(
    provider_url: str, *, timeout: float = 10.0, client: httpx.Client | None = None
) -> str:
    """A real access token from the provider's `POST /oauth/token`, for the published
    sandbox credentials (the twin accepts them, as G2A's sandbox does); over `client` when
    given, else a client of its own."""
    post = client.post if client is not None else httpx.post
    response = post(
        f"{provider_url.rstrip('/')}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SANDBOX_API_HASH,
            "client_secret": SANDBOX_API_KEY,
        },
        timeout=timeout,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


class ProviderStates:
    """Applies pact provider states to a twin-compatible provider at `provider_url`, over
    clients kept for the whole verification (a client made per state took as long to make as
    the verifier took for the interaction itself); close it after."""

    def __init__(self, provider_url: str, *, timeout: float = 10.0) -> None:
        self.provider_url = provider_url.rstrip("/")
        self.timeout = timeout
        self.applied: list[tuple[str, str]] = []
        self._admin = TwinAdmin(self.provider_url, timeout=timeout)
        self._tokens = httpx.Client()

    def __enter__(self) -> ProviderStates:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._admin.close()
        self._tokens.close()

    def handle(self, state: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Set up or tear down one state; returns values for provider-state generators."""
        self.applied.append((action, state))
        if action == "teardown":
            self._admin.reset()
            return {}
        if not state:
            return {}
        if state == TOKEN_STATE:
            return {
                "access_token": sandbox_token(
                    self.provider_url, timeout=self.timeout, client=self._tokens
                )
            }
        self._admin.apply_state(state, params or None)
        return {}

    def shown(self, text: str) -> str:
        """`text` (an error naming a provider URL) with the provider URL redacted."""
        return text.replace(self.provider_url, redacted_url(self.provider_url))


@contextmanager
def serve_states(states: ProviderStates) -> Iterator[str]:
    """Serve `states` on an ephemeral loopback port; yields the state-change URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
                values = states.handle(
                    str(request.get("state") or ""),
                    str(request.get("action") or "setup"),
                    dict(request.get("params") or {}),
                )
                self._answer(200, values)
            except Exception as exc:  # reported to the verifier, which fails the interaction
                problem = states.shown(str(exc))
                logger.warning("provider state failed: %s", problem)
                self._answer(500, {"error": f"{type(exc).__name__}: {problem}"})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_S},
        name="pact-states",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{STATE_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
