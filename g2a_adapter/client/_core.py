"""The sans-IO heart of both clients.

A call is described by a `Spec` (method, URL, body, how to parse the answer). `ClientCore.
exchange(spec)` is a generator — a *flow* — that yields `Action`s (send this request, sleep,
give me a token, run this store operation) and receives their results; it owns every rule:
headers, retries, 401 refresh, error mapping, parsing, logging and metrics. The sync and async
clients only differ in how they perform the actions (`client.py`), so no logic exists twice.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import httpx
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from g2a_adapter import _tracing
from g2a_adapter._config import Settings
from g2a_adapter._errors import (
    ApiAuthError,
    G2AApiError,
    G2AError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ResponseFormatError,
)
from g2a_adapter._logging import CALL_LOG_FORMAT, REQUEST_LOG_FORMAT, new_correlation_id
from g2a_adapter._masking import SecretMasker
from g2a_adapter._metrics import Metrics
from g2a_adapter._version import __version__
from g2a_adapter.client._models import AccessToken, ErrorEnvelope, json_number
from g2a_adapter.client._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from g2a_adapter.client._transport import Failure
from g2a_adapter.wire import export_authorization

if TYPE_CHECKING:
    from opentelemetry.trace import Span

T = TypeVar("T")
Api = Literal["export", "import", "oauth"]


# --- what a call is --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseStep:
    """The purchase a call serves: its step and its idempotency key's digest (never the key)."""

    step: str  # create | pay | reconcile_pay | poll | key
    key_digest: str


@dataclass(frozen=True, slots=True)
class Spec:
    """One logical API call; `parse` turns a 2xx body (bytes) into the typed result."""

    method: str
    url: str
    route: str  # low-cardinality label: "/v1/order/pay/{order_id}"
    parse: Callable[[bytes], Any]
    api: Api = "export"
    params: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    idempotent: bool = True
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers of this call
    purchase: PurchaseStep | None = None
    read_timeout: float | None = None  # seconds; None: the client's timeout
    # Parse a 2xx body whatever its Content-Type says: for an answer that cannot be asked for
    # again (the key), refusing a readable body over its label would throw the goods away.
    any_content_type: bool = False


@dataclass(slots=True)
class CallTrace:
    """What one call went through so far: its attempts and the last HTTP status."""

    correlation_id: str
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    status: int | None = None


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One HTTP attempt of a call, as its metrics, log record and span name it."""

    spec: Spec
    request: httpx.Request
    span: Span | None
    number: int  # 1-based
    correlation_id: str


# --- what a flow asks its driver to do --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    request: httpx.Request  # answered with httpx.Response | transport.Failure


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float  # answered with None


@dataclass(frozen=True, slots=True)
class NeedToken:
    force: bool  # answered with an AccessToken
    stale: AccessToken | None = None  # the token that was refused (single flight)


@dataclass(frozen=True, slots=True)
class StoreCall:
    operation: Callable[[], Any]  # a blocking idempotency-store call; answered with its result


Action: TypeAlias = Send | Sleep | NeedToken | StoreCall
Flow: TypeAlias = Generator[Action, Any, T]


# --- pure mapping of answers -----------------------------------------------------------------


_ERROR_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # ORD004, AUTH02, invalid_client, ...


def api_error(response: httpx.Response, mask: Callable[[str], str]) -> G2AError:
    """A non-2xx answer as the typed error, with G2A's code and the HTTP status."""
    status = response.status_code
    try:
        envelope = ErrorEnvelope.model_validate_json(response.content)
        code, message = mask(envelope.code), mask(envelope.message)
    except ValidationError:  # an outage page (empty, HTML, cut short): described, not echoed
        code, message = f"HTTP{status}", f"answer without G2A's error body ({_body_kind(response)})"
    if not _ERROR_CODE.fullmatch(code):  # it goes into errors, metrics and log lines as is
        code, message = f"HTTP{status}", f"{message} (error code unreadable)".strip()
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    # Any answer the retry policy retries that asks to wait (a 502/503/504 of maintenance or
    # overload) is caught like a rate limit, with the wait: one rule, the policy's statuses.
    asks_to_wait = status in RETRYABLE_STATUSES and retry_after is not None
    if status == 429 or code == "BR03" or asks_to_wait:
        return RateLimitedError(code, status, message, retry_after)
    if status == 401 or code.startswith("AUTH"):
        return ApiAuthError(code, status, message)
    return G2AApiError(code, status, message)


