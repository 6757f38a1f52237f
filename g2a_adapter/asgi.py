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

import anyio.to_thread
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from g2a_adapter.blocking import BlockingRunner
from g2a_adapter.errors import (
    ConfigError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    StoreUnavailableError,
    WebhookRejectedError,
)
from g2a_adapter.health import HealthChecker, SupportsTtl, store_check, token_check
from g2a_adapter.idempotency import open_store
from g2a_adapter.idempotency.base import IdempotencyStore
from g2a_adapter.ipn import MAX_IPN_BYTES, IpnNotification, IpnVerifier, parse_form
from g2a_adapter.observability import Metrics
from g2a_adapter.seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.signing import WEBHOOK_HEADERS
from g2a_adapter.webhooks import ProcessOnce, WebhookEvent, WebhookHandler, WebhookVerifier

logger = logging.getLogger("g2a_adapter")

PROCESSED_EVENTS_KEPT = 10_000
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


def _webhook_answer(status: str, event_id: str) -> Response:
    """`JSONResponse({"status": …, "event_id": …})` byte for byte, from pre-encoded parts."""
    head = _PROCESSED_HEAD if status == "processed" else _DUPLICATE_HEAD
    tail = json.dumps(event_id, ensure_ascii=False).encode()
    return Response(head + tail + b"}", media_type="application/json")


def _error(reason: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


_SIGNED_HEADERS = {name.lower().encode("latin-1"): name for name in WEBHOOK_HEADERS}


def _signed_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The `X-G2A-*` headers of a delivery (of repeated ones, the first), by their names.

    Cheaper than asking Starlette's `Headers`, which scans and decodes the raw list on
    every lookup: the verifier reads each of these once.
    """
    found: dict[str, str] = {}
    for name, value in raw:
        wanted = _SIGNED_HEADERS.get(name)
        if wanted is not None and wanted not in found:
            found[wanted] = value.decode("latin-1")
    return found


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything over `limit` without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise WebhookRejectedError("oversized_body", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WebhookRejectedError("oversized_body", 413)
        chunks.append(chunk)
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

    def _rejected(self, exc: WebhookRejectedError, *, counted: bool) -> JSONResponse:
        if not counted:
            self.metrics.webhook_validation_failures_total.labels(exc.reason).inc()
        return _error(exc.reason, exc.status_code)

    async def webhook(self, request: Request) -> Response:
        try:
            body = await _read_body(request, self.max_body_bytes)
        except WebhookRejectedError as exc:
            return self._rejected(exc, counted=False)
        headers = _signed_headers(request.scope["headers"])
        try:
            result = await self.blocking.run_batched(self.webhooks.handle_many, (headers, body))
        except WebhookRejectedError as exc:
            return self._rejected(exc, counted=True)
        except Exception as exc:
            return self._failure(exc)
        return _webhook_answer(result.status, result.event_id)

    async def g2a_pay(self, request: Request) -> Response:
        try:
            body = await _read_body(request, MAX_IPN_BYTES)
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
    """A request handler served as a plain ASGI app, for the hottest route.

    Starlette wraps a function endpoint in a second exception-handling layer per request;
    the app-level `ExceptionMiddleware` around every route already does that job.
    """

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handler(Request(scope, receive))
        await response(scope, receive, send)


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
    once = ProcessOnce(active_store)
    webhooks = WebhookHandler(
        verifier,
        active_store,
        handler or (lambda event: processed.append(event.event_id)),
        metrics,
        once=once,
    )
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
        blocking=BlockingRunner(handler_threads),
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
            Route("/webhooks/g2a", _AsgiEndpoint(receiver.webhook), methods=["POST"]),
            Route("/webhooks/g2a-pay", receiver.g2a_pay, methods=["POST"]),
            Route("/oauth/token", receiver.token, methods=["GET"]),
            Route("/healthcheck", receiver.healthcheck, methods=["GET"]),
            Route("/healthz", receiver.healthz, methods=["GET"]),
            Route("/metrics", receiver.prometheus, methods=["GET"]),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.store = active_store
    app.state.metrics = metrics
    if handler is None:
        app.state.processed_events = processed
    if ipn_handler is None:
        app.state.processed_payments = processed_payments
    return app
