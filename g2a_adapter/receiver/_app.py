"""The receiver: a Starlette app for G2A's inbound surfaces, health and metrics.

Routes: `POST /webhooks/g2a` (signed order events), `POST /webhooks/g2a-pay` (G2A Pay IPN),
`GET /oauth/token` (tokens for seller callbacks), `GET /healthcheck` (the seller contract's
bearer-protected probe), `GET /healthz`, `GET /metrics`. Every rejection is JSON
`{"error": reason}` with a 4xx status; a 500 only ever means a bug or a failing handler.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from pydantic import SecretStr

try:
    import anyio.to_thread
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    from starlette.types import ASGIApp, Receive, Scope, Send
except ModuleNotFoundError as exc:  # the receiver extra is not installed
    raise ModuleNotFoundError(
        f"the receiver app needs {exc.name}: install g2a-adapter[receiver]", name=exc.name
    ) from None

from g2a_adapter import _tracing
from g2a_adapter._errors import (
    ConfigError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    StoreUnavailableError,
    WebhookRejectedError,
)
from g2a_adapter._observability import Metrics
from g2a_adapter.idempotency import EMBEDDED_BACKENDS, open_store
from g2a_adapter.idempotency._base import IdempotencyStore
from g2a_adapter.receiver._blocking import BlockingRunner
from g2a_adapter.receiver._health import HealthChecker, SupportsTtl, store_check, token_check
from g2a_adapter.receiver._ipn import MAX_IPN_BYTES, IpnNotification, IpnVerifier, parse_form
from g2a_adapter.receiver._seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._webhooks import (
    HandleResult,
    Inbound,
    ProcessOnce,
    WebhookEvent,
    WebhookHandler,
    WebhookVerifier,
    record_rejection,
)
from g2a_adapter.wire import WEBHOOK_HEADERS

logger = logging.getLogger("g2a_adapter")

PROCESSED_EVENTS_KEPT = 10_000
WEBHOOK_PATH = "/webhooks/g2a"
_PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
_FORM = "application/x-www-form-urlencoded"


class ReceiverSettings(Protocol):
    """What the receiver reads from `g2a_adapter.Settings`."""

    @property
    def api_hash(self) -> str: ...
    @property
    def api_key(self) -> SecretStr: ...
    @property
    def webhook_tolerance_seconds(self) -> int: ...
    @property
    def idempotency_url(self) -> str: ...
    def webhook_secrets(self) -> list[str]: ...


_PROCESSED_HEAD = b'{"status":"processed","event_id":'
_DUPLICATE_HEAD = b'{"status":"duplicate","event_id":'
_JSON_CONTENT_TYPE = (b"content-type", b"application/json")
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode  # built once: json.dumps with
# arguments builds an encoder per call


async def _send_answer(send: Send, result: HandleResult) -> None:
    """`JSONResponse({"status": …, "event_id": …})` byte for byte, from pre-encoded parts."""
    head = _PROCESSED_HEAD if result.status == "processed" else _DUPLICATE_HEAD
    body = head + _JSON_TEXT(result.event_id).encode() + b"}"
    headers = [(b"content-length", str(len(body)).encode()), _JSON_CONTENT_TYPE]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error(reason: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


_SIGNED_HEADERS = {name.lower().encode("latin-1"): name for name in WEBHOOK_HEADERS}


def _delivery_headers(raw: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str]:
    """The `X-G2A-*` headers by their names, and Content-Length; of repeated ones, the first.

    One pass over the raw list: Starlette's `Headers` scans and decodes it per lookup.
    """
    found: dict[str, str] = {}
    declared = ""
    for name, value in raw:
        wanted = _SIGNED_HEADERS.get(name)
        if wanted is not None:
            if wanted not in found:
                found[wanted] = value.decode("latin-1")
        elif name == b"content-length" and not declared:
            declared = value.decode("latin-1")
    return found, declared


async def _read_body(receive: Receive, declared_length: str, limit: int) -> bytes:
    """The body, refusing (413) anything over `limit` without reading it all."""
    if declared_length.isdigit() and int(declared_length) > limit:
        raise WebhookRejectedError("oversized_body", 413)
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise WebhookRejectedError("oversized_body", 413)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


class _Receiver:
    """The route handlers, holding the collaborators they share."""

    def __init__(
        self,
        webhooks: WebhookHandler,
        ipn: IpnVerifier,
        ipn_handler: Callable[[IpnNotification], None],
        once: ProcessOnce,
        tokens: SellerTokenIssuer,
        health: HealthChecker,
        metrics: Metrics,
        max_body_bytes: int,
        blocking: BlockingRunner,
        webhook_runner: BlockingRunner,
    ) -> None:
        self.webhooks = webhooks
        self.ipn = ipn
        self.ipn_handler = ipn_handler
        self.once = once
        self.tokens = tokens
        self.health = health
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.blocking = blocking  # store calls and the service's handlers
        self.webhook_runner = webhook_runner  # `blocking`, or one running on the event loop

    def _rejected(self, exc: WebhookRejectedError, *, counted: bool) -> JSONResponse:
        if not counted:
            record_rejection(self.metrics, exc)
        return _error(exc.reason, exc.status_code)

    async def webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Signed events: a plain ASGI handler, as this is the route G2A calls the most."""
        with _tracing.inbound(scope["headers"], "G2A webhook delivery"):
            await self._webhook(scope, receive, send)

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers, declared_length = _delivery_headers(scope["headers"])
        try:
            body = await _read_body(receive, declared_length, self.max_body_bytes)
        except WebhookRejectedError as exc:
            response = self._rejected(exc, counted=False)
        else:
            try:
                inbound = Inbound(headers, body, _tracing.delivery_context())
                result = await self.webhook_runner.run_batched(self.webhooks.handle_many, inbound)
            except WebhookRejectedError as exc:
                response = self._rejected(exc, counted=True)
            except Exception as exc:
                response = self._failure(exc)
            else:
                await _send_answer(send, result)
                return
        await response(scope, receive, send)

    async def g2a_pay(self, request: Request) -> Response:
        try:
            declared_length = request.headers.get("content-length", "")
            body = await _read_body(request.receive, declared_length, MAX_IPN_BYTES)
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != _FORM:
                raise WebhookRejectedError("malformed_body", 400, "not form-encoded")
            notification = self.ipn.verify(parse_form(body))
        except WebhookRejectedError as exc:
            return self._rejected(exc, counted=False)
        event_type = f"ipn.{notification.status}"
        try:
            ran = await self.blocking.run(
                lambda: self.once.run(
                    notification.idempotency_key, body, lambda: self.ipn_handler(notification)
                )
            )
        except Exception as exc:
            self.metrics.webhook_events_total.labels(event_type, _outcome(exc)).inc()
            return self._failure(exc)
        status = "processed" if ran else "duplicate"
        self.metrics.webhook_events_total.labels(event_type, status).inc()
        return JSONResponse({"status": status, "transaction_id": notification.transaction_id})

    def _failure(self, exc: Exception) -> JSONResponse:
        if isinstance(exc, IdempotencyInProgressError):
            return _error("in_progress", 409, {"Retry-After": "1"})
        if isinstance(exc, IdempotencyConflictError):
            return _error("event_conflict", 409)
        if isinstance(exc, StoreUnavailableError):
            logger.error("g2a.receiver.store_unavailable", extra={"backend": exc.backend})
            return _error("store_unavailable", 503, {"Retry-After": "5"})
        logger.exception("g2a.receiver.handler_failed")
        return _error("handler_failed", 500)

    async def token(self, request: Request) -> Response:
        query = request.query_params
        try:
            issued = self.tokens.issue(
                query.get("grant_type"), query.get("client_id"), query.get("client_secret")
            )
        except TokenRequestError as exc:
            return _error(exc.error, exc.status_code)
        return JSONResponse(issued.as_json(), headers={"Cache-Control": "no-store"})

    async def healthcheck(self, request: Request) -> Response:
        try:
            self.tokens.check(request.headers.get("authorization"))
        except TokenRequestError as exc:
            return _error(exc.error, 401, {"WWW-Authenticate": "Bearer"})
        return Response(status_code=204)

    async def healthz(self, request: Request) -> Response:
        report = await anyio.to_thread.run_sync(self.health.run)
        return JSONResponse(report.as_json(), status_code=200 if report.ok else 503)

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=_PROMETHEUS_TEXT)


