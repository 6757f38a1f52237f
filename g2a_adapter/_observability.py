"""Metrics and secret masking shared by the client, the webhook receiver and health.

Metrics live in a dedicated `CollectorRegistry` per `Metrics` instance, so services can mount
it (`GET /metrics`) without mixing it with their own default registry, and tests can assert
exact values on a fresh instance.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import logging
import math
import re
import string
import threading
import uuid
import weakref
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Protocol
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from g2a_adapter._line_breaks import LINE_BREAK, Unwrapped

MASK = "***"
# Up to twice the longest default timeout (G2A_KEY_TIMEOUT_MS, 60 s): a key fetch close to its
# timeout shows as such in the p99, which the lost-key runbook compares with that timeout.
_LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
)
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
# How a purchase ended (`g2a_purchases_total{result}`; client/_purchase_results.py decides):
# exported at 0 from the start, so a first failure is seen by `increase` and `rate`.
PURCHASE_RESULTS = (
    "completed",
    "replayed",
    "pending",
    "refused",
    "outcome_unknown",
    "key_lost",
    "in_progress",
    "conflict",
    "lease_lost",
    "store_unavailable",
    "closed",
    "failed",
)


class TokenTtlSource(Protocol):
    """What `g2a_token_ttl_seconds` reads of a client: its Import API token's seconds left."""

    def ttl_seconds(self) -> float: ...


