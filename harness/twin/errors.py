"""G2A's error envelope `{"status": "ERROR", "code", "message"}` and the codes the twin uses."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeGuard


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    code: str
    message: str

    def as_list(self) -> list[int | str]:
        return [self.status, self.code, self.message]


class ApiError(Exception):
    """Raised by a handler; the dispatcher answers it with `spec.status` and G2A's error body."""

    def __init__(self, spec: ErrorSpec, message: str | None = None) -> None:
        self.spec = spec
        self.message = message or spec.message
        super().__init__(f"{spec.code}: {self.message}")


def restated(spec: ErrorSpec, error: ApiError) -> ApiError:
    """`error` answered as the configured `spec`: `{reason}` in its message stands for the
    message of `error` (what was wrong)."""
    return ApiError(spec, spec.message.replace("{reason}", error.message))


# The longest error message the twin may be told to answer with (a configured error, a fault).
MAX_MESSAGE_LENGTH = 1000


def is_message(value: Any) -> TypeGuard[str]:
    """Whether `value` is an error message the twin may be told to answer with: a string of 1
    to MAX_MESSAGE_LENGTH characters (`check_answerable` refuses one UTF-8 cannot write)."""
    return isinstance(value, str) and 1 <= len(value) <= MAX_MESSAGE_LENGTH


class UnanswerableError(ValueError):
    """Input holds what no answer can carry: `where` is its place (`sequence[1].message`),
    `reason` what it holds there."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where} {reason}")
        self.where = where
        self.reason = reason


LONE_SURROGATE = "holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"
OUT_OF_RANGE = "holds a number out of range (1e400 is read as infinity), which no answer can carry"
CYCLE = "refers back to a value that holds it (a cycle), which no answer can carry"


def check_answerable(data: Any, where: str) -> None:
    """The twin's one check of what it takes (an admin body, a config or fault spec given in
    code) for what JSON reads but no answer can carry back: a lone surrogate (`"\\ud800"`, no
    UTF-8 writes it), a number out of range (`1e400`, read as infinity; an integer of more
    digits than Python writes) or, built in code, a cycle.

    Raises UnanswerableError for the first problem in document order, by its place under
    `where` (`where.key[index]`, a dataclass's fields as an object's keys). Writing `data` as
    JSON (in C) shows there is none; only when writing fails does a walk look for it (a
    refused body's cost, not an accepted one's), so a value no JSON holds (a set, a Decimal)
    is left to the checks of its type."""
    if _writes(data):
        return
    problem = _first_problem(data, where)
    if problem is not None:
        raise problem


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass as the object of its fields, as the JSON writer's `default`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON")


_WRITER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_fields)


def _writes(value: Any) -> bool:
    """Whether JSON writes `value` and UTF-8 the text: the whole check, in C."""
    try:
        _WRITER.encode(value).encode()
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False
    return True


_KEY = object()  # the step to an object's key, as against its value


def _first_problem(data: Any, where: str) -> UnanswerableError | None:
    """The first problem in `data` in document order; None when what `_writes` refused is no
    JSON value (a set, a Decimal). Walks without recursion, so any depth is walked; a part
    `_writes` takes is skipped, and a container met again on the way down is a cycle."""
    if not _is_container(data):
        reason = _leaf_problem(data)
        return None if reason is None else UnanswerableError(where, reason)
    path = [(where, data, _steps(data))]  # the containers from `data` to the one walked
    on_path = {id(data)}
    while path:
        place, container, steps = path[-1]
        for step, value in steps:
            reason = _leaf_problem(value)
            if reason is None and _is_container(value) and not _writes(value):
                if id(value) not in on_path:
                    path.append((_place(place, step), value, _steps(value)))
                    on_path.add(id(value))
                    break
                reason = CYCLE
            if reason is not None:
                return UnanswerableError(_place(place, step), reason)
        else:
            path.pop()
            on_path.discard(id(container))
    return None


def _leaf_problem(value: Any) -> str | None:
    """What a string or number holds that no answer can carry; None for any other value."""
    if isinstance(value, str):
        return LONE_SURROGATE if holds_lone_surrogate(value) else None
    if isinstance(value, float):
        return None if math.isfinite(value) else OUT_OF_RANGE
    if isinstance(value, int) and not _writes(value):  # more digits than Python writes
        return OUT_OF_RANGE
    return None


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list | tuple) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _steps(container: Any) -> Iterator[tuple[Any, Any]]:
    """A container's parts in document order, each with its step from the container: an index,
    `.name`, or `_KEY` for an object's key (before its value)."""
    if isinstance(container, dict):
        for key, value in container.items():
            yield _KEY, key
            yield f".{key}", value
    elif isinstance(container, list | tuple):
        yield from enumerate(container)
    else:
        yield from _steps(_fields(container))


