"""The receiver: a Starlette app for G2A's inbound surfaces, health and metrics.

Routes: `POST /webhooks/g2a` (signed order events), `POST /webhooks/g2a-pay` (G2A Pay IPN,
when an IPN handler is given), `GET /oauth/token` (tokens for seller callbacks),
`GET /healthcheck` (the seller contract's bearer-protected probe), `GET /healthz`,
`GET /metrics`, and G2A's declared-stock callbacks when a `SellerStock` is given
(`_seller_routes`). Every refusal is JSON `{"error": code}` with the status `REJECTIONS` gives
it (on the seller contract's routes, G2A's `{"code": code, "message"}`); a 500 only ever means
a bug or a failing handler. Signed deliveries reach worker threads in
batches (`_batches.Batches`: what waited for a busy thread goes together) and are handled by
`WebhookHandler.handle_each`, which gives each outcome out as soon as it is final; G2A Pay
IPNs wait for the same threads, one IPN to a hand-over. This module
is the one place that answers and counts refusals and deliveries: refusals in
`g2a_webhook_validation_failures_total{reason}`, verified deliveries in
`g2a_webhook_events_total{type, result}`.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, get_args

try:
    import anyio
    import anyio.to_thread
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
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
from g2a_adapter._metrics import Metrics
from g2a_adapter.idempotency import ProcessOnce, open_store, replay_guard_of
from g2a_adapter.receiver._batches import Batches
from g2a_adapter.receiver._body import read_body
from g2a_adapter.receiver._events import WebhookEvent
from g2a_adapter.receiver._handler import (
    Delivery,
    EventHandler,
    Outcome,
    TransactionalHandler,
    WebhookHandler,
    processed_or_duplicate,
)
from g2a_adapter.receiver._health import HealthChecker, store_check, token_check
from g2a_adapter.receiver._ipn import (
    IPN_STATUSES,
    MAX_IPN_BYTES,
    IpnNotification,
    IpnVerifier,
    parse_form,
)
from g2a_adapter.receiver._options import ReceiverOptions, ReceiverSettings
from g2a_adapter.receiver._plain_calls import call_plain
from g2a_adapter.receiver._rejections import REJECTIONS, reject
from g2a_adapter.receiver._seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._seller_routes import (
    SellerRoutes,
    check_bearer,
    in_seller_contract,
    seller_error,
)
from g2a_adapter.receiver._uvicorn_logs import keep_credentials_out_of_uvicorn_logs
from g2a_adapter.receiver._webhooks import WebhookVerifier

logger = logging.getLogger("g2a_adapter")

WEBHOOK_PATH = "/webhooks/g2a"
IPN_PATH = "/webhooks/g2a-pay"
_PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
_FORM = "application/x-www-form-urlencoded"
UNVERIFIED = "unverified"  # the events-counter type of a delivery the store could not check
STORE_UNAVAILABLE, HANDLER_FAILED = "store_unavailable", "handler_failed"
# Every `result` of `g2a_webhook_events_total` (the Metrics help text lists them): only a store
# outage is `store_unavailable`, which the G2AIdempotencyStoreDown alert watches; the service's
# own handler raising is `handler_failed`.
EVENT_RESULTS = (
    "processed",
    "duplicate",
    "in_progress",
    "conflict",
    HANDLER_FAILED,
    STORE_UNAVAILABLE,
)
WEBHOOK_EVENT_TYPES: tuple[str, ...] = get_args(WebhookEvent.model_fields["type"].annotation)


def _error(error: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=headers)


class _Payment(NamedTuple):
    """A G2A Pay IPN as received, and the context its steps run in."""

    content_type: str
    body: bytes
    context: contextvars.Context


class _Ipn(NamedTuple):
    """G2A Pay IPN: its verifier, its once-only engine and the service's handler."""

    verifier: IpnVerifier
    once: ProcessOnce
    handler: Callable[[IpnNotification], None]


