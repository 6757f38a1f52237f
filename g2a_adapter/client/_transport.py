"""The only module that does network I/O: send one prepared request, sync or async.

A failed send never raises an httpx exception upward: it becomes a `Failure` that says why
and whether the request may have reached the server, so the pure core can decide between a
retry, a `TransportError` and an `OutcomeUnknownError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from g2a_adapter._errors import OutcomeUnknownError, TransportError

# (exception type, reason label, may the request have reached the server?) — most specific first.
_CLASSIFICATION: tuple[tuple[type[Exception], str, bool], ...] = (
    (httpx.ConnectTimeout, "connect_timeout", False),
    (httpx.ConnectError, "connect_error", False),
    (httpx.PoolTimeout, "pool_timeout", False),
    (httpx.LocalProtocolError, "local_protocol_error", False),
    (httpx.UnsupportedProtocol, "unsupported_protocol", False),
    (httpx.ReadTimeout, "read_timeout", True),
    (httpx.WriteTimeout, "write_timeout", True),
    (httpx.ReadError, "connection_reset", True),
    (httpx.RemoteProtocolError, "connection_reset", True),
    (httpx.WriteError, "write_error", True),
    # Raw socket errors from custom transports (e.g. an in-process ASGI app dropping the call).
    (ConnectionRefusedError, "connect_error", False),
    (ConnectionResetError, "connection_reset", True),
    (BrokenPipeError, "connection_reset", True),
)


@dataclass(frozen=True, slots=True)
class Failure:
    """A send that produced no HTTP answer."""

    reason: str
    sent: bool  # the request may have reached the server

    def to_error(self, method: str, path: str, *, idempotent: bool) -> TransportError:
        if self.sent and not idempotent:
            return OutcomeUnknownError(
                f"{method} {path}: {self.reason} after the request was sent; "
                "its outcome is unknown, do not repeat it blindly"
            )
        return TransportError(f"{method} {path}: {self.reason}")


def classify(exc: httpx.TransportError | OSError) -> Failure:
    for kind, reason, sent in _CLASSIFICATION:
        if isinstance(exc, kind):
            return Failure(reason, sent)
    return Failure("transport_error", True)


class SyncTransport:
    """Sends through one pooled `httpx.Client` (keep-alive, per-attempt timeout)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def send(self, request: httpx.Request) -> httpx.Response | Failure:
        try:
            return self.client.send(request)
        except (httpx.TransportError, OSError) as exc:
            return classify(exc)

    def close(self) -> None:
        self.client.close()


class AsyncTransport:
    """Sends through one pooled `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, request: httpx.Request) -> httpx.Response | Failure:
        try:
            return await self.client.send(request)
        except (httpx.TransportError, OSError) as exc:
            return classify(exc)

    async def close(self) -> None:
        await self.client.aclose()
