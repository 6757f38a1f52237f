"""What the request log never shows: credentials in headers and in token request forms."""

from __future__ import annotations

import re

TOKEN_PATH = "/oauth/token"
_SECRET_FORM_FIELD = re.compile(r"(client_secret=)[^&]*")


def masked_authorization(value: str) -> str:
    """`"<hash>, ***"` or `"Bearer ***"`: enough to assert on, never the secret part."""
    scheme, sep, _ = value.partition(" ")
    if scheme.lower() in {"bearer", "basic"}:
        return f"{scheme} ***"
    head, comma, _ = value.partition(",")
    return f"{head}, ***" if comma else ("***" if sep or value else value)


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of lower-cased `headers` with the `authorization` value masked."""
    masked = dict(headers)
    if "authorization" in masked:
        masked["authorization"] = masked_authorization(masked["authorization"])
    return masked


def masked_body(path: str, body: bytes) -> str:
    """`body` as text, with the OAuth client secret of a token request masked."""
    text = body.decode("utf-8", "replace")
    return _SECRET_FORM_FIELD.sub(r"\1***", text) if path == TOKEN_PATH else text
