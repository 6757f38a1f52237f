"""The rules for G2A's API URLs: pure functions (`normalize_api_url`), table-tested on their
own. Every failure is a `ConfigError` naming the variable, never echoing its value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

from g2a_adapter._errors import ConfigError
from g2a_adapter.wire import LIVE_HOST, SANDBOX_HOST, is_loopback, is_unspecified

Env = Literal["sandbox", "live"]

EXPORT_PATH = "/v1"
IMPORT_PATH = "/integration-api/v1"
_DOT_SEGMENTS = (".", "..")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _split(raw: str, variable: str) -> SplitResult:
    if raw != raw.strip() or any(ord(c) < 33 or ord(c) == 127 for c in raw):
        raise ConfigError(f"{variable} must not contain whitespace or control characters")
    if "\\" in raw:
        raise ConfigError(f"{variable} must not contain a backslash")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ConfigError(f"{variable} is not a valid URL (bad host or port 1-65535)") from None
    if port == 0:
        raise ConfigError(f"{variable} port must be 1-65535")
    return parts


def _host(parts: SplitResult, variable: str) -> str:
    """The lower-case host with one trailing dot (the DNS root) removed, before any rule."""
    host = (parts.hostname or "").lower()
    stripped = host[:-1] if host.endswith(".") else host
    if host and (not stripped or stripped.endswith(".") or ".." in stripped):
        raise ConfigError(f"{variable} host has an empty label")
    return stripped


def _check_segments(path: str, variable: str) -> None:
    """Refuse dot segments (also percent-encoded) and any other percent-encoding in the path.

    httpx would resolve `/v1/../admin/v1` (or `/v1/%2e%2e/admin/v1` on some servers) into
    another path than the one every rule was checked against.
    """
    if any(unquote(segment) in _DOT_SEGMENTS for segment in path.split("/")):
        raise ConfigError(f"{variable} path must not contain '.' or '..' segments")
    if "%" in path:
        raise ConfigError(f"{variable} path must not contain percent-encoded characters")


def allowed_host(entry: str) -> str:
    """A `G2A_ALLOWED_HOSTS` entry as `_host` makes a URL's host: trimmed, lower-case, one
    trailing dot (the DNS root) dropped."""
    host = entry.strip().lower()
    return host[:-1] if host.endswith(".") else host


def env_of_host(host: str) -> Env | None:
    """The environment whose G2A API host `host` is (`live`: api.g2a.com, `sandbox`:
    sandboxapi.g2a.com; any case, one trailing dot), else None. A URL on the other
    environment's host is refused: by `Settings` against `G2A_ENV`, by the harness against its
    target."""
    return _G2A_HOST_ENVS.get(allowed_host(host))


_G2A_HOST_ENVS: dict[str, Env] = {LIVE_HOST: "live", SANDBOX_HOST: "sandbox"}


def _check_host(
    host: str, scheme: str, env: Env, extra_hosts: Iterable[str], variable: str
) -> None:
    if not host:
        raise ConfigError(f"{variable} has no host")
    if not host.isascii() or host.startswith("xn--") or ".xn--" in host:
        raise ConfigError(
            f"{variable} host is an internationalized (IDN) name; only ASCII G2A hosts are allowed"
        )
    host_env = env_of_host(host)
    if env == "live" and host_env == "sandbox":
        raise ConfigError(f"G2A_ENV=live but {variable} points at the sandbox host")
    if env == "sandbox" and host_env == "live":
        raise ConfigError(
            f"G2A_ENV is sandbox (the default) but {variable} points at the live host; "
            "set G2A_ENV=live to use it"
        )
    if is_unspecified(host):
        raise ConfigError(f"{variable}: {host} is an address to listen on, not a host to call")
    loopback = is_loopback(host)
    if loopback and env == "live":
        raise ConfigError(f"{variable}: a loopback host is allowed only in the sandbox env")
    if scheme == "http" and not loopback:
        raise ConfigError(f"{variable} must use https (plain http only to a loopback host)")
    allowed = {LIVE_HOST if env == "live" else SANDBOX_HOST, *map(allowed_host, extra_hosts)}
    if not loopback and host not in allowed:
        raise ConfigError(
            f"{variable} host is not allowed in the {env} env; "
            "add it to G2A_ALLOWED_HOSTS if it is really a G2A endpoint"
        )


def _api_path(path: str, variable: str) -> tuple[str, str]:
    """A URL path as (a proxy's path prefix, G2A's API path after it): `/v1` (the Export
    API), `/integration-api/v1` (the Import API; `/integration-api` reads as it) or "" (none).

    The one rule of both API URLs: Export calls go to `{prefix}/v1/…`, Import calls and the
    OAuth token to `{prefix}/…` (G2A serves them at its root: `/oauth/token`, `/v3/…`).
    """
    path = path.rstrip("/")
    if "//" in path:
        raise ConfigError(f"{variable} path must not contain '//' (an empty segment)")
    if path.endswith("/integration-api"):
        path += EXPORT_PATH
    for api in (IMPORT_PATH, EXPORT_PATH):
        if path.endswith(api):
            return path.removesuffix(api), api
    return path, ""


def _checked_origin(
    raw: str, env: Env, extra_hosts: Iterable[str], variable: str
) -> tuple[str, str]:
    """Every rule but the path's ending; returns (`scheme://host[:port]`, path)."""
    parts = _split(raw, variable)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigError(f"{variable} must start with https:// (or http:// to loopback)")
    if "@" in parts.netloc:
        raise ConfigError(f"{variable} must not contain credentials (user:password@)")
    if "?" in raw or "#" in raw:
        raise ConfigError(f"{variable} must not contain a query string or a fragment")
    _check_segments(parts.path, variable)
    host = _host(parts, variable)
    _check_host(host, scheme, env, extra_hosts, variable)
    port = parts.port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}", parts.path


