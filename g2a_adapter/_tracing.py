"""OpenTelemetry spans for G2A attempts when the `otel` extra is installed; no-op otherwise.

Each HTTP attempt is a CLIENT span named `G2A {method} {route}` (templated route), child of
the caller's current span; its W3C `traceparent` goes to G2A in the request headers. The
receiver continues an inbound trace with a SERVER span per delivery; the worker thread that
handles it runs in a copy of its context, where the claim and the handler get child spans.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, StatusCode

    ENABLED = True
except ImportError:  # the otel extra is not installed
    ENABLED = False

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer


def _recording() -> bool:
    """Whether spans go anywhere: the extra is installed and the service set a tracer
    provider (until then every span is a no-op, so none is made)."""
    return ENABLED and not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


@functools.cache
def _tracer() -> Tracer:
    """The adapter's tracer, looked up once (a lookup reads the environment); a proxy that
    follows the provider the service sets later."""
    return trace.get_tracer("g2a_adapter")


_FAILED = frozenset({"error", "outcome_unknown"})
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})


def start_attempt(
    method: str, route: str, attempt: int, purchase_step: str | None = None
) -> Span | None:
    if not _recording():
        return None
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.template": route,
        "g2a.attempt": attempt,
    }
    if purchase_step is not None:
        attributes["g2a.purchase.step"] = purchase_step
    return _tracer().start_span(
        f"G2A {method} {route}", kind=SpanKind.CLIENT, attributes=attributes
    )


def record_error(span: Span | None, code: str | None) -> None:
    """G2A's error code (`g2a.error_code`) on the attempt that ended the call."""
    if code is not None:
        annotate(span, "g2a.error_code", code)


def inject(span: Span | None, headers: dict[str, str]) -> None:
    """Add the span's `traceparent` (and `tracestate`) to outgoing headers."""
    if span is not None:
        propagate.inject(headers, context=trace.set_span_in_context(span))


def end_attempt(span: Span | None, status: int | None, outcome: str, retries: int) -> None:
    if span is None:
        return
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    span.set_attribute("g2a.outcome", outcome)
    span.set_attribute("g2a.retries", retries)
    if outcome in _FAILED:
        span.set_status(StatusCode.ERROR, outcome)
    span.end()


@contextmanager
def inbound(raw_headers: Iterable[tuple[bytes, bytes]], name: str) -> Iterator[None]:
    """A SERVER span for one delivery, continuing the sender's trace (ASGI raw headers)."""
    if not _recording():
        yield
        return
    carrier = {
        k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers if k in _TRACE_HEADERS
    }
    tracer = _tracer()
    with tracer.start_as_current_span(
        name, context=propagate.extract(carrier), kind=SpanKind.SERVER
    ):
        yield


def annotate(span: Span | None, key: str, value: str) -> None:
    if span is not None:
        span.set_attribute(key, value)


@contextmanager
def span(name: str) -> Iterator[Span | None]:
    """A span `name` under the current one, over the block; an exception marks it failed."""
    if not _recording():
        yield None
        return
    with _tracer().start_as_current_span(name) as current:
        yield current
