"""Parse `G2A_IDEMPOTENCY_URL` into a backend and its target; never echo the password."""

from __future__ import annotations

import codecs
import importlib.util
import math
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, parse_qsl, unquote_plus, urlsplit

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
    "unix": "redis",  # redis-py's URL of a Unix socket
    "postgres": "postgres",
    "postgresql": "postgres",
}
_DRIVERS = {"redis": "redis", "postgres": "psycopg"}  # backend: the module its extra brings
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
    return url + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _sqlite_path(parts: SplitResult, query: list[tuple[str, str]], redacted: str) -> str:
    """The file's path; the store opens it as a plain file name, so of the query it reads
    only `namespace`: any other key would be dropped without a word."""
    if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
        raise StoreUnavailableError(
            "sqlite", f"{redacted!r} is not sqlite:///relative/path or sqlite:////abs/path"
        )
    unread = sorted({key for key, _ in query} - _SQLITE_KEYS)
    if unread:
        raise StoreUnavailableError(
            "sqlite",
            f"the SQLite store reads no query key {', '.join(unread)}; it takes only "
            f"{', '.join(sorted(_SQLITE_KEYS))}",
        )
    return parts.path[1:]


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


def _redis_problem(url: str) -> str | None:
    """What redis-py refuses in `url` as the Redis backend opens it, or at its first command,
    or reads and the store then ignores (its retry keys): `from_url` reads every query key
    into a keyword argument, and the connection refuses one it does not take, or a value it
    cannot use, with whatever error that raises (`protocol=5` is a `ConnectionError`);
    `parse_url` is how it reads the URL. A connection object opens no socket until used."""
    from redis import ConnectionPool
    from redis.connection import parse_url

    query = urlsplit(url).query
    retry_problem = _redis_retry_problem(parse_qs(query, keep_blank_values=True))
    if retry_problem:
        return retry_problem
    try:
        ConnectionPool.from_url(url).make_connection()
        options = parse_url(url)  # type: ignore[no-untyped-call]
    except Exception as exc:  # whatever it is, the URL is the cause
        return f"redis-py refuses it: {exc}"
    return (
        _redis_text_problem(options)
        or _redis_number_problem(options)
        or _client_name_problem(options)
        or _redis_flag_problem(parse_qs(query))  # as redis-py reads the query
    )


# redis-py's retry keys, read (an older redis-py splits `?retry_on_error=` into characters) and
# then ignored: the Redis store gives redis-py a retry of no attempt (`RedisStore`).
_REDIS_RETRY_KEYS = ("retry_on_error", "retry_on_timeout")


def _redis_retry_problem(query: Mapping[str, list[str]]) -> str | None:
    for key in _REDIS_RETRY_KEYS:
        if key in query:
            return (
                f"the store refuses ?{key}=…: the Redis store has redis-py retry no command (a "
                "failure reaches its caller at once, as StoreUnavailableError), so redis-py "
                "would ignore it; leave it out"
            )
    return None


# What Redis takes as a client name (CLIENT SETNAME, which redis-py sends as it connects, and
# which fails the connection if refused): printable ASCII but the space.
_REDIS_CLIENT_NAME = re.compile(r"[!-~]*")


def _client_name_problem(options: Mapping[str, object]) -> str | None:
    name = options.get("client_name")
    if isinstance(name, str) and not _REDIS_CLIENT_NAME.fullmatch(name):
        return (
            "the store refuses ?client_name=…: Redis takes a client name of printable ASCII "
            f"characters but the space (! to ~), not {name!r}"
        )
    return None


def _finite_above_0(number: float) -> bool:
    return math.isfinite(number) and number > 0


def _at_least_0(number: float) -> bool:
    return number >= 0


def _tls_version(number: float) -> bool:
    return number in {version.value for version in ssl.TLSVersion}


