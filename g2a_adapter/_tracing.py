"""OpenTelemetry spans for G2A attempts when the `otel` extra is installed; no-op otherwise.

Each HTTP attempt is a CLIENT span named `G2A {method} {route}` (templated route), child of
the caller's current span; its W3C `traceparent` goes to G2A in the request headers. The
receiver continues an inbound trace with a SERVER span per delivery; the delivery's context
travels with it to the worker thread, where its claim and its handler get child spans.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, StatusCode

    ENABLED = True
except ImportError:  # the otel extra is not installed
    ENABLED = False

if TYPE_CHECKING:
    from opentelemetry.trace import Span

T = TypeVar("T")
_FAILED = frozenset({"error", "outcome_unknown"})
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})


def start_attempt(
    method: str, route: str, attempt: int, purchase_step: str | None = None
) -> Span | None:
    if not ENABLED:
        return None
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.template": route,
        "g2a.attempt": attempt,
    }
    if purchase_step is not None:
        attributes["g2a.purchase.step"] = purchase_step
    return trace.get_tracer("g2a_adapter").start_span(
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
    if not ENABLED:
        yield
        return
    carrier = {
        k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers if k in _TRACE_HEADERS
    }
    tracer = trace.get_tracer("g2a_adapter")
    with tracer.start_as_current_span(
        name, context=propagate.extract(carrier), kind=SpanKind.SERVER
    ):
        yield


def annotate(span: Span | None, key: str, value: str) -> None:
    if span is not None:
        span.set_attribute(key, value)


def delivery_context() -> contextvars.Context | None:
    """The current context (holding the delivery's span), to carry into a worker thread."""
    return contextvars.copy_context() if ENABLED else None


@contextmanager
def child_spans(
    contexts: Sequence[contextvars.Context | None], name: str
) -> Iterator[list[Span | None]]:
    """One span `name` under each context's current span, over the block (a batched step)."""
    if not ENABLED:
        yield [None] * len(contexts)
        return
    tracer = trace.get_tracer("g2a_adapter")
    spans = [None if c is None else c.run(tracer.start_span, name) for c in contexts]
    try:
        yield spans
    except BaseException as exc:
        for span in spans:
            if span is not None:
                span.record_exception(exc)
                span.set_status(StatusCode.ERROR, type(exc).__name__)
        raise
    finally:
        for span in spans:
            if span is not None:
                span.end()


def in_context(
    context: contextvars.Context | None, name: str, call: Callable[[], T]
) -> Callable[[], T]:
    """`call`, run inside `context` (so its own spans join that trace) under a span `name`."""
    if context is None:
        return call

    def spanned() -> T:
        with trace.get_tracer("g2a_adapter").start_as_current_span(name):
            return call()

    return lambda: context.run(spanned)
