"""`harness.serving`: the one uvicorn-in-a-thread server behind the twin, receiver and probes."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from machine_support import require
from starlette.types import Receive, Scope, Send

from harness.serving import ThreadedServer, serve_asgi


class LoopReporter:
    """Answers every request with its event loop's class; records its lifespan events."""

    def __init__(self, fail_startup: bool = False) -> None:
        self.fail_startup = fail_startup
        self.lifespan: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        loop = type(asyncio.get_running_loop())
        body = f"{loop.__module__}.{loop.__qualname__}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: dict[str, Any] = await receive()
            self.lifespan.append(message["type"])
            if message["type"] == "lifespan.startup":
                if self.fail_startup:
                    await send({"type": "lifespan.startup.failed", "message": "no database"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return


def test_serves_on_an_ephemeral_loopback_port_with_uvloop_and_stops_cleanly() -> None:
    app = LoopReporter()
    with serve_asgi(app) as base_url:
        url = httpx.URL(base_url)
        answer = httpx.get(f"{base_url}/anything", timeout=5)
        assert app.lifespan == ["lifespan.startup"]

    assert (url.scheme, url.host) == ("http", "127.0.0.1")
    assert url.port
    assert (answer.status_code, answer.text) == (200, "uvloop.Loop")
    assert app.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url, timeout=5)


def test_a_failed_startup_raises_and_releases_the_port() -> None:
    app = LoopReporter(fail_startup=True)
    server = ThreadedServer(app)
    expected = f"the ASGI server on {server.base_url} did not start (uvicorn exited with 3)"
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        server.start()

    assert app.lifespan == ["lifespan.startup"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url, timeout=5)


def _ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_an_ipv6_host_is_served_at_a_bracketed_url() -> None:
    require(_ipv6_loopback(), "this machine has no IPv6 loopback (::1)")
    with serve_asgi(LoopReporter(), host="::1") as base_url:
        assert re.fullmatch(r"http://\[::1\]:[0-9]+", base_url)
        assert httpx.get(f"{base_url}/anything", timeout=5).status_code == 200


def test_a_request_a_stop_cancels_leaves_no_error_on_the_terminal() -> None:
    """Found by a QA walkthrough: `g2a-harness run --max-time` stopping while the twin delayed
    an answer printed uvicorn's "Cancel 1 running task(s), timeout graceful shutdown
    exceeded" and an "Exception in ASGI application" traceback of the CancelledError."""
    import logging
    import threading

    class Waiting:
        def __init__(self) -> None:
            self.asked = threading.Event()

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.asked.set()
                await asyncio.sleep(30)

    app = Waiting()
    server = ThreadedServer(app)
    server.start()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(handler)
    statuses: list[int] = []
    try:
        client = threading.Thread(
            target=lambda: statuses.append(httpx.get(server.base_url, timeout=10).status_code)
        )
        client.start()
        assert app.asked.wait(10)
        server.stop()
        client.join(10)
    finally:
        uvicorn_errors.removeHandler(handler)
    assert statuses == [500]  # uvicorn's answer to a request it cancelled
    assert [(r.levelname, r.getMessage()) for r in records if r.levelno >= logging.ERROR] == []