CANCELLED = "cancelled"  # the outcome of an attempt and a call their caller cut short


def outcome_of(error: G2AError) -> str:
    """`outcome_unknown` when the call may have taken effect, else `error`."""
    return "outcome_unknown" if isinstance(error, OutcomeUnknownError) else "error"


def error_code(error: G2AError) -> str | None:
    """G2A's error code (e.g. `ORD004`), when G2A answered with its error envelope; for an
    unknown outcome G2A answered (a 5xx to an order create), the code of that answer."""
    if isinstance(error, G2AApiError):
        return error.code
    answered = error.__cause__
    return answered.code if isinstance(answered, G2AApiError) else None


def _body_kind(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type") or "no content type"
    return f"{content_type}, {len(response.content)} bytes"


def _is_json(response: httpx.Response) -> bool:
    """True unless the answer names a media type other than JSON (a missing one is allowed)."""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media in ("", "application/json") or media.endswith("+json")


def _unreadable(spec: Spec, problem: str) -> G2AError:
    """An answer we cannot read: on a non-idempotent call G2A may have acted (e.g. created an
    order whose id we now do not know), so that is an unknown outcome, not a format nit."""
    problem = f"{spec.method} {spec.route}: {problem}"
    if not spec.idempotent:
        return OutcomeUnknownError(f"{problem}; the call may have taken effect")
    return ResponseFormatError(problem)


def parse_body(spec: Spec, response: httpx.Response) -> Any:
    """The typed result of a 2xx answer."""
    if not (spec.any_content_type or _is_json(response)):
        raise _unreadable(spec, f"2xx answer is not JSON ({_body_kind(response)})")
    try:
        return spec.parse(response.content)
    except (ValidationError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable(spec, "2xx answer does not match the documented shape") from exc


def _decimal_as_number(value: object) -> float:
    """A `Decimal` (a price, as the client reads them) goes out as a JSON number."""
    if not isinstance(value, Decimal):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return json_number(value)


def encode_json(body: dict[str, Any]) -> bytes:
    """A request body as strict JSON: a value JSON cannot carry (NaN, infinity, an object such
    as a `set`, a `Decimal` a float would round) is the caller's error, raised before anything
    is sent."""
    try:
        return json.dumps(body, allow_nan=False, default=_decimal_as_number).encode()
    except RecursionError:
        raise RequestValidationError("request body is nested too deeply for JSON") from None
    except (TypeError, ValueError) as exc:
        raise RequestValidationError(f"request body is not valid JSON: {exc}") from None


def json_dict(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except RecursionError:  # arrays or objects nested deeper than the parser's stack
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


# --- the core --------------------------------------------------------------------------------


class ClientCore:
    """Builds requests and runs the attempt loop of one call as a flow."""

    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics,
        retry: RetryPolicy,
        logger: logging.Logger,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.retry = retry
        self.logger = logger
        self._secrets = settings.secret_values()
        self.mask = SecretMasker(self._secrets)  # replaced when a new access token is accepted
        self._metric_series: dict[tuple[str, str, int | None, str], tuple[Counter, Histogram]] = {}
        self.import_url = settings.import_api_url
        self._export_url: str | None = None  # checked once, on the first Export call
        base = {"Accept": "application/json", "User-Agent": f"g2a-adapter/{__version__}"}
        self._headers: dict[Api, dict[str, str]] = {
            "export": {
                **base,
                "Authorization": export_authorization(
                    settings.api_hash, settings.api_key.get_secret_value()
                ),
            },
            "import": base,
            "oauth": base,
        }

    def mask_token(self, token: AccessToken) -> None:
        """Mask the current access token too (the one it replaces is no longer sent)."""
        self.mask = SecretMasker([*self._secrets, token.access_token.get_secret_value()])

    @property
    def export_url(self) -> str:
        """The Export API base; a ConfigError when the client is set up for the Import API."""
        if self._export_url is None:
            self._export_url = self.settings.export_api_url
        return self._export_url

    def _request(
        self, spec: Spec, correlation_id: str, token: AccessToken | None, span: Span | None
    ) -> httpx.Request:
        headers = dict(self._headers[spec.api])
        headers["X-Correlation-Id"] = correlation_id
        _tracing.inject(span, headers)
        headers.update(spec.headers)
        if token is not None:
            headers["Authorization"] = f"Bearer {token.access_token.get_secret_value()}"
        request = self._build(spec, headers)
        if spec.read_timeout is not None:
            timeout = httpx.Timeout(self.settings.timeout_seconds, read=spec.read_timeout)
            request.extensions["timeout"] = timeout.as_dict()
        return request

    @staticmethod
    def _build(spec: Spec, headers: dict[str, str]) -> httpx.Request:
        if spec.form is not None:
            return httpx.Request(spec.method, spec.url, headers=headers, data=spec.form)
        if spec.method in ("POST", "PUT", "PATCH"):
            headers["Content-Type"] = "application/json"
            content = b"" if spec.json is None else encode_json(spec.json)
            return httpx.Request(
                spec.method, spec.url, params=spec.params, headers=headers, content=content
            )
        return httpx.Request(spec.method, spec.url, params=spec.params, headers=headers)

    def exchange(self, spec: Spec) -> Flow[Any]:
        """Send `spec` with retries; return the parsed result or raise a typed error.

        Each attempt is logged at DEBUG; the call as a whole gets one INFO (or WARNING) line.
        """
        call = CallTrace(new_correlation_id())
        try:
            result = yield from self._attempts(spec, call)
        except G2AError as exc:
            self._log_call(spec, call, outcome_of(exc), exc)
            raise
        except GeneratorExit:  # the caller cancelled the call (see the clients' `_drive`)
            self._log_call(spec, call, CANCELLED)
            raise
        self._log_call(spec, call, "ok")
        return result

    def _attempts(self, spec: Spec, call: CallTrace) -> Flow[Any]:
        token: AccessToken | None = None
        if spec.api == "import":
            token = yield NeedToken(force=False)
        refreshed = False
        started = time.monotonic()
        while True:
            call.attempts += 1
            step = spec.purchase.step if spec.purchase is not None else None
            span = _tracing.start_attempt(spec.method, spec.route, call.attempts, step)
            request = self._request(spec, call.correlation_id, token, span)
            attempt = _Attempt(spec, request, span, call.attempts, call.correlation_id)
            sent_at = time.perf_counter()
            try:
                reply: httpx.Response | Failure = yield Send(request)
            except GeneratorExit:  # cancelled: the request may be on its way
                self._observe(attempt, None, time.perf_counter() - sent_at, CANCELLED)
                raise
            except G2AError as closed:  # the client was closed first: nothing was sent
                _tracing.end_attempt(span, None, outcome_of(closed), attempt.number - 1)
                raise
            latency = time.perf_counter() - sent_at
            if isinstance(reply, httpx.Response):
                status: int | None = reply.status_code
                call.status = status
                if reply.is_success:
                    try:
                        result = parse_body(spec, reply)
                    except G2AError as unreadable:
                        self._failed(attempt, status, latency, unreadable)
                        raise
                    self._observe(attempt, status, latency, "ok")
                    return result
                failure, retry_after = None, reply.headers.get("retry-after")
            else:  # no answer, or one whose body cannot be decoded (it keeps its status)
                status, failure, retry_after = reply.status, reply, None
                call.status = status
            if status == 401 and token is not None and not refreshed:
                self._observe(attempt, status, latency, "refresh")
                token = yield NeedToken(force=True, stale=token)
                refreshed = True
                continue
            decision = self.retry.decide(
                attempt.number,
                idempotent=spec.idempotent,
                status=status,
                failure=failure,
                retry_after=retry_after,
                elapsed=time.monotonic() - started,
            )
            if not decision.retry:
                error = self._error(spec, request, reply)
                self._failed(attempt, status, latency, error)
                raise error
            self._observe(attempt, status, latency, "retry", decision.delay)
            self.metrics.request_retries_total.labels(
                spec.method, spec.route, decision.reason
            ).inc()
            if decision.delay > 0 and self.retry.sleeps:
                yield Sleep(decision.delay)

    def _failed(
        self, attempt: _Attempt, status: int | None, latency: float, error: G2AError
    ) -> None:
        """The attempt that ends the call with `error`: its code on the span, its outcome."""
        _tracing.record_error(attempt.span, error_code(error))
        self._observe(attempt, status, latency, outcome_of(error))

    def _error(
        self, spec: Spec, request: httpx.Request, reply: httpx.Response | Failure
    ) -> G2AError:
        if isinstance(reply, Failure):
            if reply.answered:  # an answer whose body cannot be decoded: read like a bad 2xx
                return _unreadable(spec, f"answer body could not be decoded ({reply.reason})")
            path = self.mask(request.url.path)
            return reply.to_error(spec.method, path, idempotent=spec.idempotent)
        if reply.is_redirect:  # G2A's API does not redirect: a proxy or maintenance page does
            return _unreadable(spec, f"answered a redirect ({reply.status_code}), not G2A's API")
        answered = api_error(reply, self.mask)
        if not spec.idempotent and reply.status_code >= 500:
            unknown = OutcomeUnknownError(
                f"{spec.method} {self.mask(request.url.path)}: answered {reply.status_code} "
                "after the request was sent; the call may have taken effect"
            )
            unknown.__cause__ = answered  # G2A's answer: its code for the log line and span
            return unknown
        return answered

    def _series(
        self, method: str, route: str, status: int | None, outcome: str
    ) -> tuple[Counter, Histogram]:
        """The labelled metric children of one kind of attempt, looked up once."""
        key = (method, route, status, outcome)
        series = self._metric_series.get(key)
        if series is None:
            status_label = "none" if status is None else str(status)
            series = (
                self.metrics.requests_total.labels(method, route, status_label, outcome),
                self.metrics.request_duration_seconds.labels(method, route),
            )
            self._metric_series[key] = series
        return series

    def _observe(
        self,
        attempt: _Attempt,
        status: int | None,
        latency: float,
        outcome: str,
        retry_delay: float = 0.0,
    ) -> None:
        """Metrics and the one log record of an attempt (`retry_delay_ms`: wait before the next)."""
        spec = attempt.spec
        counter, histogram = self._series(spec.method, spec.route, status, outcome)
        counter.inc()
        histogram.observe(latency)
        _tracing.end_attempt(attempt.span, status, outcome, attempt.number - 1)
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        fields = {
            "method": spec.method,
            "route": spec.route,
            "path": self.mask(attempt.request.url.path),
            "status": status,
            "latency_ms": round(latency * 1000, 3),
            "attempt": attempt.number,
            "retries": attempt.number - 1,
            "correlation_id": self.mask(attempt.correlation_id),
            "outcome": outcome,
            "retry_delay_ms": round(retry_delay * 1000, 3),
        }
        self.logger.debug(REQUEST_LOG_FORMAT, fields, extra=fields)

    def _log_call(
        self, spec: Spec, call: CallTrace, outcome: str, error: G2AError | None = None
    ) -> None:
        """The one line of a call: INFO when it succeeded, WARNING when it did not."""
        level = logging.INFO if outcome == "ok" else logging.WARNING
        if not self.logger.isEnabledFor(level):
            return
        purchase = spec.purchase
        fields: dict[str, object] = {
            "method": spec.method,
            "route": spec.route,
            "status": call.status,
            "latency_ms": round((time.monotonic() - call.started) * 1000, 3),
            "attempts": call.attempts,
            "retries": max(0, call.attempts - 1),
            "outcome": outcome,
            "error": None if error is None else type(error).__name__,
            "error_code": None if error is None else error_code(error),
            "purchase_step": purchase.step if purchase is not None else None,
            "idempotency_key_digest": purchase.key_digest if purchase is not None else None,
            "correlation_id": self.mask(call.correlation_id),
        }
        shown = {name: "-" if value is None else value for name, value in fields.items()}
        self.logger.log(level, CALL_LOG_FORMAT, shown, extra=fields)
