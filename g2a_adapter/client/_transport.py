"""The only module that does network I/O: send one prepared request, sync or async.

A failed send never raises an httpx exception upward: it becomes a `Failure` that says why
and whether the request may have reached the server, so the pure core can decide between a
retry, a `TransportError` and an `OutcomeUnknownError`. An answer whose body cannot be decoded
(a corrupt `Content-Encoding`) is a `Failure` too, marked `answered` and keeping the answer's
HTTP status (the body is read after the status line: `stream=True`, then `read()`): the core
reads it as an unreadable answer, like a 2xx whose JSON it cannot parse. A send the httpx
client refuses because the adapter's client was closed meanwhile (from another thread or task)
is `ClientClosedError`, as any call after `close()` is.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from g2a_adapter._errors import ClientClosedError, OutcomeUnknownError, TransportError

_CLOSED_UNDER_CALL = "the client was closed while this call was in flight"

# The one table of send failures, most specific first: (exception type, reason label, may the
# request have reached the server?, may trying again help?). A request httpx refuses to build
# or send (a protocol the client does not speak, an illegal header) fails the same way every
# time, so it is never retried.
_CLASSIFICATION: tuple[tuple[type[Exception], str, bool, bool], ...] = (
    (httpx.ConnectTimeout, "connect_timeout", False, True),
    (httpx.ConnectError, "connect_error", False, True),
    (httpx.PoolTimeout, "pool_timeout", False, True),
    (httpx.LocalProtocolError, "local_protocol_error", False, False),
    (httpx.UnsupportedProtocol, "unsupported_protocol", False, False),
    (httpx.ReadTimeout, "read_timeout", True, True),
    (httpx.WriteTimeout, "write_timeout", True, True),
    (httpx.ReadError, "connection_reset", True, True),
    (httpx.RemoteProtocolError, "connection_reset", True, True),
    (httpx.WriteError, "write_error", True, True),
    # Raw socket errors from custom transports (e.g. an in-process ASGI app dropping the call).
    (ConnectionRefusedError, "connect_error", False, True),
    (ConnectionResetError, "connection_reset", True, True),
    (BrokenPipeError, "connection_reset", True, True),
)


@dataclass(frozen=True, slots=True)
class Failure:
    """A send that produced no HTTP answer (or, `answered`, one whose body cannot be read)."""

    reason: str
    sent: bool  # the request may have reached the server
    transient: bool = True  # another try may succeed
    answered: bool = False  # the server answered, but its body could not be decoded
    status: int | None = None  # the HTTP status of that answer

    def to_error(self, method: str, path: str, *, idempotent: bool) -> TransportError:
        if self.sent and not idempotent:
            return OutcomeUnknownError(
                f"{method} {path}: {self.reason} after the request was sent; "
                "its outcome is unknown, do not repeat it blindly",
                reason=self.reason,
            )
        return TransportError(f"{method} {path}: {self.reason}", reason=self.reason)


def classify(
    exc: httpx.TransportError | httpx.DecodingError | OSError,
    response: httpx.Response | None = None,
) -> Failure:
    """The failure of a send, or of reading the body of `response` (its status line arrived)."""
    if isinstance(exc, httpx.DecodingError):
        # The server answered and so received the request; the same body would fail the same
        # way. The status stays what it answered (retried, counted as that status).
        status = None if response is None else response.status_code
        return Failure("undecodable_body", sent=True, transient=False, answered=True, status=status)
    if _certificate_refused(exc):
        return Failure("tls_certificate_error", sent=False, transient=False)
    for kind, reason, sent, transient in _CLASSIFICATION:
        if isinstance(exc, kind):
            return Failure(reason, sent, transient)
    return Failure("transport_error", True)


def _certificate_refused(exc: BaseException) -> bool:
    """Whether the TLS handshake refused the server's certificate (untrusted, expired, another
    host's): httpx raises a `ConnectError` from it, but no second attempt can succeed."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class SyncTransport:
    """Sends through one pooled `httpx.Client` (keep-alive, per-attempt timeout)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def send(self, request: httpx.Request) -> httpx.Response | Failure:
        response: httpx.Response | None = None
        try:
            response = self.client.send(request, stream=True)
            response.read()
            return response
        except (httpx.TransportError, httpx.DecodingError, OSError) as exc:
            return classify(exc, response)
        except RuntimeError:
            if not self.client.is_closed:
                raise
            raise ClientClosedError(_CLOSED_UNDER_CALL) from None
        finally:
            if response is not None:
                response.close()  # a no-op once read

    def close(self) -> None:
        self.client.close()


class AsyncTransport:
    """Sends through one pooled `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, request: httpx.Request) -> httpx.Response | Failure:
        response: httpx.Response | None = None
        try:
            response = await self.client.send(request, stream=True)
            await response.aread()
            return response
        except (httpx.TransportError, httpx.DecodingError, OSError) as exc:
            return classify(exc, response)
        except RuntimeError:
            if not self.client.is_closed:
                raise
            raise ClientClosedError(_CLOSED_UNDER_CALL) from None
        finally:
            if response is not None:
                await response.aclose()  # a no-op once read

    async def close(self) -> None:
        await self.client.aclose()
