"""Server-level limits for serving the receiver with uvicorn (h11).

uvicorn alone reads a request head of any size and keeps a half-sent request open for as long
as the client likes, so a few hundred stalled connections hold as many descriptors. These limits
close that: a request head larger than `max_header_bytes` is answered 431; a request not fully
received within `request_timeout_s` of its first byte (or, on a new connection, of the
connection) is answered 408 and closed; connections beyond `max_connections` are closed at once;
an idle keep-alive connection is closed after `keep_alive_s`. Use `uvicorn_config`:

    uvicorn.Server(uvicorn_config(app, ServerLimits(), host="0.0.0.0", port=8080)).run()

It also puts `_uvicorn_logs`'s filter on uvicorn's loggers (the receiver app does too), which
keeps the seller client secret out of access lines and trace records; uvicorn's trace lines
show bodies and headers only as their size or `<...>`, the token answer too.

It needs the `receiver` extra (uvicorn), so `g2a_adapter.receiver` loads it on first use.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

try:
    import h11
    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol
except ModuleNotFoundError as exc:  # the receiver extra is not installed
    raise ModuleNotFoundError(
        f"serving the receiver needs {exc.name}: install g2a-adapter[receiver]", name=exc.name
    ) from None

from g2a_adapter.receiver._uvicorn_logs import keep_credentials_out_of_uvicorn_logs

_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class ServerLimits:
    max_header_bytes: int = 16 * 1024
    request_timeout_s: float = 10.0
    max_connections: int = 512
    keep_alive_s: float = 5.0

    def __post_init__(self) -> None:
        if min(self.max_header_bytes, self.max_connections) < 1:
            raise ValueError("max_header_bytes and max_connections must be at least 1")
        if not all(0 < s < math.inf for s in (self.request_timeout_s, self.keep_alive_s)):
            raise ValueError("request_timeout_s and keep_alive_s must be positive and finite")
        if self.keep_alive_s < 1 or not float(self.keep_alive_s).is_integer():
            raise ValueError(
                f"keep_alive_s must be a whole number of seconds, at least 1 (uvicorn counts "
                f"keep-alive in whole seconds), not {self.keep_alive_s:g}"
            )


def _protocol(limits: ServerLimits) -> type[H11Protocol]:
    class LimitedH11Protocol(H11Protocol):
        """uvicorn's h11 protocol with a head-size limit, a request deadline, a connection cap."""

        _head_bytes = 0
        _head_tail = b""  # the last bytes read of the head, which may begin its ending
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.close()  # over the cap: refuse before reading anything
                return
            self._start_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_deadline()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:  # still reading a request head
                if self._deadline is None:  # the first byte of a request on a kept-alive line
                    self._start_deadline()
                if self._head_size(data) > limits.max_header_bytes:
                    self._refuse(431, "request_header_fields_too_large")
                    return
            super().data_received(data)
            if self.conn.their_state is h11.DONE:
                self._stop_deadline()  # the whole request arrived in time

        def _head_size(self, data: bytes) -> int:
            """The bytes of the request head read so far, `data` included; at the head's end,
            counting starts again for the next request. The blank line ending the head may
            span two reads: it is searched for from the end of the previous one."""
            carried = self._head_tail
            searched = carried + data
            end = searched.find(_HEAD_END)
            if end < 0:
                self._head_bytes += len(data)
                self._head_tail = searched[-(len(_HEAD_END) - 1) :]
                return self._head_bytes
            head = self._head_bytes + end + len(_HEAD_END) - len(carried)
            self._head_bytes, self._head_tail = 0, b""
            return head

        def _start_deadline(self) -> None:
            self._stop_deadline()
            self._head_bytes, self._head_tail = 0, b""
            self._deadline = self.loop.call_later(limits.request_timeout_s, self._timed_out)

        def _stop_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _timed_out(self) -> None:
            self._deadline = None
            if self.conn.their_state is not h11.DONE and not self.transport.is_closing():
                self._refuse(408, "request_timeout")

        def _refuse(self, status: int, reason: str) -> None:
            """Answer `{"error": reason}` when no response was started, then close."""
            self._stop_deadline()
            if self.cycle is None or not self.cycle.response_started:
                body = b'{"error":"' + reason.encode() + b'"}'
                self.transport.write(
                    b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
                    % (status, h11_reason(status), len(body), body)
                )
            if self.cycle is not None:
                self.cycle.disconnected = True
            self.transport.close()

    return LimitedH11Protocol


def h11_reason(status: int) -> bytes:
    return {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]


# The uvicorn options the limits set, and where each comes from: a caller's own would undo them.
_SET_BY_LIMITS = {
    "http": "h11 under the limits",
    "h11_max_incomplete_event_size": "from ServerLimits.max_header_bytes",
    "timeout_keep_alive": "from ServerLimits.keep_alive_s",
}


class _LimitedConfig(uvicorn.Config):
    """uvicorn's config under `limits`, pickled as the call that made it: uvicorn's `workers`
    are spawned processes that each unpickle the config, and the protocol class the limits make
    cannot cross as it is. Each process builds its own, and puts the query filter on its own
    loggers."""

    def __init__(self, app: Any, limits: ServerLimits, options: dict[str, Any]) -> None:
        super().__init__(
            app,
            http=_protocol(limits),
            h11_max_incomplete_event_size=limits.max_header_bytes,
            timeout_keep_alive=int(limits.keep_alive_s),
            **options,
        )
        self._made_of = (app, limits, options)
        keep_credentials_out_of_uvicorn_logs()

    def __reduce__(self) -> tuple[type[_LimitedConfig], tuple[Any, ServerLimits, dict[str, Any]]]:
        return _LimitedConfig, self._made_of


def uvicorn_config(app: Any, limits: ServerLimits, **options: Any) -> uvicorn.Config:
    """A uvicorn config serving `app` under `limits`, whose access lines never show the seller
    client secret. Every other uvicorn option passes through; one the limits set (`http`,
    `h11_max_incomplete_event_size`, `timeout_keep_alive`) is a `TypeError` naming its source.
    With `workers` (and `app` an import string) it serves under uvicorn's process supervisor,
    each worker under the same limits."""
    for name, source in _SET_BY_LIMITS.items():
        if name in options:
            raise TypeError(f"uvicorn_config sets {name} itself ({source}): leave it out")
    return _LimitedConfig(app, limits, options)
