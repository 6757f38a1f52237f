"""Parse `G2A_IDEMPOTENCY_URL` into a backend and its target; never echo the password."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._url_secrets import redacted_url, url_passwords
from g2a_adapter.idempotency._codec import DEFAULT_NAMESPACE, checked_namespace

_BACKENDS = {
    "memory": "memory",
    "sqlite": "sqlite",
    "redis": "redis",
    "rediss": "redis",
    "postgres": "postgres",
    "postgresql": "postgres",
}
_DRIVERS = {"redis": "redis", "postgres": "psycopg"}  # backend: the module its extra brings
_HELP = "use memory://, sqlite:///path, redis://host:port/db or postgresql://user@host/db"


@dataclass(frozen=True)
class StoreUrl:
    backend: str  # memory | sqlite | redis | postgres
    target: str  # sqlite: the file path; redis/postgres: the URL without our own parameters
    namespace: str  # table prefix / key prefix (`?namespace=` in the URL)
    passwords: tuple[str, ...]  # kept only so error messages can mask them (see url_passwords)
    redacted: str  # the URL with the password replaced by ***

    def __repr__(self) -> str:
        return f"StoreUrl(backend={self.backend!r}, url={self.redacted!r})"


def parse_store_url(url: str, namespace: str | None = None) -> StoreUrl:
    try:
        parts = urlsplit(url)
        parts.password  # noqa: B018 - raises ValueError on a malformed network location
    except ValueError as exc:
        raise StoreUnavailableError("unknown", f"unparseable store URL ({exc})") from None
    passwords = tuple(url_passwords(url))
    backend = _BACKENDS.get(parts.scheme.lower())
    redacted = redacted_url(url)
    if backend is None:
        shown = parts.scheme or "(none)"
        raise StoreUnavailableError("unknown", f"unsupported scheme {shown!r}; {_HELP}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    chosen = checked_namespace(
        backend, namespace or dict(query).get("namespace") or DEFAULT_NAMESPACE
    )
    rest = urlencode([(k, v) for k, v in query if k != "namespace"])
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
    if backend == "memory":
        target = ""
    elif backend == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise StoreUnavailableError(
                backend, f"{redacted!r} is not sqlite:///relative/path or sqlite:////abs/path"
            )
        target = parts.path[1:]
    elif backend in {"redis", "postgres"} and not parts.hostname:
        raise StoreUnavailableError(backend, f"{redacted!r} names no host")
    return StoreUrl(backend, target, chosen, passwords, redacted)


def missing_driver(backend: str, module: str | None) -> ModuleNotFoundError:
    """The error of a backend whose driver is not installed: an installation error, never a
    store outage (`StoreUnavailableError` reads as one, retried)."""
    module = module or _DRIVERS.get(backend, backend)
    return ModuleNotFoundError(
        f"the {backend} store needs {module}: install g2a-adapter[{backend}]", name=module
    )


def require_driver(url: str) -> None:
    """`missing_driver` now if the backend `url` names lacks its driver (a client checks this
    when it is built, not at its first purchase); the URL itself is checked on opening."""
    try:
        backend = _BACKENDS.get(urlsplit(url).scheme.lower(), "")
    except ValueError:
        return
    module = _DRIVERS.get(backend)
    if module is not None and importlib.util.find_spec(module) is None:
        raise missing_driver(backend, module)
