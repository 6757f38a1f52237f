"""Cassette policy for pytest-recording: what is recorded, how it is scrubbed, its provenance.

Requests AND responses are scrubbed before they are written: the Authorization header,
access tokens, API keys and secrets, e-mail addresses and order keys, and in request URLs the
user info and secret-looking query values. The twin's admin traffic (`/__twin/…`) is never
recorded. Each cassette gets a sidecar `<name>.provenance.json` (target, date, adapter version,
base URL, redacted) so a reviewer can tell a twin-recorded cassette from a sandbox-recorded one.
A recorded request replays only for the same method, path, query and (scrubbed) body.

`redacted_url` is the harness's one way to show a URL that may carry credentials (reports,
messages, provenance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from harness.masking import masked

CASSETTE_DIR = Path("tests/cassettes")
SCRUBBED = "<scrubbed>"
PROVENANCE_SUFFIX = ".provenance.json"
SCRUBBED_HEADERS = ("authorization", "x-api-key", "cookie", "set-cookie")
SCRUBBED_FIELDS = ("access_token", "refresh_token", "client_secret", "key", "api_key", "secret")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
KEY_SHAPED: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b[0-9a-f]{64}\b"),  # sha256 hex: G2A API keys, signatures
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[0-9a-f]{8}"),
    re.compile(r"(?i)\bbearer\s+(?!<scrubbed>)[A-Za-z0-9._~+/-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWT
)
_FIELD = re.compile(
    r'(?P<prefix>"(?:' + "|".join(SCRUBBED_FIELDS) + r')"\s*:\s*")(?P<value>[^"]*)(?P<end>")'
)
_FORM_FIELD = re.compile(r"(?P<prefix>\b(?:client_secret|client_id)=)(?P<value>[^&\s]+)")
# Query or fragment fields whose values are masked in a shown URL (by name, case-insensitive).
_AUTHORITY_END = re.compile(r"[/?#]")
_SECRET_PARAMETER = re.compile(r"(?i)pass|pwd|secret|token|key|auth|sig|credential|session")


def password_ends_authority(url: str) -> bool:
    """Whether `url`'s user info holds an unencoded `/`, `?` or `#`, which ends the authority
    for a parser: `https://admin:pa#ss@host` reads as host `admin` with port `pa`, and
    `https://CORP/alice:pw@host` as host `CORP` with the path `/alice:pw@host`. Told by a `@`
    after the authority with, before it, an authority whose port is no number or a `:`. A
    port or IPv6 host with a `@` in the path or query alone (`http://h:9090/?to=a@b`) is none;
    a password of digits cut by such a character (`admin:1234#x@h`) reads as a port, as it
    does for every parser."""
    _, slashes, rest = url.partition("://")
    end = _AUTHORITY_END.search(rest)
    if not slashes or end is None or "@" in rest[: end.start()]:
        return False
    at = rest.find("@", end.start())
    if at < 0:
        return False
    host_and_port = rest[: end.start()].rpartition("]")[2]  # an IPv6 host holds colons
    _, colon, port = host_and_port.rpartition(":")
    return bool(colon and port and not port.isdigit()) or ":" in rest[end.start() : at]


def redacted_url(url: str) -> str:
    """`url` without its user info and with secret-looking query and fragment values masked;
    `<scrubbed>` as a whole when it does not parse. Everything before the last `@` is user
    info when a password ends the authority early (`password_ends_authority`), even if that
    also masks a `@` of the path or query: less is shown, never a password."""
    if password_ends_authority(url):
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://{SCRUBBED}@{rest.rpartition('@')[2]}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return SCRUBBED
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{SCRUBBED}@{host}" if "@" in parts.netloc else host
    return urlunsplit(
        (parts.scheme, netloc, parts.path, _masked(parts.query), _masked(parts.fragment))
    )


def _masked(fields: str) -> str:
    pairs = []
    for field in fields.split("&") if fields else []:
        name, sep, value = field.partition("=")
        secret = bool(sep and value and _SECRET_PARAMETER.search(unquote_plus(name)))
        pairs.append(f"{name}={SCRUBBED}" if secret else field)
    return "&".join(pairs)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every secret value (however written: percent-encoded, escaped in JSON, in the
    base64 of a Basic credential, as the adapter's `SecretMasker` finds it), token/key field,
    e-mail and key-shaped string from text."""
    text = masked(text, secrets, SCRUBBED)
    text = _FIELD.sub(lambda m: f"{m['prefix']}{SCRUBBED}{m['end']}", text)
    text = _FORM_FIELD.sub(lambda m: f"{m['prefix']}{SCRUBBED}", text)
    text = EMAIL.sub(SCRUBBED, text)
    for pattern in KEY_SHAPED:
        text = pattern.sub(SCRUBBED, text)
    return text


