"""Parse `G2A_IDEMPOTENCY_URL` into a backend and its target; never echo the password."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlsplit

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._masking import SecretMasker
from g2a_adapter._url_secrets import (
    AMBIGUOUS_USERINFO,
    redacted_url,
    url_passwords,
    userinfo_is_ambiguous,
)
from g2a_adapter.idempotency._codec import DEFAULT_NAMESPACE, checked_namespace
from g2a_adapter.idempotency._postgres_url import postgres_url_problem
from g2a_adapter.idempotency._redis_url import redis_url_problem
from g2a_adapter.idempotency._sqlite import sqlite_path_problem

_BACKENDS = {
    "memory": "memory",
    "sqlite": "sqlite",
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",  # redis-py's URL of a Unix socket
    "postgres": "postgres",
    "postgresql": "postgres",
}
_DRIVERS = {"redis": "redis", "postgres": "psycopg"}  # backend: the module its extra brings
# backend: what its driver would refuse in a URL only as the store opens or at its first call
_DRIVER_READS: dict[str, Callable[[str], str | None]] = {
    "redis": redis_url_problem,
    "postgres": postgres_url_problem,
}
_HELP = (
    "use memory://, sqlite:///path, redis://host:port/db, unix:///path/to/redis.sock or "
    "postgresql://user@host/db"
)
_SOCKET_HELP = "unix:///path/to/redis.sock"
_SQLITE_KEYS = frozenset({"namespace"})  # the file opens as its path says (`SqliteStore`)
# A '#' is refused, never shown (what follows it may be a password), where a driver misreads it.
_HASH_REFUSALS = {
    "postgres": "the URL has a '#', which libpq reads as part of a value (a PostgreSQL URL has "
    "no fragment): percent-encode it as %23",
    "redis": "the URL has a '#', where redis-py ends it and drops the rest (a Redis URL has no "
    "fragment): percent-encode it as %23",
    "sqlite": "the SQLite store refuses the URL's '#': it would open the path before it and "
    "drop the rest (a SQLite URL has no fragment)",
}


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
    passwords = tuple(url_passwords(url))
    try:
        parts = urlsplit(url)
        parts.password  # noqa: B018 - raises ValueError on a malformed network location
    except ValueError as exc:  # its message may quote the network location
        detail = SecretMasker(passwords)(str(exc))
        raise StoreUnavailableError("unknown", f"unparseable store URL ({detail})") from None
    backend = _BACKENDS.get(parts.scheme.lower())
    redacted = redacted_url(url)
    if backend is None:
        shown = parts.scheme or "(none)"
        raise StoreUnavailableError("unknown", f"unsupported scheme {shown!r}; {_HELP}")
    if userinfo_is_ambiguous(url):
        raise StoreUnavailableError(backend, f"the URL {AMBIGUOUS_USERINFO}")
    if "#" in url and backend in _HASH_REFUSALS:
        raise StoreUnavailableError(backend, _HASH_REFUSALS[backend])
    try:
        _check_ports(backend, parts)
    except ValueError:  # never echoed: without `user@`, a password is read as the port
        raise StoreUnavailableError(
            backend,
            f"{parts.scheme}://*** has no valid port (a number up to 65535) after its host; a "
            "password needs user@host after it (redis://:password@host, "
            "postgresql://user:password@host)",
        ) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    written = _url_namespace(backend, query)  # checked even where `namespace` overrides it
    chosen = checked_namespace(backend, namespace or written)
    target = _driver_url(parts, _without_namespace(parts.query))
    if backend == "memory":
        target = ""
    elif backend == "sqlite":
        target = _sqlite_path(parts, query, redacted)
    elif parts.scheme.lower() == "unix":
        _check_socket_path(parts, redacted)
    elif not _names_a_host(backend, parts, query):
        raise StoreUnavailableError(backend, f"{redacted!r} names no host")
    _check_driver_reads(backend, target, passwords)
    return StoreUrl(backend, target, chosen, passwords, redacted)


def _url_namespace(backend: str, query: list[tuple[str, str]]) -> str:
    """The URL's `?namespace=`, else the default; given empty (a template's unset variable) or
    twice, refused: read as the default, it would share another service's tables."""
    given = [value for key, value in query if key == "namespace"]
    if len(given) > 1:
        raise StoreUnavailableError(
            backend, f"the store refuses ?namespace=: the URL gives it {len(given)} times"
        )
    if given == [""]:
        raise StoreUnavailableError(
            backend, "the store refuses ?namespace=: it is empty; give one, or leave the key out"
        )
    return given[0] if given else DEFAULT_NAMESPACE


