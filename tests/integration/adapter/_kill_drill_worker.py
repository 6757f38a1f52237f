"""The child of the kill drills: runs a purchase and SIGKILLs itself at one chosen point.

Killing from inside makes the point exact (right after G2A answered a call, or right after a
checkpoint was written) while the death is a real `kill -9`: no `finally`, no release, no
flush; the lease is left to lapse and the store keeps whatever was committed.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import httpx
from adapter_support import KEEPER_THREAD

from g2a_adapter import G2AClient, Settings
from g2a_adapter.client import set_testing
from g2a_adapter.idempotency import IdempotencyStore, open_store
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY

# kill point -> (HTTP method, path prefix) whose answer arrived, or the checkpoint step written
# ("fence": the lease renewal that fences the first create, which writes no checkpoint)
ANSWERED = {
    "create-answered": ("POST", "/v1/order"),
    "pay-answered": ("PUT", "/v1/order/pay/"),
    "details-answered": ("GET", "/v1/order/details/"),
    "key-answered": ("GET", "/v1/order/key/"),
}
RECORDED = {
    "create-fenced": "fence",
    "paying-recorded": "paying",
    "fetching-key-recorded": "fetching_key",
}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _KillAfterAnswer(httpx.HTTPTransport):
    def __init__(self, method: str, prefix: str) -> None:
        super().__init__()
        self._method, self._prefix = method, prefix

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        path = request.url.path
        exact = self._prefix.endswith("/") and path.startswith(self._prefix)
        if request.method == self._method and (exact or path == self._prefix):
            response.read()  # G2A acted and answered; the process dies before using it
            _die()
        return response


class _KillAfterCheckpoint:
    """Delegates to a real store; dies right after writing the checkpoint of one step (or the
    purchase's fence)."""

    def __init__(self, store: IdempotencyStore, step: str) -> None:
        self._store, self._step = store, step

    def checkpoint(self, key: str, owner: str, data: dict[str, Any], lease: float) -> None:
        self._store.checkpoint(key, owner, data, lease)
        if data.get("step") == self._step:
            _die()

    def renew(self, key: str, owner: str, lease: float) -> None:
        self._store.renew(key, owner, lease)
        if self._step == "fence" and threading.current_thread().name != KEEPER_THREAD:
            _die()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def settings(api_url: str, idempotency_url: str, lease_ms: int) -> Settings:
    return Settings(
        api_url=api_url,
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        idempotency_url=idempotency_url,
        purchase_lease_ms=lease_ms,
        timeout_ms=2000,
    )


def purchase(client: G2AClient, product: str, key: str, wait_timeout: float) -> Any:
    return client.orders.purchase(
        product, idempotency_key=key, max_price=500, poll_interval=0.01, wait_timeout=wait_timeout
    )


def run_until_killed(
    api_url: str, idempotency_url: str, product: str, key: str, kill_at: str, lease_ms: int
) -> None:
    set_testing(True)
    store: Any = open_store(idempotency_url)
    transport = None
    if kill_at in ANSWERED:
        transport = _KillAfterAnswer(*ANSWERED[kill_at])
    else:
        store = _KillAfterCheckpoint(store, RECORDED[kill_at])
    config = settings(api_url, idempotency_url, lease_ms)
    with G2AClient(config, transport=transport, store=store) as client:
        purchase(client, product, key, wait_timeout=1.0)
    raise SystemExit(3)  # never reached: the kill point is on every purchase's path
