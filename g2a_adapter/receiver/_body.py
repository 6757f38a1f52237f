"""A request's body, read within the receiver's size limit (every route that takes one)."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from g2a_adapter.receiver._rejections import reject


async def read_body(request: Request, limit: int) -> bytes:
    """The body; refused past `limit` bytes without reading the rest (`oversized_body`), and
    when the client goes away before its end (`incomplete_body`)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not `²`
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