_SECONDS = (
    _finite_above_0,
    "it takes a finite number of seconds above 0 (0 makes the socket non-blocking)",
)
# The numbers redis-py reads from a URL but fails on, or misuses, only as the store connects:
# what each takes, and how the store says so.
_REDIS_NUMBERS: dict[str, tuple[Callable[[float], bool], str]] = {
    "db": (_at_least_0, "Redis numbers its databases from 0"),
    "socket_timeout": _SECONDS,
    "socket_connect_timeout": _SECONDS,
    "socket_read_size": (_finite_above_0, "it takes a number of bytes above 0"),
    "health_check_interval": (_at_least_0, "it takes seconds from 0 (0: none)"),
    "ssl_min_version": (
        _tls_version,
        "it takes an ssl.TLSVersion: "
        + ", ".join(f"{version.value} ({version.name})" for version in sorted(ssl.TLSVersion)),
    ),
}


def _redis_number_problem(options: Mapping[str, object]) -> str | None:
    for key, (takes, refusal) in _REDIS_NUMBERS.items():
        number = options.get(key)
        if isinstance(number, int | float) and not takes(number):
            return f"the store refuses {key} {number!r}: {refusal}"
    return None


_TRUE_WORDS = frozenset({"1", "T", "TRUE", "Y", "YES", "ON"})  # FALSE_STRINGS' counterparts


def _redis_flag_problem(query: Mapping[str, list[str]]) -> str | None:
    """A flag redis-py reads as true though it says neither true nor false: its parser
    (`to_bool`) reads as true any word it does not know as false (`disable`, `nope`)."""
    from redis.connection import FALSE_STRINGS, URL_QUERY_ARGUMENT_PARSERS, to_bool

    flags = (key for key, parser in URL_QUERY_ARGUMENT_PARSERS.items() if parser is to_bool)
    for key in flags:
        word = query.get(key, [""])[0]  # redis-py reads the first value
        if word and word.upper() not in {*FALSE_STRINGS, *_TRUE_WORDS}:
            false_words = ", ".join(known.lower() for known in FALSE_STRINGS)
            return (
                f"the store refuses ?{key}=…: redis-py would read {word!r} as true (any word "
                f"but {false_words}, in any case); write true or false"
            )
    return None


# The connection's keywords that take text (redis-py's `Connection`, `UnixDomainSocketConnection`
# and `SSLConnection`); `port` a number as text too. redis-py hands on as text the value of a
# query key its installed version has no parser for (`redis.connection.URL_QUERY_ARGUMENT_
# PARSERS`, read through `parse_url`), so any other such key (`retry`, `decode_responses`,
# `socket_type`) would get text where it takes another type, and fail, or be misread, at the
# first command.
_REDIS_TEXT_KEYS = frozenset(
    {
        "host",
        "port",
        "path",
        "username",
        "password",
        "client_name",
        "lib_name",
        "lib_version",
        "encoding",
        "encoding_errors",
        "ssl_keyfile",
        "ssl_certfile",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_data",
        "ssl_ca_path",
        "ssl_password",
        "ssl_ciphers",
        "ssl_ocsp_expected_cert",
    }
)