def normalize_api_url(raw: str, env: Env, extra_hosts: Iterable[str] = ()) -> str:
    """Apply the URL rules of the design; return `scheme://host[:port][/prefix]/…/v1`.

    HTTPS only, except plain HTTP to loopback in the sandbox; the host lower-cased and one
    trailing dot dropped before every rule; host allowlist per env (plus explicit extra hosts);
    env/host mix-ups refused; port 1-65535; `/v1` appended when the path is empty; a path
    otherwise ends in `/v1` or `/integration-api/v1`, what precedes it being a proxy's prefix;
    dot segments (also percent-encoded), percent-encoding, `//`, userinfo, query and fragment
    refused; default ports dropped.
    """
    origin, path = _checked_origin(raw, env, extra_hosts, "G2A_API_URL")
    prefix, api = _api_path(path, "G2A_API_URL")
    if not api:
        if prefix:
            raise ConfigError(
                f"G2A_API_URL path must end in {EXPORT_PATH} (Export API) or {IMPORT_PATH}"
            )
        api = EXPORT_PATH
    return f"{origin}{prefix}{api}"


def normalize_import_url(raw: str, env: Env, extra_hosts: Iterable[str] = ()) -> str:
    """`G2A_IMPORT_API_URL` under the same rules; returns the base of the Import calls and
    OAuth: the origin and a proxy's path prefix, if any.

    Its path is that prefix (empty on G2A's own host), optionally followed by the Import API's
    `/integration-api/v1`, which is dropped: the Import calls are made under the base
    (`/oauth/token`, `/v3/sales/offers`, `/v3/jobs`). A path ending in the Export API's `/v1`
    is refused.
    """
    variable = "G2A_IMPORT_API_URL"
    origin, path = _checked_origin(raw, env, extra_hosts, variable)
    prefix, api = _api_path(path, variable)
    if api == EXPORT_PATH:
        raise ConfigError(
            f"{variable} path ends in {EXPORT_PATH}, the Export API's; give the Import API's "
            f"base: a proxy's path prefix if any, optionally followed by {IMPORT_PATH}"
        )
    return f"{origin}{prefix}"


def is_import_api_url(api_url: str) -> bool:
    """True for a normalized URL of the production Import API (`…/integration-api/v1`)."""
    return urlsplit(api_url).path.endswith(IMPORT_PATH)


def import_base_of(api_url: str) -> str:
    """The Import API and OAuth base of a normalized API URL: `scheme://host[:port][/prefix]`."""
    parts = urlsplit(api_url)
    prefix, _ = _api_path(parts.path, "G2A_API_URL")
    return f"{parts.scheme}://{parts.netloc}{prefix}"