class _AsgiEndpoint:
    """Serves a bound ASGI method as it is (Starlette wraps a method endpoint as a
    request/response handler, with a second exception-handling layer per request).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


class _Shortcut:
    """Middleware sending one route's requests straight to its handler, before routing.

    For the route G2A calls the most: the route table still lists it (other methods get
    their 405 there), but its requests skip exception middleware and route matching, which
    cost about as much as the handler's own work on the event loop. The handler answers
    every outcome itself; anything it raises still reaches the server-error middleware.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        method: str,
        path: str,
        handler: Callable[[Scope, Receive, Send], Awaitable[None]],
    ) -> None:
        self.app = app
        self._method = method
        self._path = path
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == self._method
            and scope["path"][len(scope.get("root_path", "")) :] == self._path
        ):
            await self._handler(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _outcome(exc: Exception) -> str:
    if isinstance(exc, IdempotencyInProgressError):
        return "in_progress"
    if isinstance(exc, IdempotencyConflictError):
        return "conflict"
    return "failed"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return _error(reason, exc.status_code, dict(exc.headers or {}))


async def _internal_error(request: Request, exc: Exception) -> Response:
    return _error("internal_error", 500)  # a bug: Starlette still logs the traceback


def create_receiver_app(
    settings: ReceiverSettings,
    *,
    handler: Callable[[WebhookEvent], None] | None = None,
    store: IdempotencyStore | None = None,
    metrics: Metrics | None = None,
    token_probe: Callable[[], SupportsTtl] | None = None,
    ipn_handler: Callable[[IpnNotification], None] | None = None,
    max_body_bytes: int = 65536,
    health_timeout_s: float = 0.5,
    seller_token_ttl_seconds: int = 3600,
    handler_threads: int = 16,
    inline_webhooks: bool | None = None,
) -> Starlette:
    """The receiver app.

    Secrets: webhook signatures use `settings.webhook_secrets()` (required); the G2A Pay IPN
    secret is `settings.api_key`; seller callbacks authenticate with client id
    `settings.api_hash` and client secret `settings.api_key`. Without `store` the app opens
    `settings.idempotency_url` and closes it on shutdown. `token_probe` (e.g.
    `client.auth.token`) adds a token check to `/healthz`. Verification, store calls and
    the handlers run on up to `handler_threads` threads, in batches (`BlockingRunner`):
    signed events arriving together share two store calls (`WebhookHandler.handle_many`);
    `/healthz` keeps its own threads, so a hung store never delays its answer.

    With `inline_webhooks`, signed events are handled on the event loop instead, batched
    the same way (`BlockingRunner(0)`): a thread hand-over costs more than the work itself
    when nothing blocks. It is the default for the built-in handler over an embedded store
    (memory, SQLite); pass True only for a handler that never blocks, and an embedded store
    (`ConfigError` otherwise). Inline, a delivery of an event that another process is
    handling gets 409 `in_progress` at once instead of waiting for it, and an SQLite file
    that other processes write makes the loop wait for their transactions (each a few
    statements long).
    """
    secrets = settings.webhook_secrets()
    if not secrets:
        raise ConfigError("G2A_WEBHOOK_SECRET is required by the receiver")
    owns_store = store is None
    active_store = store if store is not None else open_store(settings.idempotency_url)
    metrics = metrics or Metrics()
    processed: deque[str] = deque(maxlen=PROCESSED_EVENTS_KEPT)
    processed_payments: deque[str] = deque(maxlen=PROCESSED_EVENTS_KEPT)
    verifier = WebhookVerifier(
        secrets,
        active_store,
        tolerance_seconds=settings.webhook_tolerance_seconds,
        max_body_bytes=max_body_bytes,
    )
    embedded = active_store.backend in EMBEDDED_BACKENDS
    inline = (handler is None and embedded) if inline_webhooks is None else inline_webhooks
    if inline and not embedded:
        raise ConfigError(
            f"inline_webhooks needs an embedded store ({', '.join(sorted(EMBEDDED_BACKENDS))}), "
            f"not {active_store.backend}: its calls would block the event loop"
        )
    once = ProcessOnce(active_store)
    webhooks = WebhookHandler(
        verifier,
        active_store,
        handler or (lambda event: processed.append(event.event_id)),
        metrics,
        # Inline, an event held elsewhere is not waited for: the event loop must not sleep.
        once=ProcessOnce(active_store, in_progress_wait_seconds=0) if inline else once,
    )
    blocking = BlockingRunner(handler_threads)
    api_key = settings.api_key.get_secret_value()
    checks = {"store": store_check(active_store)}
    if token_probe is not None:
        checks["token"] = token_check(token_probe)
    receiver = _Receiver(
        webhooks=webhooks,
        ipn=IpnVerifier(api_key),
        ipn_handler=ipn_handler or (lambda n: processed_payments.append(n.idempotency_key)),
        once=once,
        tokens=SellerTokenIssuer(settings.api_hash, api_key, ttl_seconds=seller_token_ttl_seconds),
        health=HealthChecker(checks, timeout_s=health_timeout_s),
        metrics=metrics,
        max_body_bytes=max_body_bytes,
        blocking=blocking,
        webhook_runner=BlockingRunner(0) if inline else blocking,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_store:
                active_store.close()

    exception_handlers: dict[Any, Any] = {HTTPException: _http_error, Exception: _internal_error}
    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, _AsgiEndpoint(receiver.webhook), methods=["POST"]),
            Route("/webhooks/g2a-pay", receiver.g2a_pay, methods=["POST"]),
            Route("/oauth/token", receiver.token, methods=["GET"]),
            Route("/healthcheck", receiver.healthcheck, methods=["GET"]),
            Route("/healthz", receiver.healthz, methods=["GET"]),
            Route("/metrics", receiver.prometheus, methods=["GET"]),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
        middleware=[
            Middleware(_Shortcut, method="POST", path=WEBHOOK_PATH, handler=receiver.webhook)
        ],
    )
    app.state.store = active_store
    app.state.metrics = metrics
    if handler is None:
        app.state.processed_events = processed
    if ipn_handler is None:
        app.state.processed_payments = processed_payments
    return app
