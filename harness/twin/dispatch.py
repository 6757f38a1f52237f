"""The API request path: log → fault → route → auth → rate limit → handler → answer.

A raw ASGI callable (no middleware stack) so the twin adds little over a bare app, and so a
fault can drop the connection itself (uvicorn's `send` exposes its transport).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus

from starlette.types import Receive, Scope, Send

from harness.masking import masked
from harness.twin import errors, export_api, import_api
from harness.twin.config import TwinConfig
from harness.twin.errors import ApiError, envelope, error_body
from harness.twin.faults import FaultAction
from harness.twin.protocol import JSON_HEADERS, Call, Reply, header_fields
from harness.twin.redact import masked_form
from harness.twin.runtime import Twin
from harness.twin.state import LOG_BODY_LIMIT, RequestRecord, TwinState

Handler = Callable[[Twin, Call, "str | None"], Reply]
ErrorBody = Callable[[str, str], bytes]  # (code, message) → the error body of the call's API
Authenticator = Callable[[Twin, Call], str] | None
Route = tuple[Handler, Authenticator]

logger = logging.getLogger("harness.twin")

TOKEN_PATH = "/oauth/token"

STATIC_ROUTES: dict[str, dict[str, Route]] = {
    "/v1/products": {"GET": (export_api.list_products, export_api.authenticate)},
    "/v1/order": {"POST": (export_api.create_order, export_api.authenticate)},
    TOKEN_PATH: {"POST": (import_api.issue_token, import_api.token_account)},
    "/v3/sales/offers": {
        "GET": (import_api.list_offers, import_api.authenticate),
        "POST": (import_api.create_offer, import_api.authenticate),
    },
}
PARAM_ROUTES: tuple[tuple[str, dict[str, Route]], ...] = (
    ("/v1/order/pay/", {"PUT": (export_api.pay_order, export_api.authenticate)}),
    ("/v1/order/details/", {"GET": (export_api.order_details, export_api.authenticate)}),
    ("/v1/order/key/", {"GET": (export_api.order_key, export_api.authenticate)}),
    ("/v3/sales/offers/", {"PATCH": (import_api.update_offer, import_api.authenticate)}),
    ("/v3/jobs/", {"GET": (import_api.get_job, import_api.authenticate)}),
)

# Paths G2A may not serve (docs/g2a-api.md [?]): not operations of the twin, but answered, for
# any method, by a handler that gives the registered answer (`harness.twin.assumptions`).
UNCONFIRMED_ROUTES: tuple[tuple[str, Handler], ...] = (
    ("/v1/products/", export_api.product_by_path),
)


def _param(path: str, prefix: str) -> str | None:
    """The one path segment after `prefix`, or None."""
    param = path[len(prefix) :] if path.startswith(prefix) else ""
    return param if param and "/" not in param else None


def resolve(method: str, path: str) -> tuple[Route, str | None]:
    """The route for a call, or ApiError NOT_FOUND / METHOD_NOT_ALLOWED."""
    methods = STATIC_ROUTES.get(path)
    param = None
    if methods is None:
        for prefix, candidates in PARAM_ROUTES:
            if path.startswith(prefix):
                param = _param(path, prefix)
                if param is not None:
                    methods = candidates
                break
    if methods is None:
        for prefix, handler in UNCONFIRMED_ROUTES:
            param = _param(path, prefix)
            if param is not None:
                return (handler, None), param
        raise ApiError(errors.NOT_FOUND)
    route = methods.get(method)
    if route is None:
        raise MethodNotAllowed(tuple(methods))
    return route, param


class MethodNotAllowed(ApiError):
    """405, with the `Allow` header RFC 9110 requires."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(errors.METHOD_NOT_ALLOWED)
        self.allowed = allowed


def _record(state: TwinState, call: Call) -> RequestRecord:
    record = RequestRecord(
        state.next_request_id(),
        call.method,
        call.path,
        call.query,
        call.headers,
        call.body[:LOG_BODY_LIMIT],
        state.clock(),
    )
    state.requests.append(record)
    return record


