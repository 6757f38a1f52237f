"""The adapter's log lines: their formats and fields, correlation ids, and the filter that
masks secrets in any record."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import uuid
from contextvars import ContextVar

from g2a_adapter._masking import SecretMasker


def key_digest(idempotency_key: str) -> str:
    """How logs name an idempotency key: 128 bits of SHA-256 (the `X-Purchase-Key` value).

    Tells keys apart, reveals nothing, fits any header; never log the key itself.
    """
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


CALL_LOG_MESSAGE = "g2a.call"
# One readable line per G2A call under plain `logging.basicConfig()`: INFO when
# it succeeded, WARNING when it failed. Absent values show as `-`; the record attributes
# (CALL_LOG_FIELDS, for structured handlers) hold them as None. The idempotency key appears only
# as its digest (the `X-Purchase-Key` G2A receives), never as key material.
CALL_LOG_FORMAT = (
    CALL_LOG_MESSAGE + " %(method)s %(route)s status=%(status)s latency_ms=%(latency_ms).1f"
    " attempts=%(attempts)d retries=%(retries)d outcome=%(outcome)s error=%(error)s"
    " error_code=%(error_code)s purchase_step=%(purchase_step)s"
    " idempotency_key=%(idempotency_key_digest)s correlation_id=%(correlation_id)s"
)
CALL_LOG_FIELDS = (
    "method",
    "route",
    "status",
    "latency_ms",
    "attempts",
    "retries",
    "outcome",
    "error",
    "error_code",
    "purchase_step",
    "idempotency_key_digest",
    "correlation_id",
)

REQUEST_LOG_MESSAGE = "g2a.request"
# Each HTTP attempt at DEBUG (the same values as record attributes, REQUEST_LOG_FIELDS): what a
# retried call went through. Select records by `msg`.
REQUEST_LOG_FORMAT = (
    REQUEST_LOG_MESSAGE + " %(method)s %(route)s status=%(status)s latency_ms=%(latency_ms).1f"
    " attempt=%(attempt)d retries=%(retries)d outcome=%(outcome)s correlation_id=%(correlation_id)s"
)
REQUEST_LOG_FIELDS = (
    "method",
    "route",
    "path",
    "status",
    "latency_ms",
    "attempt",
    "retries",
    "correlation_id",
    "outcome",
    "retry_delay_ms",
)

correlation_id_var: ContextVar[str | None] = ContextVar("g2a_correlation_id", default=None)
"""Set it (e.g. from an inbound request id) to have the adapter send and log that id.

An id that is not 1-128 visible ASCII characters (letters, digits, punctuation; no spaces or
control characters) is not sent: the call gets a fresh id instead (see `new_correlation_id`).
"""

_CORRELATION_ID = re.compile(r"[\x21-\x7e]{1,128}")


def new_correlation_id() -> str:
    """The caller's correlation id if one is set in the context and valid, else a fresh one.

    The id travels as the `X-Correlation-Id` header and into log lines, and often comes from an
    inbound request (untrusted): an id that is not 1-128 visible ASCII characters could break
    the request or forge a header or log line, so it is replaced by a fresh id rather than
    failing the call (as request-id middlewares such as asgi-correlation-id do).
    """
    given = correlation_id_var.get()
    if given and _CORRELATION_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class MaskingFilter(logging.Filter):
    """A handler/logger filter that masks secrets in the message, its args, extra fields, the
    exception traceback and the stack.

    The adapter's own records are built masked already; attach this filter to handlers that
    also receive records from other libraries (httpx, your service) to keep every line safe.
    An exception is rendered into `exc_text` (what formatters print) and masked there; its
    `exc_info` is dropped, so no later formatter renders the unmasked traceback again.
    """

    def __init__(self, masker: SecretMasker) -> None:
        super().__init__()
        self._mask = masker

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a log call whose arguments do not fit: kept, never raised
            message = f"{record.msg} (log arguments that do not fit: {record.args!r})"
        record.msg = self._mask(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_PLUMBING:
                setattr(record, name, self._masked(value))
        return True

    def _masked(self, value: object) -> object:
        """An extra field masked, inside containers too; bytes become masked text, and so does
        any other object (an exception, a URL, a path) whose text holds a secret."""
        if value is None or isinstance(value, int | float):
            return value
        if isinstance(value, str):
            return self._mask(value)
        if isinstance(value, bytes | bytearray):
            return self._mask(bytes(value).decode("utf-8", "replace"))
        if isinstance(value, dict):
            return {self._masked(k): self._masked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        if isinstance(value, tuple | set | frozenset):  # a named tuple becomes a plain one
            plain = tuple if isinstance(value, tuple) else type(value)
            return plain(self._masked(item) for item in value)
        return self._masked_object(value)

    def _masked_object(self, value: object) -> object:
        """`value` itself, or its text masked when that holds a secret: its text as a JSON
        formatter prints it (`str`, `Type: message` for an exception, else `repr`). A dataclass
        that a JSON formatter would write with a field its repr hides (python-json-logger's
        encoder writes them all), or with a secret, becomes the fields its repr shows
        (`shown_fields`), masked; any other stays itself, for a text format and the handlers
        after this filter."""
        fields = shown_fields(value)
        if fields is not None and dataclasses.is_dataclass(value):
            masked_fields = self._masked(fields)
            hides_a_field = len(fields) < len(dataclasses.fields(value))
            if hides_a_field or masked_fields != fields:
                return masked_fields
        masked_text = self._masked_text(value)  # its text may show what no field holds
        return value if masked_text is None else masked_text

    def _masked_text(self, value: object) -> str | None:
        """`value`'s text masked, or None when it holds no secret."""
        text = _text(value)
        masked = self._mask(text)
        return None if masked == text else masked


def shown_fields(value: object) -> dict[str, object] | None:
    """A dataclass instance's fields that its repr shows as `name=repr(field)`, as dataclasses
    write one: never a `repr=False` field, nor one a `__repr__` of its own hides or masks
    (none of an unprintable one). None for anything but a dataclass instance."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return None
    try:
        shown = repr(value)
        values = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return {name: field for name, field in values.items() if f"{name}={field!r}" in shown}
    except Exception:  # an unprintable dataclass or field: it shows none
        return {}


def _text(value: object) -> str:
    for render in (_text_of, repr):
        try:
            return render(value)
        except Exception:  # noqa: S112 - an unprintable object: try the next rendering
            continue
    return f"<unprintable {type(value).__name__}>"


def _text_of(value: object) -> str:
    return f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else str(value)


_RECORD_PLUMBING = frozenset(
    {
        "name",
        "levelname",
        "pathname",
        "filename",
        "module",
        "funcName",
        "processName",
        "threadName",
        "taskName",
    }
)
_TRACEBACKS = logging.Formatter()  # renders `exc_info` as `logging.Formatter` does by default
