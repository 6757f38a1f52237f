"""G2A's error envelope `{"status": "ERROR", "code", "message"}` and the codes the twin uses."""

from __future__ import annotations

import dataclasses
import json
import math
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
    """Input holds what no answer can carry; the message names where it is."""


LONE_SURROGATE = "holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"
OUT_OF_RANGE = "holds a number out of range (1e400 is read as infinity), which no answer can carry"


def check_answerable(data: Any, where: str) -> None:
    """The twin's one check of what it takes (an admin body, a config or fault spec given in
    code) for what JSON reads but no answer can carry back: a lone surrogate (`"\\ud800"`, no
    UTF-8 writes it) or a number out of range (`1e400`, read as infinity). Raises
    UnanswerableError naming `where`. Walks lists, tuples, objects and dataclasses without
    recursion, so any depth the parser read is checked."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not _utf8(item):
                raise UnanswerableError(f"{where} {LONE_SURROGATE}")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise UnanswerableError(f"{where} {OUT_OF_RANGE}")
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))


def _utf8(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


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
    `NaN`, `Infinity` and `-Infinity`, which Python's parser takes by default."""
    return json.loads(raw, parse_constant=_not_json)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object: BR01 when it is not JSON (or nests deeper
    than the parser goes), BR02 when it is JSON of another kind."""
    try:
        data = strict_json(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ApiError(BR01) from None
    if not isinstance(data, dict):
        raise ApiError(BR02, "The body must be a JSON object")
    return data