def answer(twin: Twin, call: Call) -> Reply:
    """The twin's normal answer to a call (no faults)."""
    twin.settle()
    state = twin.state
    config = state.config
    try:
        (handler, authenticate), param = resolve(call.method, call.path)
        if authenticate is not None:
            call.client = authenticate(twin, call)
        if _spends_budget(twin, call):
            retry_after = state.limiter.check(
                _budget(call, config.rate_limit_scope),
                config.rate_limit,
                config.rate_window_seconds,
                state.clock(),
            )
            if retry_after is not None:
                limited = _api_error(config, call, ApiError(errors.BR03))
                body = _error_body(config, call, limited.spec.code, limited.message)
                return with_retry_after(body, retry_after, limited.spec.status)
        return handler(twin, call, param)
    except MethodNotAllowed as exc:
        allow = (b"allow", ", ".join(exc.allowed).encode())
        body = _error_body(config, call, exc.spec.code, exc.message)
        return Reply(exc.spec.status, body, (*JSON_HEADERS, allow))
    except ApiError as exc:
        refusal = _api_error(config, call, exc)
        body = _error_body(config, call, refusal.spec.code, refusal.message)
        return Reply(refusal.spec.status, body, JSON_HEADERS)


def _spends_budget(twin: Twin, call: Call) -> bool:
    """Whether a call counts against the rate limit: an authenticated API call does; a token
    request does when `token_rate_limited` is on and its client authenticates."""
    if call.path == TOKEN_PATH and not twin.config.token_rate_limited:
        return False
    return bool(call.client)


def _api(call: Call) -> str:
    """The API a call goes to: "import" (`/v3` and its token endpoint) or "export"."""
    return "import" if call.path.startswith("/v3/") or call.path == TOKEN_PATH else "export"


def _budget(call: Call, scope: str) -> str:
    """The rate-limit budget an authenticated call spends: its account's, or its account's on
    the API it goes to when `rate_limit_scope` is "api"."""
    return call.client if scope == "account" else f"{_api(call)} {call.client}"


def _api_error(config: TwinConfig, call: Call, error: ApiError) -> ApiError:
    """`error` as the API the call went to answers it (the Import API: `import_errors`)."""
    return import_api.import_error(config, error) if _api(call) == "import" else error


def _error_body(config: TwinConfig, call: Call, code: str, message: str) -> bytes:
    """G2A's error envelope; on the Import API the body `import_error_body` names (`/v3`) or
    `token_error_body` names (`/oauth/token`, the code as its error word)."""
    if call.path == TOKEN_PATH:
        shape = config.token_error_body
    else:
        shape = config.import_error_body if _api(call) == "import" else "envelope"
    return error_body(shape, code, message)


def with_retry_after(body: bytes, retry_after: int, status: int = 429) -> Reply:
    """An error answer telling the client when to try again (a rate limit, a 503)."""
    headers = (*JSON_HEADERS, (b"retry-after", str(retry_after).encode()))
    return Reply(status, body, headers)


_SAMPLE_BODY = b'{"status": "ok", "data": [{"id": "1"}]}'
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
HTML_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"text/html; charset=utf-8"),)
MAINTENANCE_URL = "/maintenance"


