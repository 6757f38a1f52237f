"""Parse `G2A_IDEMPOTENCY_URL` into a backend and its target; never echo the password."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from g2a_adapter._errors import StoreUnavailableError
from g2a_adapter._observability import SecretMasker
from g2a_adapter._url_secrets import (
    AMBIGUOUS_USERINFO,
    redacted_url,
    url_passwords,
    userinfo_is_ambiguous,
)
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
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError:  # never echoed: without `user@`, a password is read as the port
        raise StoreUnavailableError(
            backend,
            f"{parts.scheme}://*** has no valid port (a number up to 65535) after its host; a "
            "password needs user@host after it (redis://:password@host, "
            "postgresql://user:password@host)",
        ) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    chosen = checked_namespace(
        backend, namespace or dict(query).get("namespace") or DEFAULT_NAMESPACE
    )
    rest = urlencode([(k, v) for k, v in query if k != "namespace"])
    target = _driver_url(parts, rest)
    if backend == "memory":
        target = ""
    elif backend == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise StoreUnavailableError(
                backend, f"{redacted!r} is not sqlite:///relative/path or sqlite:////abs/path"
            )
        target = parts.path[1:]
    elif backend in {"redis", "postgres"} and not _names_a_host(backend, parts, query):
        raise StoreUnavailableError(backend, f"{redacted!r} names no host")
    _check_driver_reads(backend, target, passwords)
    return StoreUrl(backend, target, chosen, passwords, redacted)


def _driver_url(parts: SplitResult, query: str) -> str:
    """The URL with `query` for its query, built by hand: `urlunsplit` drops the `//` of a URL
    with no host (`postgresql:///db?host=/socket` would become `postgresql:/db?...`)."""
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return url + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _names_a_host(backend: str, parts: SplitResult, query: list[tuple[str, str]]) -> bool:
    """PostgreSQL, as libpq, also takes the host (or a Unix socket's directory) as `?host=`."""
    return bool(parts.hostname or (backend == "postgres" and dict(query).get("host")))


def _check_driver_reads(backend: str, url: str, passwords: tuple[str, ...]) -> None:
    """Refuse now what the backend's driver, when installed, refuses only as the store opens
    (read then as an outage): a query key it takes no parameter for; for Redis, a value it
    cannot use too (libpq checks values such as `sslmode` only as it connects)."""
    problem_of = _DRIVER_READS.get(backend)
    try:
        problem = problem_of(url) if problem_of else None
    except ImportError:  # no driver: `require_driver` and `open_store` say so
        return
    if problem:
        raise StoreUnavailableError(backend, SecretMasker(passwords)(problem))


def _redis_problem(url: str) -> str | None:
    """What redis-py refuses in `url` as the Redis backend opens it: `from_url` reads every
    query key into a keyword argument, and the connection refuses one it does not take, or a
    value it cannot use, with whatever error that raises (`protocol=5` is a `ConnectionError`,
    a string where it expects an object an `AttributeError`). A connection object opens no
    socket until used."""
    from redis import ConnectionPool

    try:
        ConnectionPool.from_url(url).make_connection()
    except Exception as exc:  # whatever it is, the URL is the cause
        return f"redis-py refuses it: {exc}"
    return None


def _postgres_problem(url: str) -> str | None:
    """What libpq refuses in `url`, as psycopg connects with it (libpq's own URI parser)."""
    from psycopg import ProgrammingError, pq
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except ProgrammingError as exc:
        taken = sorted(option.keyword.decode() for option in pq.Conninfo.get_defaults())
        return f"libpq refuses it ({str(exc).strip()}); it takes: {', '.join(taken)}"
    return None


_DRIVER_READS: dict[str, Callable[[str], str | None]] = {
    "redis": _redis_problem,
    "postgres": _postgres_problem,
}


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
