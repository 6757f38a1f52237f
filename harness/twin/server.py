"""`running_twin`: the twin served by uvicorn on a loopback port in a background thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from harness.serving import serve_asgi
from harness.twin.admin import TwinAdmin
from harness.twin.app import TwinApp, create_app
from harness.twin.config import TwinConfig


@dataclass(frozen=True)
class RunningTwin:
    base_url: str
    admin: TwinAdmin
    app: TwinApp

    @property
    def export_url(self) -> str:
        """Base URL of the Export API (what `G2A_API_URL` points at)."""
        return f"{self.base_url}/v1"

    @property
    def import_url(self) -> str:
        """Base URL of the Import API (`/oauth/token`, `/v3/...`)."""
        return self.base_url


@contextlib.contextmanager
def running_twin(
    config: TwinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningTwin]:
    """Serve a fresh twin on `host:port` (0 = ephemeral) for the duration of the block."""
    app = create_app(config)
    with serve_asgi(app, host, port) as base_url, TwinAdmin(base_url) as admin:
        yield RunningTwin(base_url, admin, app)