def _redis_text_problem(options: Mapping[str, object]) -> str | None:
    """What of redis-py's reading of a URL (`parse_url`) it would fail on only when used: text
    for a keyword that takes none, or a codec it cannot encode commands with (looked up as it
    encodes)."""
    misread = sorted(
        key
        for key, value in options.items()
        if isinstance(value, str) and key not in _REDIS_TEXT_KEYS
    )
    if misread:
        return (
            f"the store refuses ?{misread[0]}=…: redis-py would pass its text unparsed to a "
            "parameter of another type"
        )
    encoding = str(options.get("encoding", "utf-8"))
    errors = str(options.get("encoding_errors", "strict"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        return f"the store refuses ?encoding=…: unknown encoding {encoding!r}"
    if not _keeps_ascii(encoding):
        return (
            f"the store refuses ?encoding=…: {encoding!r} is not a text encoding that keeps "
            "ASCII as it is, as the Redis protocol needs"
        )
    try:
        codecs.lookup_error(errors)
    except LookupError:
        return f"the store refuses ?encoding_errors=…: unknown encoding error handler {errors!r}"
    return None


_ASCII = bytes(range(128))


def _keeps_ascii(encoding: str) -> bool:
    """Whether `encoding` encodes text (str to bytes, not `rot13`'s str to str or `zlib`'s
    bytes to bytes) and writes ASCII as ASCII, as the commands redis-py encodes with it must
    be (not `utf-16`, `cp500` or `idna`)."""
    text = _ASCII.decode("ascii")
    try:
        return text.encode(encoding) == _ASCII and _ASCII.decode(encoding) == text
    except (LookupError, ValueError):  # not a text encoding; or one refusing some ASCII
        return False


# Values libpq checks only as it connects, where its documentation gives them a closed set or
# an integer (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS;
# sslcertmode and load_balance_hosts since PostgreSQL 16, sslnegotiation since 17).
_LIBPQ_CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslnegotiation": ("postgres", "direct"),
    "load_balance_hosts": ("disable", "random"),
}
_LIBPQ_INTEGERS = (
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
)
# An integer as libpq reads one: strtol into a C int, with blanks (C's isspace, ASCII) around.
_LIBPQ_INTEGER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
_C_INT = range(-(2**31), 2**31)
_TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")  # ssl_{min,max}_protocol_version
_AUTH_METHODS = ("password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none")
_REQUIRE_AUTH = (
    f"a comma-separated list of distinct methods among {', '.join(_AUTH_METHODS)}, either all "
    "or none of them prefixed with '!'"
)


def _postgres_problem(url: str) -> str | None:
    """What libpq refuses in `url`, as psycopg connects with it (libpq's own URI parser), a
    value it would refuse only on connecting (`_libpq_value_problem`), or a `connect_timeout`
    the store cannot take."""
    from psycopg import ProgrammingError, pq

    try:
        params = libpq_params(url)
    except ProgrammingError as exc:
        taken = sorted(option.keyword.decode() for option in pq.Conninfo.get_defaults())
        return f"libpq refuses it ({str(exc).strip()}); it takes: {', '.join(taken)}"
    problem = _libpq_value_problem(params)
    if problem:
        return problem
    try:
        url_connect_timeout(params)
    except ValueError as exc:
        return str(exc)
    return None


def _libpq_value_problem(params: Mapping[str, str]) -> str | None:
    """The first value in `params` libpq would refuse as it connects (case matters to it but
    for the TLS versions)."""
    for key, allowed in _LIBPQ_CHOICES.items():
        if key in params and params[key] not in allowed:
            return f"libpq refuses it: {key} {params[key]!r} is not one of {', '.join(allowed)}"
    for key in _LIBPQ_INTEGERS:
        if key in params and _libpq_integer(params[key]) is None:
            return _not_an_integer(key, params[key])
    for key in ("ssl_min_protocol_version", "ssl_max_protocol_version"):
        if params.get(key) and _tls_rank(params[key]) is None:
            return (
                f"libpq refuses it: {key} {params[key]!r} is not one of "
                f"{', '.join(_TLS_VERSIONS)} (in any case)"
            )
    if params.get("require_auth") and not _is_require_auth(params["require_auth"]):
        return f"libpq refuses it: require_auth {params['require_auth']!r} is not {_REQUIRE_AUTH}"
    return _tls_range_problem(params) or _port_problem(params)


def _tls_rank(version: str) -> int | None:
    """The place of a TLS version among libpq's, None if it is not one."""
    ranks = {known.lower(): rank for rank, known in enumerate(_TLS_VERSIONS)}
    return ranks.get(version.lower())


def _tls_range_problem(params: Mapping[str, str]) -> str | None:
    """A TLS version range libpq refuses: a maximum below the minimum, libpq's default one
    (TLSv1.2) if none is given (an empty one: no minimum)."""
    minimum = params.get("ssl_min_protocol_version", _libpq_default("ssl_min_protocol_version"))
    maximum = params.get("ssl_max_protocol_version", "")
    if minimum and maximum and (_tls_rank(maximum) or 0) < (_tls_rank(minimum) or 0):
        return (
            f"libpq refuses it: ssl_max_protocol_version {maximum!r} is below "
            f"ssl_min_protocol_version {minimum!r}"
        )
    return None


def _libpq_default(keyword: str) -> str:
    """libpq's default value of `keyword` (its environment variable's, else its own)."""
    from psycopg import pq

    for option in pq.Conninfo.get_defaults():
        if option.keyword.decode() == keyword:
            return (option.val or b"").decode()
    return ""


def _port_problem(params: Mapping[str, str]) -> str | None:
    """A port libpq refuses: not a port number, or a list of them matching neither the hosts
    (`hostaddr`'s, if given, else `host`'s; one without either) nor one for all; or lists of
    host names and addresses of different lengths."""
    ports = params.get("port", "").split(",")
    for port in ports:  # empty: the default
        if port and (_libpq_integer(port) or 0) not in range(1, 65536):
            return f"libpq refuses it: port {port!r} is not a port number from 1 to 65535"
    names, addresses = (params.get(key, "").split(",") for key in ("host", "hostaddr"))
    if params.get("host") and params.get("hostaddr") and len(names) != len(addresses):
        return (
            f"libpq refuses it: {len(names)} host names for {len(addresses)} hostaddr values; "
            "give one for each host"
        )
    hosts = len(addresses if params.get("hostaddr") else names)
    if params.get("port") and len(ports) not in (1, hosts):
        return (
            f"libpq refuses it: {len(ports)} port numbers for {hosts} "
            f"host{'s' if hosts > 1 else ''}; give one for each host or one for all"
        )
    return None


def libpq_params(conninfo: str) -> dict[str, str]:
    """The parameters of a libpq `conninfo` (a URL or `key=value` pairs), as libpq reads them;
    `psycopg.ProgrammingError` where it cannot."""
    from psycopg.conninfo import conninfo_to_dict

    return {key: str(value) for key, value in conninfo_to_dict(conninfo).items()}


def _libpq_integer(text: str) -> int | None:
    """`text` as libpq reads an integer, or None where it refuses it."""
    match = _LIBPQ_INTEGER.fullmatch(text)
    if not match or int(match.group(1)) not in _C_INT:
        return None
    return int(match.group(1))


def _not_an_integer(key: str, value: str) -> str:
    """The store's refusal: libpq reads such a key only where it uses it (not on a Unix
    socket, nor with `keepalives=0`), but it is never meant so."""
    return (
        f"the store refuses {key} {value!r}: it is not an integer from {_C_INT[0]} to {_C_INT[-1]}"
    )


def _is_require_auth(value: str) -> bool:
    """Whether libpq takes `value` as `require_auth` (empty: none is required)."""
    methods = value.split(",")
    negated = {method.startswith("!") for method in methods}
    names = [method.removeprefix("!") for method in methods]
    distinct = len(set(names)) == len(names)
    return distinct and len(negated) == 1 and all(name in _AUTH_METHODS for name in names)


def url_connect_timeout(params: Mapping[str, str]) -> int | None:
    """The `connect_timeout` of a libpq conninfo's `params` in seconds, None if it has none;
    `ValueError` unless whole seconds, as libpq reads them, and at least 1: libpq documents 0
    or less as no bound, but psycopg, which enforces the timeout, reads it as its own default
    (`psycopg.conninfo.timeout_from_conninfo`), so the store refuses it as misleading."""
    written = params.get("connect_timeout")
    if written is None:
        return None
    seconds = _libpq_integer(written)
    if seconds is None or seconds < 1:
        raise ValueError(
            f"the store refuses connect_timeout {written!r}: it takes whole seconds, at least 1 "
            "(psycopg reads 0 or less as its own default timeout, not as no bound, and raises "
            "1 to 2 s)"
        )
    return seconds


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
