"""What the request log and the log lines never show: credentials, however they were sent.

Two rules, applied to the query, the body, the headers and the path:

- the value of a secret field (`client_secret`) is masked wherever a parser would read it: a
  form pair (query or body) whose name decodes to it (`client%5Fsecret` is `client_secret`,
  as `parse_qsl` reads it), or a key of a JSON object at any depth;
- a configured secret (each credential's key and secret: `TwinState.secrets`) is masked
  however it is written, as the adapter's `SecretMasker` finds it: plain, percent-encoded,
  escaped in JSON, in the base64 of an HTTP Basic credential, in a pair, a JSON value, a
  header or the path. A credential's secret has at least `MIN_SECRET_LENGTH` characters
  (`harness.twin.credentials`), so that masking it does not hide short ordinary text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from harness.masking import MASK, masked

SECRET_FIELDS = frozenset({"client_secret"})


def masked_authorization(value: str) -> str:
    """`"<hash>, ***"` or `"Bearer ***"`: enough to assert on, never the secret part."""
    scheme, sep, _ = value.partition(" ")
    if scheme.lower() in {"bearer", "basic"}:
        return f"{scheme} {MASK}"
    head, comma, _ = value.partition(",")
    return f"{head}, {MASK}" if comma else (MASK if sep or value else value)


def _holds_secret(text: str, secrets: Iterable[str]) -> bool:
    return masked(text, secrets) != text


def masked_headers(headers: dict[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """A copy of lower-cased `headers`: `authorization` masked, secrets scrubbed elsewhere."""
    shown = {name: masked(value, secrets) for name, value in headers.items()}
    if "authorization" in shown:
        shown["authorization"] = masked_authorization(headers["authorization"])
    return shown


def masked_form(text: str, secrets: Iterable[str] = ()) -> str:
    """A query string or form body (`name=value&…`), pair by pair as `parse_qsl` splits and
    decodes it: a secret field's value, or a value holding a secret, becomes the mask; a pair
    whose name holds a secret is masked whole. Other pairs stay as received."""
    return "&".join(_masked_pair(pair, secrets) for pair in text.split("&"))


def _masked_pair(pair: str, secrets: Iterable[str]) -> str:
    raw_name, sep, raw_value = pair.partition("=")
    name = unquote_plus(raw_name)
    if _holds_secret(raw_name, secrets) or _holds_secret(name, secrets):
        return MASK
    if sep and (
        name in SECRET_FIELDS
        or _holds_secret(raw_value, secrets)
        or _holds_secret(unquote_plus(raw_value), secrets)
    ):
        return f"{raw_name}={MASK}"
    return pair


def _masked_json(value: Any, secrets: Iterable[str]) -> Any:
    if isinstance(value, dict):
        return {
            masked(key, secrets): MASK if key in SECRET_FIELDS else _masked_json(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked_json(item, secrets) for item in value]
    if isinstance(value, str):
        return masked(value, secrets)
    return value


def masked_body(body: bytes, secrets: Iterable[str] = ()) -> str:
    """`body` as text: JSON with its secrets masked (written again by `json.dumps` only when
    something was masked), anything else masked as a form (a token request may be either)."""
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
        shown = _masked_json(parsed, secrets)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python goes
        return masked_form(text, secrets)
    return text if shown == parsed else json.dumps(shown)