class Metrics:
    """The documented Prometheus metrics (names pinned by tests and by the gate)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests_total = Counter(
            "g2a_requests_total",
            "HTTP attempts sent to G2A, by outcome",
            ["method", "route", "status", "outcome"],
            registry=self.registry,
        )
        self.request_retries_total = Counter(
            "g2a_request_retries_total",
            "Retries scheduled after a failed attempt, by reason",
            ["method", "route", "reason"],
            registry=self.registry,
        )
        self.request_duration_seconds = Histogram(
            "g2a_request_duration_seconds",
            "Latency of one HTTP attempt to G2A",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.token_ttl_seconds = Gauge(
            "g2a_token_ttl_seconds",
            "Seconds left before the cached Import API token expires: the lowest over the live "
            "clients of this Metrics that asked for one (0 for one without a token); NaN when "
            "none did (no token to watch)",
            registry=self.registry,
        )
        # Weak: a client that is garbage collected drops out without being released.
        self._token_ttl_sources: weakref.WeakSet[TokenTtlSource] = weakref.WeakSet()
        self._token_ttl_lock = threading.Lock()
        self.token_ttl_seconds.set_function(self._lowest_token_ttl)
        self.webhook_events_total = Counter(
            "g2a_webhook_events_total",
            "Webhook events, by type (order.paid, order.complete, ipn.<status>) and result: "
            "processed, duplicate, in_progress, conflict, handler_failed (the service's handler "
            "raised), store_unavailable (the idempotency store failed; a delivery it could not "
            "check is type unverified)",
            ["type", "result"],
            registry=self.registry,
        )
        self.webhook_validation_failures_total = Counter(
            "g2a_webhook_validation_failures_total",
            "Inbound requests refused, by reason (g2a_adapter.receiver.REJECTIONS: webhook and "
            "G2A Pay IPN deliveries, seller tokens)",
            ["reason"],
            registry=self.registry,
        )
        self.seller_calls_total = Counter(
            "g2a_seller_calls_total",
            "G2A's declared-stock calls to the receiver, by call (reserve, renew, cancel, order, "
            "inventory, give_back, file, account, notify) and the HTTP status answered",
            ["call", "status"],
            registry=self.registry,
        )
        # Read when scraped, from the receiver's worker threads (`create_receiver_app`).
        self.webhook_handler_threads = Gauge(
            "g2a_webhook_handler_threads",
            "Worker threads the receiver runs deliveries on (ReceiverOptions.handler_threads)",
            registry=self.registry,
        )
        self.webhook_handler_threads_busy = Gauge(
            "g2a_webhook_handler_threads_busy",
            "Receiver worker threads running deliveries now",
            registry=self.registry,
        )
        self.webhook_deliveries_waiting = Gauge(
            "g2a_webhook_deliveries_waiting",
            "Deliveries (signed webhooks and G2A Pay IPN) waiting for a free receiver worker "
            "thread",
            registry=self.registry,
        )
        self.key_delivery_lost_total = Counter(
            "g2a_key_delivery_lost_total",
            "Paid orders whose key G2A handed out to an answer that never arrived",
            registry=self.registry,
        )
        self.purchase_orders_abandoned_total = Counter(
            "g2a_purchase_orders_abandoned_total",
            "Order creates of a purchase given up after an unknown outcome (never paid)",
            registry=self.registry,
        )
        self.purchases_total = Counter(
            "g2a_purchases_total",
            "Purchases (G2AClient.purchase) by how they ended: "
            + ", ".join(PURCHASE_RESULTS)
            + " (docs/operations.md says what each means)",
            ["result"],
            registry=self.registry,
        )
        for result in PURCHASE_RESULTS:
            self.purchases_total.labels(result=result)

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)

    def track_token_ttl(self, source: TokenTtlSource) -> None:
        """Count `source` in `g2a_token_ttl_seconds` until it is released or collected."""
        with self._token_ttl_lock:
            self._token_ttl_sources.add(source)

    def release_token_ttl(self, source: TokenTtlSource) -> None:
        with self._token_ttl_lock:
            self._token_ttl_sources.discard(source)

    def _lowest_token_ttl(self) -> float:
        with self._token_ttl_lock:
            sources = list(self._token_ttl_sources)
        return min((source.ttl_seconds() for source in sources), default=math.nan)


class SecretMasker:
    """Replaces every configured secret value, wherever it appears, with `***`.

    A secret is also matched as URLs, form bodies, JSON and XML write it (`_written_forms`): G2A
    takes the seller client secret in the query of `GET /oauth/token`, where `$` and `/` are
    percent-encoded, and an access log or an HTTP library's debug line prints that query. In
    base64 (an HTTP Basic `Authorization` header holds `base64(client_id:secret)`), the whole
    base64 word that carries the secret is masked (`_base64_cores`), its `/` written as is or
    as JSON `\\/` (PHP's `json_encode` default), and wrapped over lines too (PEM, MIME), maybe
    indented or inside a JSON string: it then runs on into each next line that holds nothing
    else.
    """

    def __init__(self, secrets: Iterable[str], *, mask: str = MASK) -> None:
        """`mask` replaces each secret (`***` by default; a report may have its own word)."""
        self._mask = mask
        given = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
        self._pattern = _any_of(
            {form for s in given for form in _written_forms(s)},
            json_forms={form for s in given for form in _json_forms(s)},
        )
        self._base64 = _any_of({core for s in given for core in _base64_cores(s)})

    def __call__(self, text: str) -> str:
        if self._base64 is not None:
            text = self._mask_base64_words(text, self._base64)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda _: self._mask, text)  # the mask as is, never a template

    def _mask_base64_words(self, text: str, cores: re.Pattern[str]) -> str:
        """`text` with each base64 word that holds a secret's core replaced by `***`. A core
        is also found across line breaks; the word that holds it then runs over them too."""
        unwrapped = Unwrapped(text)
        pieces: list[str] = []
        done = 0
        for hit in cores.finditer(unwrapped.joined):
            start, end = unwrapped.span_in_text(*hit.span())
            if start < done:  # inside a word masked already
                continue
            wrapped = end - start > len(hit.group())
            start = _base64_word_start(unwrapped, start, done, wrapped)
            word_end = (_WRAPPED_BASE64_WORD_END if wrapped else _BASE64_WORD_END).match(text, end)
            pieces += [text[done:start], self._mask]
            done = word_end.end() if word_end else end
        return "".join([*pieces, text[done:]])


def _base64_word_start(unwrapped: Unwrapped, hit_start: int, done: int, wrapped: bool) -> int:
    """Back from `hit_start` to the start of its base64 word (over line breaks if `wrapped`),
    never before `done`, nor into a JSON escape (`\\t`, `\\u00e9`) just before the word."""
    text, start = unwrapped.text, hit_start
    while start > done:
        line_end = unwrapped.break_ending_at(start)
        if line_end is not None:  # a word runs on before a break only where it is wrapped
            if not (wrapped and line_end > done and text[line_end - 1] in _BASE64_WORD_CHARS):
                break
            start = line_end
        elif text[start - 1] in _BASE64_WORD_CHARS or (
            text[start - 1] == "\\" and text[start : start + 1] in ("/", "\\")
        ):
            start -= 1
        else:
            break
    escaped = _JSON_ESCAPE_LETTERS.match(text, start) if text[start - 1 : start] == "\\" else None
    return min(escaped.end(), hit_start) if escaped else start


def _any_of(forms: Iterable[str], json_forms: Iterable[str] = ()) -> re.Pattern[str] | None:
    """One pattern matching any of `forms`, the longest first (so none is left half-masked). A
    run of backslashes in a form matches a run of any length, and a quote any backslashes
    before it: a repr doubles each backslash and may escape a quote, and a repr of a repr (an
    exception's, holding a body's) does so again. In `json_forms` (as `json.dumps` writes
    them), the hex of each `\\u` escape matches in either case, digit by digit: encoders
    differ, and a body may mix them."""
    written = [(form, False) for form in forms] + [(form, True) for form in json_forms]
    if not written:
        return None
    by_length = sorted(written, key=lambda written: len(written[0]), reverse=True)
    patterns = dict.fromkeys(_nested(form, json_escapes) for form, json_escapes in by_length)
    return re.compile("|".join(patterns))


def _nested(form: str, json_escapes: bool) -> str:
    pieces, done = [], 0
    for escape in _REPR_ESCAPE.finditer(form):
        quote = escape.group()[-1]
        loose = _ANY_BACKSLASHES + re.escape(quote) if quote in "'\"" else _SOME_BACKSLASHES
        pieces += [re.escape(form[done : escape.start()]), loose]
        done = escape.end()
        # an odd run ends in a `\\u` escape; an even one is escaped backslashes only
        hex_digits = _JSON_UNICODE_HEX.match(form, done) if json_escapes else None
        if hex_digits and quote == "\\" and len(escape.group()) % 2:
            pieces.append(f"u(?i:{hex_digits[1]})")
            done = hex_digits.end()
    return "".join([*pieces, re.escape(form[done:])])


_REPR_ESCAPE = re.compile(r"\\*['\"]|\\+")  # a quote and the backslashes before it; a run
# Each run of backslashes is matched from its start only, and whole (possessive): so masking
# stays linear on text full of them.
_SOME_BACKSLASHES = r"(?<!\\)\\++"
_ANY_BACKSLASHES = r"(?<!\\)\\*+"


_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")
# What a URL's user info leaves unencoded beside letters, digits and `-._~`: WHATWG's user
# info set, as httpx (`URL(password=...)`) and browsers write a password
_USER_INFO_SAFE = "!$%&'()*+,"
_JSON_UNICODE_HEX = re.compile(r"u([0-9a-f]{4})")  # what follows the `\\` of a `\\u` escape
_JSON_ESCAPE_LETTERS = re.compile(r"[bfnrt]|u[0-9a-fA-F]{4}")  # base64 letters, yet no word's
# A base64 word: standard or URL-safe alphabet, maybe percent-encoded (`%2F`, `%3D`), its `/`
# maybe written `\/` (JSON, the PHP way), with more backslashes in reprs of that.
_BASE64_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "+/-_%")
_BASE64_WORD_CHAR = r"[A-Za-z0-9+/_%-]|\\+/"
_BASE64_WORD_END = re.compile(rf"(?:{_BASE64_WORD_CHAR})*=*")
# A wrapped word runs on over a line break only into a line that holds nothing else (up to the
# next break, a closing quote or the end): a line that starts with a word and goes on stays.
_BASE64_LINE = rf"(?:{_BASE64_WORD_CHAR})+=*(?:{LINE_BREAK}|[\"']|$)"
_WRAPPED_BASE64_WORD_END = re.compile(rf"(?:{_BASE64_WORD_CHAR}|{LINE_BREAK}(?={_BASE64_LINE}))*=*")
_URL_SAFE = str.maketrans("+/", "-_")
# Shorter cores could turn up by chance in other base64 text; a secret of 7 bytes or more
# has a core this long at every alignment.
_MIN_BASE64_CORE = 8


def _written_forms(secret: str) -> set[str]:
    """`secret` as is, percent-encoded as URLs, queries, forms and a URL's user info write it
    (upper- and lower-case hex) and escaped as a JSON string: a handful of literals, so
    masking stays one regular-expression pass."""
    written_by_urls = {quote_plus(secret), quote(secret, safe=_USER_INFO_SAFE)}
    encoded = _percent_encoded(secret) | _lower_hex_too(written_by_urls)
    return encoded | _in_reprs({secret} | _json_forms(secret)) | _markup_forms(secret)


def _markup_forms(secret: str) -> set[str]:
    """`secret` as XML and HTML write it in text and attributes: `&`, `<`, `>` escaped, and
    the quotes as each writer does (a JUnit report, an HTML page of results)."""
    return {xml_escape(secret), xml_escape(secret, {'"': "&quot;"}), html.escape(secret)}


def _in_reprs(forms: set[str]) -> set[str]:
    """`forms` as written, and as Python's `repr` and `ascii` show them inside a str or bytes
    literal (`%r` of a logged body or dict): unprintable or non-ASCII characters escaped. How
    many backslashes and which quotes a repr escapes, `_any_of` leaves open."""
    shown = set(forms)
    for form in forms:
        shown |= {repr(form)[1:-1], ascii(form)[1:-1], repr(form.encode())[2:-1]}
    return shown


def _percent_encoded(value: str) -> set[str]:
    """`value` percent-encoded as a query (`/` too) and a path (`/` kept) write it."""
    return _lower_hex_too({quote(value, safe=""), quote(value)})


def _lower_hex_too(forms: set[str]) -> set[str]:
    """`forms` and each with its percent escapes in lower-case hex."""
    return forms | {_PERCENT_ESCAPE.sub(lambda m: m.group().lower(), form) for form in forms}


def _json_forms(secret: str) -> set[str]:
    """`secret` inside a JSON string, as JSON encoders write it: non-ASCII as is or as `\\u`
    escapes (whose hex `_any_of` matches in any case), `/` as is or as `\\/` (PHP's
    `json_encode` default; G2A's official client is PHP, and bodies echoed back carry its
    spelling)."""
    plain = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return plain | {form.replace("/", "\\/") for form in plain}


def _base64_cores(secret: str) -> set[str]:
    """The base64 characters that `secret` alone decides in `base64(prefix + secret)`, for each
    of the three alignments a prefix (such as `client_id:`) can give it, in the standard and
    the URL-safe alphabets, as written, percent-encoded and with `/` escaped as JSON may."""
    data = secret.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
        first = -(-8 * offset // 6)  # the first character holding no bit of the prefix
        end = 8 * (offset + len(data)) // 6  # the first holding a bit after the secret
        if end - first >= _MIN_BASE64_CORE:
            core = encoded[first:end]
            cores |= _in_reprs({core, core.translate(_URL_SAFE), core.replace("/", "\\/")})
            cores |= _percent_encoded(core)
    return cores


def key_digest(idempotency_key: str) -> str:
    """How logs name an idempotency key: 128 bits of SHA-256 (the `X-Purchase-Key` value).

    Tells keys apart, reveals nothing, fits any header; never log the key itself.
    """
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


# --- logging -------------------------------------------------------------------------------

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
