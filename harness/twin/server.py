"""`running_twin`: the twin served by uvicorn on a loopback port in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from harness.twin.admin import TwinAdmin
from harness.twin.app import TwinApp, create_app
from harness.twin.config import TwinConfig

_START_TIMEOUT = 10.0


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


class TwinServer:
    """Start/stop a uvicorn server for an app in a daemon thread."""

    def __init__(self, app: TwinApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            loop="auto",
            http="auto",
            lifespan="on",
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name=f"twin-{self.port}",
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()
        started = threading.Event()

        def poll() -> None:
            while self._thread.is_alive() and not self._server.started:
                started.wait(0.01)

        poll()
        if not self._server.started:
            self.stop()
            raise RuntimeError("the twin did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_START_TIMEOUT)
        self._socket.close()


@contextlib.contextmanager
def running_twin(
    config: TwinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningTwin]:
    """Serve a fresh twin on `host:port` (0 = ephemeral) for the duration of the block."""
    app = create_app(config)
    server = TwinServer(app, host, port)
    server.start()
    try:
        with TwinAdmin(server.base_url) as admin:
            yield RunningTwin(server.base_url, admin, app)
    finally:
        server.stop()
