"""A request's body, read within the receiver's size limit (every route that takes one)."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from g2a_adapter.receiver._rejections import reject


async def read_body(request: Request, limit: int) -> bytes:
    """The body; refused past `limit` bytes without reading the rest (`oversized_body`), and
    when the client goes away before its end (`incomplete_body`)."""
    declared = request.headers.get("content-length", "")
    if _declares_more_than(declared, limit):
        raise reject("oversized_body", f"declared {declared} bytes")
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise reject("oversized_body", f"more than {limit} bytes")
    except ClientDisconnect:
        raise reject("incomplete_body", f"the client left after {len(body)} bytes") from None
    return body


def _declares_more_than(declared: str, limit: int) -> bool:
    """Whether a Content-Length of ASCII digits (not `²`) declares more than `limit` bytes;
    one of more digits than the limit's is, unread (`int` refuses over 4300 digits)."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    digits = declared.lstrip("0")
    return len(digits) > len(str(limit)) or int(digits or "0") > limit