def _place(place: str, step: Any) -> str:
    if step is _KEY:
        return f"a key of {place}"
    return f"{place}[{step}]" if isinstance(step, int) else f"{place}{step}"


_TEXT_WRITER = json.JSONEncoder(ensure_ascii=False)  # numbers are not its concern


def holds_lone_surrogate(data: Any) -> bool:
    """Whether a string of JSON `data` (an object's key included) holds a lone surrogate
    (`"\\ud800"`): JSON reads the escape, but no UTF-8 writes it, and RFC 8259 §8.2 leaves
    what a receiver makes of it unpredictable. The one test of it: `check_answerable` asks it
    of each string it walks, the APIs' `json_object` of a whole body."""
    try:
        _TEXT_WRITER.encode(data).encode()
    except UnicodeEncodeError:
        return True
    return False


def envelope(code: str, message: str) -> bytes:
    return json.dumps({"status": "ERROR", "code": code, "message": message}).encode()


def error_body(shape: str, code: str, message: str) -> bytes:
    """An error body of `shape`: "envelope" (G2A's), "code_message" (`{"code", "message"}`) or
    "rfc6749" (an OAuth 2 token error, `{"error", "error_description"}`)."""
    if shape == "code_message":
        return json.dumps({"code": code, "message": message}).encode()
    if shape == "rfc6749":
        return json.dumps({"error": code, "error_description": message}).encode()
    return envelope(code, message)


BR01 = ErrorSpec(400, "BR01", "Invalid JSON")
BR02 = ErrorSpec(400, "BR02", "Invalid JSON data")
BR03 = ErrorSpec(429, "BR03", "Too many requests")
BR04 = ErrorSpec(400, "BR04", "Product ID is not valid")
AUTH01 = ErrorSpec(403, "AUTH01", "No Authorization header")
AUTH02 = ErrorSpec(401, "AUTH02", "Wrong Authorization header")
ORD02 = ErrorSpec(404, "ORD02", "Order not found")
ORD004 = ErrorSpec(400, "ORD004", "Key already downloaded")
ORD112 = ErrorSpec(403, "ORD112", "Not enough funds")
ORD114 = ErrorSpec(403, "ORD114", "Payment too late")
NOT_FOUND = ErrorSpec(404, "NOT_FOUND", "No such endpoint")
METHOD_NOT_ALLOWED = ErrorSpec(405, "METHOD_NOT_ALLOWED", "Method not allowed")


def missing_authorization(status: int) -> ApiError:
    """AUTH01 with `status` (the twin's `auth01_status`: G2A's status for it is disputed)."""
    return ApiError(replace(AUTH01, status=status))


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def strict_json(raw: bytes | str) -> Any:
    """`raw` parsed as JSON (RFC 8259), as G2A's PHP parser reads it: ValueError for
    `NaN`, `Infinity` and `-Infinity`, which Python's parser takes by default, and for bytes
    that are not UTF-8 or begin with a byte order mark, which Python's parser decodes (UTF-16,
    UTF-32, a BOM): RFC 8259 §8.1 has JSON sent over a network in UTF-8, with no BOM."""
    text = raw.decode() if isinstance(raw, bytes) else raw  # a BOM stays, and json refuses it
    return json.loads(text, parse_constant=_not_json)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object: BR01 when it is not UTF-8 JSON (or nests
    deeper than the parser goes; a lone surrogate escape is no UTF-8 text, as bytes that are
    not UTF-8 are none), BR02 when it is JSON of another kind."""
    try:
        data = strict_json(body)
        if holds_lone_surrogate(data):
            raise ValueError("a lone surrogate is no UTF-8 text")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ApiError(BR01) from None
    if not isinstance(data, dict):
        raise ApiError(BR02, "The body must be a JSON object")
    return data