def _failure(exc: Exception, delivery: Mapping[str, str]) -> tuple[str, JSONResponse]:
    """A verified delivery that could not be handled: its events-counter result and answer.
    `delivery` names it in the failure's log line (`event_type`, `event_id` or
    `transaction_id`; nothing before verification ends), in its text as well as its fields:
    a plain-text log shows only the text."""
    if isinstance(exc, IdempotencyInProgressError):
        return "in_progress", _error("in_progress", 409, {"Retry-After": "1"})
    if isinstance(exc, IdempotencyConflictError):
        return "conflict", _error("event_conflict", 409)
    named = "".join(f" {field}={value}" for field, value in delivery.items())
    if isinstance(exc, StoreUnavailableError):
        logger.error(  # the store's detail is masked where it is made
            "g2a.receiver.store_unavailable backend=%s detail=%r%s",
            exc.backend,
            exc.detail,
            named,
            extra={"backend": exc.backend, "detail": exc.detail, **delivery},
        )
        return STORE_UNAVAILABLE, _error("store_unavailable", 503, {"Retry-After": "5"})
    logger.error("g2a.receiver.handler_failed%s", named, exc_info=exc, extra=dict(delivery))
    return HANDLER_FAILED, _error("handler_failed", 500)


def _pay_secret(settings: ReceiverSettings) -> str:
    """G2A Pay's API secret, which keys the IPN hash (G2A Pay is not the marketplace API, and
    its secret is not G2A_API_KEY)."""
    secret = settings.pay_api_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigError(
            "the G2A Pay IPN route (an ipn_handler) needs G2A_PAY_API_SECRET, the API secret of "
            "your G2A Pay account, which keys the IPN hash (it is not G2A_API_KEY)"
        )
    return secret.get_secret_value()


def _count_from_zero(metrics: Metrics, event_types: Iterable[str]) -> None:
    """Export every bounded label set of the receiver's counters at 0 from the start.

    A labelled series otherwise appears on its first increment, already at 1, and Prometheus's
    `increase`/`rate` (which need two samples) never see that first refusal or failure.
    """
    for reason in REJECTIONS:
        metrics.webhook_validation_failures_total.labels(reason)
    for event_type in event_types:
        for result in EVENT_RESULTS:
            metrics.webhook_events_total.labels(event_type, result)
    metrics.webhook_events_total.labels(UNVERIFIED, STORE_UNAVAILABLE)


