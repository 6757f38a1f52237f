"""Serve an ASGI app with uvicorn on a loopback port in a background thread.

One definition for the twin (`running_twin`), the receiver under test, the BDD steps and the
gate's probe. The socket is bound before uvicorn starts, so the port is known at once (port 0 =
ephemeral); uvicorn picks uvloop and httptools when installed (`loop="auto"`, `http="auto"`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from g2a_adapter.receiver import ServerLimits, uvicorn_config
from harness.ports import address_family, http_url

_START_TIMEOUT_S = 10.0
_BACKLOG = 2048  # uvicorn's default
_POLL_S = 0.01
_STOP_GRACE_S = 1  # how long a stop waits for requests still answering before cancelling them


class _CancelledByStop(logging.Filter):
    """Leaves out uvicorn's ERROR records of the requests a stop cancels once its grace is
    over (a twin's answer a scenario delayed, still waiting when `g2a-harness run` stops at
    --max-time): the stop is the harness's own, no error of the app, and they printed a
    traceback on the run's terminal. Any other record of uvicorn passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError) and not (
            record.getMessage().endswith("timeout graceful shutdown exceeded")
        )


_CANCELLED_BY_STOP = _CancelledByStop()


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (port 0: a free one) and listening, for uvicorn to
    serve on; an `OSError` (port in use, unknown host) before anything is served or
    announced."""
    sock = socket.socket(address_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)  # now: a client that read the announced URL may connect at once
    except BaseException:
        sock.close()
        raise
    return sock


class ServerClosing(uvicorn.Server):
    """uvicorn's server, which runs `on_shutdown` (blocking; in a thread) as it shuts down:
    before it raises a SIGINT or SIGTERM it caught again, which may end the process."""

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_shutdown = on_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        await asyncio.to_thread(self.on_shutdown)


class ThreadedServer:
    """uvicorn serving `app` in a daemon thread: `start()`, `base_url`, `stop()`."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: ServerLimits | None = None,
    ) -> None:
        self._socket = bind_socket(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        options: dict[str, Any] = {
            "loop": "auto",
            "lifespan": "on",
            "access_log": False,
            "log_level": "warning",
            "timeout_graceful_shutdown": _STOP_GRACE_S,
        }
        if limits is None:
            config = uvicorn.Config(app, http="auto", **options)
        else:  # the receiver's serving limits (h11)
            config = uvicorn_config(app, limits, **options)
        self._server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(_CANCELLED_BY_STOP)  # added once
        self._exit: str = ""
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"asgi-{self.port}")

    @property
    def base_url(self) -> str:
        return http_url(self.host, self.port)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except SystemExit as exit_:  # uvicorn exits this way when the app's startup fails
            self._exit = f" (uvicorn exited with {exit_.code})"

    def start(self) -> None:
        """Return once the app accepts requests (its lifespan startup done); else raise."""
        self._thread.start()
        waiting = threading.Event()  # never set; counted waits, as freezegun may stop clocks
        for _ in range(int(_START_TIMEOUT_S / _POLL_S)):
            if self._server.started or not self._thread.is_alive():
                break
            waiting.wait(_POLL_S)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"the ASGI server on {self.base_url} did not start{self._exit}")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_START_TIMEOUT_S)
        self._socket.close()


def freeze_heap() -> None:
    """Exempt everything alive now (modules, the app, its data) from cyclic collection.

    Call it in a process that only serves, once the app is built: full collections then
    scan only what requests created, which keeps them short and tail latency flat.
    """
    gc.collect()
    gc.freeze()


@contextmanager
def serve_asgi(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Yield `http://host:port` while uvicorn serves `app`; stop it cleanly afterwards."""
    server = ThreadedServer(app, host, port)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()