def _html_page(status: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return _HTML_PAGE.format(status=status, reason=reason).encode()


def fault_reply(
    action: FaultAction, normal: Reply | None, error_body: ErrorBody = envelope
) -> Reply:
    """The answer a fault gives instead of the normal one (phase "after": `normal` is the
    answer the call earned, its effect already done). G2A's own errors (`status`,
    `rate_limit`) carry `error_body`: the body of the API the call went to."""
    kind, status = action.kind, action.status
    if action.retry_after is not None:  # a rate_limit, or a status fault given one
        return with_retry_after(error_body(action.code, action.message), action.retry_after, status)
    if kind in {"malformed", "truncated"}:
        whole = normal.body if normal is not None else _SAMPLE_BODY
        return Reply(status, whole[: max(1, len(whole) // 2)], JSON_HEADERS)
    if kind == "content_type":
        return Reply(status, normal.body if normal is not None else _SAMPLE_BODY, HTML_HEADERS)
    if kind == "empty":
        return Reply(status, b"", ())
    if kind == "html":
        return Reply(status, _html_page(status), HTML_HEADERS)
    if kind == "redirect":
        return Reply(status, b"", ((b"location", MAINTENANCE_URL.encode()),))
    return Reply(status, error_body(action.code, action.message), JSON_HEADERS)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_reply(send: Send, reply: Reply) -> None:
    headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def drop_connection(send: Send, receive: Receive, hang_seconds: float) -> None:
    """Hang (until the client leaves or `hang_seconds` pass), then close with no response.

    Under uvicorn the socket is reset (RST via SO_LINGER 0); in-process (ASGI transport)
    there is no socket, so the call fails with ConnectionResetError instead.
    """
    if hang_seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wait_disconnect(receive), hang_seconds)
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionResetError("twin fault: connection dropped without a response")
    if not transport.is_closing():
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_wait_disconnect(receive), 1.0)


@dataclass(frozen=True)
class _Arrival:
    """What a call notes when it arrives: the twin's generation and configuration. A reset
    that overtakes the call (the generation moved on) ends the world it was to run in."""

    generation: int
    config: TwinConfig


_RESET_MESSAGE = "The twin was reset while this call was in flight; it was dropped"


def _overtaken(twin: Twin, call: Call, arrival: _Arrival) -> Reply | None:
    """503 TWIN_RESET, in the error body of the call's API as configured when it arrived,
    if a reset overtook the call; else None."""
    if twin.generation == arrival.generation:
        return None
    return Reply(503, _error_body(arrival.config, call, "TWIN_RESET", _RESET_MESSAGE), JSON_HEADERS)


async def _with_fault(
    twin: Twin, call: Call, action: FaultAction, send: Send, receive: Receive, arrival: _Arrival
) -> Reply | None:
    """Apply a fault around the normal answer; None means the connection was dropped."""
    normal = answer(twin, call) if action.phase == "after" else None
    if action.kind == "latency":
        await asyncio.sleep(action.latency_ms / 1000)
        return _overtaken(twin, call, arrival) or normal or answer(twin, call)
    if action.kind in {"reset", "hang"}:
        hang = 0.0
        if action.kind == "hang":
            hang = action.latency_ms / 1000 if action.latency_ms else twin.config.hang_seconds
        await drop_connection(send, receive, hang)
        return None
    return fault_reply(action, normal, partial(_error_body, twin.config, call))


async def _reply(
    twin: Twin, call: Call, send: Send, receive: Receive, arrival: _Arrival
) -> Reply | None:
    """The call's answer (None: the connection was dropped), unless a reset overtook it."""
    dropped = _overtaken(twin, call, arrival)
    if dropped is not None:
        return dropped
    record = _record(twin.state, call)
    faults = twin.state.faults
    action = faults.select(call.method, call.path) if faults else None
    reply = (
        answer(twin, call)
        if action is None
        else await _with_fault(twin, call, action, send, receive, arrival)
    )
    if reply is not None:
        record.status = reply.status
    return reply


async def handle_api(twin: Twin, scope: Scope, receive: Receive, send: Send) -> None:
    started = time.perf_counter()
    arrival = _Arrival(twin.generation, twin.config)
    call = Call(
        method=scope["method"],
        path=scope["path"],
        query=scope["query_string"].decode("latin-1"),
        headers=header_fields(scope["headers"]),
        body=await _read_body(receive),
    )
    reply = await _reply(twin, call, send, receive, arrival)
    if reply is not None:
        await _send_reply(send, reply)
    if logger.isEnabledFor(logging.INFO):
        status = "-" if reply is None else str(reply.status)
        elapsed = (time.perf_counter() - started) * 1000
        secrets = twin.state.secrets
        path = masked(call.path, secrets)
        query = f"?{masked_form(call.query, secrets)}" if call.query else ""
        logger.info("%s %s%s %s %.1fms", call.method, path, query, status, elapsed)
