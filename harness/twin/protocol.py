"""The twin's small request/response types, shared by the API handlers and the dispatcher."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JSON_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"application/json"),)


def header_fields(lines: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """A request's header fields by (lower-cased) name, from its lines as ASGI gives them.

    A name sent on several lines has their values joined with ", ", as RFC 9110 §5.3 lets a
    recipient do, never the last line alone: two `Authorization` lines are no credential, and
    are refused as a malformed header is."""
    fields: dict[str, str] = {}
    for raw_name, raw_value in lines:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


@dataclass
class Call:
    """One API request as the handlers see it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client: str = ""  # the authenticated credential (API hash / OAuth client id)
    _params: dict[str, str] | None = field(default=None, repr=False)

    @property
    def media_type(self) -> str:
        """The body's media type, without parameters (`charset`), lower-cased."""
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    @property
    def params(self) -> dict[str, str]:
        """Query parameters; the last value wins when a name repeats."""
        if self._params is None:
            self._params = dict(parse_qsl(self.query, keep_blank_values=True))
        return self._params


@dataclass
class Reply:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = JSON_HEADERS


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode())