def _check_ports(backend: str, parts: SplitResult) -> None:
    """`ValueError` on a port out of range or not a number; a PostgreSQL URL may list hosts,
    each `host[:port]` (`postgresql://h1:5432,h2:5433/db`, as libpq reads it)."""
    if backend != "postgres":
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
        return
    for host in parts.netloc.rpartition("@")[2].split(","):
        urlsplit(f"//{host}").port  # noqa: B018 - as above


def _without_namespace(query: str) -> str:
    """The query as written but its `namespace` fields (ours): re-encoding it would change
    what a driver reads (`urlencode` writes a space as `+`, which libpq reads as itself)."""
    fields = (field for field in query.split("&") if field)
    return "&".join(f for f in fields if unquote_plus(f.partition("=")[0]) != "namespace")


def _driver_url(parts: SplitResult, query: str) -> str:
    """The URL with `query` for its query, built by hand: `urlunsplit` drops the `//` of a URL
    with no host (`postgresql:///db?host=/socket` would become `postgresql:/db?...`)."""
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return url + (f"?{query}" if query else "")


def _sqlite_path(parts: SplitResult, query: list[tuple[str, str]], redacted: str) -> str:
    """The file's path; the store opens it as a plain file name, so of the query it reads
    only `namespace`: any other key would be dropped without a word."""
    if parts.netloc or not parts.path.startswith("/"):
        raise StoreUnavailableError(
            "sqlite", f"{redacted!r} is not sqlite:///relative/path or sqlite:////abs/path"
        )
    path = parts.path[1:]
    path_problem = sqlite_path_problem(path)
    if path_problem:
        raise StoreUnavailableError("sqlite", path_problem)
    unread = sorted({key for key, _ in query} - _SQLITE_KEYS)
    if unread:
        raise StoreUnavailableError(
            "sqlite",
            f"the SQLite store reads no query key {', '.join(unread)}; it takes only "
            f"{', '.join(sorted(_SQLITE_KEYS))}",
        )
    return path


def _check_socket_path(parts: SplitResult, redacted: str) -> None:
    """A Redis Unix socket is a path with no host (redis-py would ignore a host)."""
    if parts.hostname:
        raise StoreUnavailableError(
            "redis", f"{redacted!r} names a host, which a Unix socket has none of: {_SOCKET_HELP}"
        )
    if not parts.path.strip("/"):
        raise StoreUnavailableError("redis", f"{redacted!r} names no socket: {_SOCKET_HELP}")


def _names_a_host(backend: str, parts: SplitResult, query: list[tuple[str, str]]) -> bool:
    """PostgreSQL, as libpq, also takes the host (or a Unix socket's directory) as `?host=`."""
    return bool(parts.hostname or (backend == "postgres" and dict(query).get("host")))


def _check_driver_reads(backend: str, url: str, passwords: tuple[str, ...]) -> None:
    """Refuse now what the backend's driver, when installed, refuses only as the store opens
    or at its first call (read then as an outage): a query key it takes no parameter for, or
    a value it cannot use (libpq's, where its documentation gives their set)."""
    problem_of = _DRIVER_READS.get(backend)
    try:
        problem = problem_of(url) if problem_of else None
    except ImportError:  # no driver: `require_driver` and `open_store` say so
        return
    if problem:
        raise StoreUnavailableError(backend, SecretMasker(passwords)(problem))


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