def _scrub_body(body: Any, secrets: list[str]) -> Any:
    if isinstance(body, bytes):
        try:
            return scrub_text(body.decode("utf-8"), secrets).encode("utf-8")
        except UnicodeDecodeError:
            return body
    if isinstance(body, str):
        return scrub_text(body, secrets)
    return body


def scrub_request(secrets: list[str]) -> Callable[[Any], Any]:
    """vcrpy `before_record_request` (vcrpy also applies it to a request before matching it
    on replay): drop admin calls, scrub the URL, headers and body."""

    def before_record_request(request: Any) -> Any:
        if "/__twin/" in request.path:
            return None
        request.uri = scrub_text(redacted_url(request.uri), secrets)
        for name, value in list(request.headers.items()):
            secret = name.lower() in SCRUBBED_HEADERS
            request.headers[name] = SCRUBBED if secret else scrub_text(value, secrets)
        request.body = _scrub_body(request.body, secrets)
        return request

    return before_record_request


def scrub_response(secrets: list[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """vcrpy `before_record_response`: scrub the body and sensitive headers."""

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body", {})
        if "string" in body:
            body["string"] = _scrub_body(body["string"], secrets)
        headers = response.get("headers", {})
        for name, values in list(headers.items()):
            secret = name.lower() in SCRUBBED_HEADERS
            headers[name] = [SCRUBBED] if secret else [scrub_text(v, secrets) for v in values]
        return response

    return before_record_response


def vcr_config(secrets: Iterable[str]) -> dict[str, Any]:
    """The pytest-recording `vcr_config` for the recorded integration flows."""
    values = [s for s in secrets if s]
    return {
        "before_record_request": scrub_request(values),
        "before_record_response": scrub_response(values),
        "decode_compressed_response": True,
        # the port of a twin differs per run; what identifies a call is method, path, query
        # and body (both scrubbed: vcrpy scrubs a request before matching it)
        "match_on": ("method", "path", "query", "body"),
    }


def provenance_path(cassette: Path) -> Path:
    return cassette.with_name(cassette.stem + PROVENANCE_SUFFIX)


def write_provenance(cassette: Path, *, target: str, base_url: str) -> Path:
    """Record where and when a cassette was recorded, and by which adapter version."""
    from g2a_adapter import __version__

    data = {
        "cassette": cassette.name,
        "target": target,
        "recorded_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "adapter_version": __version__,
        "base_url": redacted_url(base_url),
        "recorded_by": "g2a-harness record",
        "note": f"recorded from the {target}"
        + (" (the embedded G2A twin), not from G2A" if target == "twin" else ""),
    }
    path = provenance_path(cassette)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def read_provenance(cassette: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(provenance_path(cassette).read_text(encoding="utf-8"))
    return data


def find_leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Descriptions (never the values) of secrets or key-shaped strings found in text."""
    found = [f"configured secret #{i}" for i, s in enumerate(secrets) if masked(text, [s]) != text]
    found += [f"pattern {p.pattern!r}" for p in KEY_SHAPED if p.search(text)]
    found += ["an e-mail address"] if EMAIL.search(text) else []
    return found