class _Receiver:
    """The route handlers, holding the collaborators they share."""

    def __init__(
        self,
        webhooks: WebhookHandler,
        ipn: _Ipn | None,
        tokens: SellerTokenIssuer,
        health: HealthChecker,
        metrics: Metrics,
        options: ReceiverOptions,
    ) -> None:
        self.webhooks = webhooks
        self.ipn = ipn
        self.tokens = tokens
        self.health = health
        self.metrics = metrics
        self.max_body_bytes = options.max_body_bytes
        # Handlers and store calls block: they run on threads of their own, never on the loop.
        self.workers = anyio.CapacityLimiter(options.handler_threads)
        self.deliveries = Batches(self._deliver_each, threads=self.workers)
        # One IPN at a time: their batches would save no commit, only queue a quick one
        # behind a slow handler while another thread is free.
        self.payments = Batches(self._pay_each, threads=self.workers, max_batch=1)
        metrics.webhook_handler_threads.set_function(lambda: self.workers.total_tokens)
        metrics.webhook_handler_threads_busy.set_function(lambda: self.workers.borrowed_tokens)
        metrics.webhook_deliveries_waiting.set_function(
            lambda: self.deliveries.waiting + self.payments.waiting
        )
        ipn_types = [f"ipn.{status}" for status in sorted(IPN_STATUSES)] if ipn else []
        _count_from_zero(metrics, [*WEBHOOK_EVENT_TYPES, *ipn_types])

    def refused(self, reason: str, message: str | None = None, detail: str = "") -> JSONResponse:
        """Answer and count a refusal, as `REJECTIONS` says: `{"error": code}`, or with a
        `message` the seller contract's `{"code": code, "message": message}`. Its log line
        adds the refusal's `detail` (a stale timestamp's age, the field at fault), quoted: it
        may quote what the request held."""
        self.metrics.webhook_validation_failures_total.labels(reason).inc()
        fields = {"reason": reason, **({"detail": detail} if detail else {})}
        shown = f" detail={detail!r}" if detail else ""
        logger.warning("g2a.webhook.rejected reason=%s%s", reason, shown, extra=fields)
        status, error = REJECTIONS[reason]
        if message is None:
            return _error(error, status)
        return JSONResponse({"code": error, "message": message}, status_code=status)

    def answered(self, event_type: str, status: str | Exception, ids: dict[str, str]) -> Response:
        """Count and answer a verified delivery's result; `ids` (its `event_id` or
        `transaction_id`) go into the answer, or name it in a failure's log line."""
        if isinstance(status, Exception):
            result, response = _failure(status, {"event_type": event_type, **ids})
            self.metrics.webhook_events_total.labels(event_type, result).inc()
            return response
        self.metrics.webhook_events_total.labels(event_type, status).inc()
        return JSONResponse({"status": status, **ids})

    async def webhook(self, request: Request) -> Response:
        with _tracing.inbound(request.scope["headers"], "G2A webhook delivery"):
            try:
                body = await read_body(request, self.max_body_bytes)
            except WebhookRejectedError as exc:
                return self.refused(exc.reason, detail=exc.detail)
            delivery = Delivery(request.headers, body, contextvars.copy_context())
            return await self.deliveries.submit(delivery)

    def _deliver_each(self, deliveries: list[Delivery]) -> Iterator[list[tuple[int, Response]]]:
        """verify → claim → handle → complete for each delivery, on a worker thread; the
        answers in groups, each as soon as its deliveries' outcomes are final."""
        for settled in self.webhooks.handle_each(deliveries):
            yield [(index, self._delivery_answer(outcome)) for index, outcome in settled]

    def _delivery_answer(self, outcome: Outcome) -> Response:
        """A signed delivery's answer, counted: its refusal, or its verified event's result."""
        event, result = outcome
        if isinstance(result, WebhookRejectedError):
            return self.refused(result.reason, detail=result.detail)
        if event is None:
            # Neither verified nor refused: the store could not record the nonce (an outage,
            # `store_unavailable`, which the alert watches), or verifying raised (a bug).
            assert isinstance(result, Exception)
            counted, response = _failure(result, {})
            self.metrics.webhook_events_total.labels(UNVERIFIED, counted).inc()
            return response
        status = result if isinstance(result, Exception) else result.status
        return self.answered(event.type, status, {"event_id": event.event_id})

    async def g2a_pay(self, request: Request) -> Response:
        try:
            body = await read_body(request, min(self.max_body_bytes, MAX_IPN_BYTES))
        except WebhookRejectedError as exc:
            return self.refused(exc.reason, detail=exc.detail)
        content_type = request.headers.get("content-type", "")
        payment = _Payment(content_type, body, contextvars.copy_context())
        return await self.payments.submit(payment)

    def _pay_each(self, payments: list[_Payment]) -> Iterator[list[tuple[int, Response]]]:
        """Each G2A Pay IPN of a batch, one after another on a worker thread, each answered
        as soon as it is handled."""
        for index, (content_type, body, context) in enumerate(payments):
            yield [(index, context.run(self._pay, content_type, body))]

    def _pay(self, content_type: str, body: bytes) -> Response:
        """verify → claim → handle → complete for a G2A Pay IPN, on a worker thread."""
        assert self.ipn is not None  # the route is served only with an IPN handler
        verifier, once, handler = self.ipn
        try:
            if content_type.split(";")[0].strip().lower() != _FORM:
                raise reject("malformed_body", "not form-encoded")
            notification = verifier.verify(parse_form(body))
        except WebhookRejectedError as exc:
            return self.refused(exc.reason, detail=exc.detail)
        action = functools.partial(call_plain, handler, notification)
        status: str | Exception
        try:  # claim → handle → complete
            ran = once.run(notification.idempotency_key, notification.fingerprint, action)
            status = processed_or_duplicate(ran)
        except Exception as exc:
            status = exc
        ids = {"transaction_id": notification.transaction_id}
        return self.answered(f"ipn.{notification.status}", status, ids)

    async def token(self, request: Request) -> Response:
        query = request.query_params
        try:
            issued = self.tokens.issue(
                query.get("grant_type"), query.get("client_id"), query.get("client_secret")
            )
        except TokenRequestError as exc:
            return self.refused(exc.reason)
        return JSONResponse(issued.as_json(), headers={"Cache-Control": "no-store"})

    async def healthcheck(self, request: Request) -> Response:
        refusal = check_bearer(self.tokens, request, self.refused)
        return Response(status_code=204) if refusal is None else refusal

    async def healthz(self, request: Request) -> Response:
        report = await anyio.to_thread.run_sync(self.health.run)
        return JSONResponse(report.as_json(), status_code=200 if report.ok else 503)

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=_PROMETHEUS_TEXT)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method), in the body the path's caller reads."""
    assert isinstance(exc, HTTPException)
    reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    headers = dict(exc.headers or {})
    # The path within the receiver: mounted in a service's app (`Mount("/g2a", receiver)`),
    # the mount's prefix is the scope's `root_path`, not a route of G2A's contract.
    if not in_seller_contract(request.url.path.removeprefix(request.scope.get("root_path", ""))):
        return _error(reason, exc.status_code, headers)
    if reason == "method_not_allowed":
        message = f"{request.method} is not allowed here; allowed: {headers.get('Allow', '')}"
    elif reason == "not_found":
        message = "no such endpoint on this receiver"
    else:
        message = str(exc.detail)
    return seller_error(exc.status_code, reason, message, headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return _error("internal_error", 500)  # a bug: Starlette still logs the traceback


def create_receiver_app(
    settings: ReceiverSettings,
    handler: EventHandler | TransactionalHandler,
    *,
    options: ReceiverOptions = ReceiverOptions(),  # noqa: B008 - frozen, shared safely
) -> Starlette:
    """The receiver app: verified, once-only signed events go to `handler`.

    `handler` is a function of the `WebhookEvent` (run at least once per event id, on a
    worker thread, so it may block), or a `TransactionalHandler` whose writes commit with the
    event's completion (exactly once; SQL stores only, `ConfigError` otherwise).

    Secrets: webhook signatures use `settings.webhook_secrets()` (required); the G2A Pay IPN
    hash is keyed with `settings.pay_api_secret` (G2A Pay's API secret, required with an IPN
    handler); G2A's seller callbacks authenticate with `settings.seller_client_id` and
    `settings.seller_client_secret` (`G2A_SELLER_CLIENT_ID`/`_SECRET`, by default the API hash
    and key).
    """
    secrets = settings.webhook_secrets()
    if not secrets:
        raise ConfigError("G2A_WEBHOOK_SECRET is required by the receiver")
    pay_secret = _pay_secret(settings) if options.ipn_handler is not None else None
    tokens = SellerTokenIssuer(  # refuses empty credentials before there is a store to close
        settings.seller_client_id,
        settings.seller_client_secret.get_secret_value(),
        ttl_seconds=options.seller_token_ttl_seconds,
    )
    store = open_store(settings.idempotency_url) if options.store is None else options.store
    once = ProcessOnce(store, lease_seconds=options.claim_lease_seconds)
    try:
        verifier = WebhookVerifier(
            secrets,
            replay_guard_of(store),
            tolerance_seconds=settings.webhook_tolerance_seconds,
            max_body_bytes=options.max_body_bytes,
        )
        webhooks = WebhookHandler(verifier, store, handler, once=once)
    except BaseException:
        if options.store is None:
            store.close()
        raise
    metrics = options.metrics or Metrics()
    checks = {"store": store_check(store)}
    if options.token_probe is not None:
        checks["token"] = token_check(options.token_probe)
    ipn = None
    if options.ipn_handler is not None and pay_secret is not None:
        ipn = _Ipn(IpnVerifier(pay_secret), once, options.ipn_handler)
    receiver = _Receiver(
        webhooks=webhooks,
        ipn=ipn,
        tokens=tokens,
        health=HealthChecker(checks, timeout_s=options.health_timeout_s),
        metrics=metrics,
        options=options,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if options.store is None:  # opened here: closed here
                store.close()

    routes = [
        Route(WEBHOOK_PATH, receiver.webhook, methods=["POST"]),
        Route("/oauth/token", receiver.token, methods=["GET"]),
        Route("/healthcheck", receiver.healthcheck, methods=["GET"]),
        Route("/healthz", receiver.healthz, methods=["GET"]),
        Route("/metrics", receiver.prometheus, methods=["GET"]),
    ]
    if ipn is not None:
        routes.append(Route(IPN_PATH, receiver.g2a_pay, methods=["POST"]))
    if options.seller_stock is not None:
        seller = SellerRoutes(
            options.seller_stock,
            tokens=receiver.tokens,
            workers=receiver.workers,
            metrics=metrics,
            max_body_bytes=options.max_body_bytes,
            refused=receiver.refused,
        )
        routes.extend(seller.routes())
    exception_handlers: dict[Any, Any] = {HTTPException: _http_error, Exception: _internal_error}
    app = Starlette(routes=routes, exception_handlers=exception_handlers, lifespan=lifespan)
    # No redirect of `/path/` to `/path`: a 307 echoes the query (a client secret) back in a
    # Location built from the Host header, and is no `{"error": …}` answer.
    app.router.redirect_slashes = False
    # Whoever builds the server's config (`uvicorn_config`, the `uvicorn` command, gunicorn's
    # worker), its access lines never show the client secret G2A sends in a token call's query.
    keep_credentials_out_of_uvicorn_logs()
    app.state.store = store
    app.state.metrics = metrics
    return app
