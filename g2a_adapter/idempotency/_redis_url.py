"""The values of a Redis store URL redis-py refuses, or misreads, only as the store connects
or at its first command, checked as the URL is read (`_url.parse_store_url`)."""

from __future__ import annotations

import codecs
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit


def redis_url_problem(url: str) -> str | None:
    """What redis-py refuses in `url` as the Redis backend opens it, or at its first command,
    or reads and the store then ignores or misuses (its retry keys, its pool's size):
    `from_url` reads every query key into a keyword argument, and the connection refuses one
    it does not take, or a value it cannot use, with whatever error that raises (`protocol=5`
    is a `ConnectionError`); `parse_url` is how it reads the URL. A connection object opens no
    socket until used."""
    from redis import ConnectionPool
    from redis.connection import parse_url

    parts = urlsplit(url)
    owned_problem = _store_owned_key_problem(parse_qs(parts.query, keep_blank_values=True))
    if owned_problem:
        return owned_problem
    query = parse_qs(parts.query)  # as redis-py reads it: blank values left out
    try:
        options = parse_url(url)  # type: ignore[no-untyped-call]
        # checked before the connection is built: its reader (hiredis's) allocates that much;
        # the other numbers after, as a key the connection does not take (`ssl_min_version`
        # on redis://) is refused by redis-py as such, whatever its value
        read_size_problem = _number_problem(_READ_SIZE, options, query, parts.path)
        if read_size_problem:
            return read_size_problem
        ConnectionPool.from_url(url).make_connection()
    except Exception as exc:  # whatever it is, the URL is the cause
        return f"redis-py refuses it: {exc}"
    numbers = (
        _number_problem(key, options, query, parts.path)
        for key in _REDIS_NUMBERS
        if key != _READ_SIZE
    )
    return (
        _redis_text_problem(options)
        or _database_path_problem(parts, query, options)
        or next(filter(None, numbers), None)
        or _client_attribute_problem(options)
        or _redis_flag_problem(query)
    )


_NO_RETRY = (
    "the Redis store has redis-py retry no command (a failure reaches its caller at once, as "
    "StoreUnavailableError), so redis-py would ignore it"
)
# The query keys of what the store sets itself: redis-py's retry keys, read (an older redis-py
# splits `?retry_on_error=` into characters) and then ignored, as the store gives redis-py a
# retry of no attempt (`RedisStore`).
_STORE_OWNED_KEYS = {"retry_on_error": _NO_RETRY, "retry_on_timeout": _NO_RETRY}


def _store_owned_key_problem(query: Mapping[str, list[str]]) -> str | None:
    for key, reason in _STORE_OWNED_KEYS.items():
        if key in query:
            return f"the store refuses ?{key}=…: {reason}; leave it out"
    return None


# A `redis://` path that holds one number, as the database: ASCII digits, maybe signed (the
# database's bounds are checked with the other numbers), whitespace around, a slash after.
_DATABASE_PATH = re.compile(r"/?\s*[+-]?[0-9]+\s*/?", re.ASCII)


def _database_path_problem(
    parts: SplitResult, query: Mapping[str, list[str]], options: Mapping[str, object]
) -> str | None:
    """A path that is not one database number: redis-py reads a `redis://` or `rediss://`
    URL's path, all its slashes left out, with `int` as the database unless a `?db=` says it
    (`parse_url`), and ignores one that `int` refuses (database 0, silently); `/1/2` it reads as
    database 12, `/1_000` as 1000, other scripts' digits as theirs. No path, or `/`, is 0."""
    path = unquote(parts.path)
    if parts.scheme == "unix" or "db" in query or not path.strip("/"):
        return None
    if "db" in options and _DATABASE_PATH.fullmatch(path):  # redis-py read it
        return None
    return (
        f"the store refuses the path {parts.path!r}: a Redis URL's path is one database number "
        "(/15) or none (database 0)"
    )


# What Redis takes as a client name (CLIENT SETNAME) and as a library's name and version
# (CLIENT SETINFO LIB-NAME and LIB-VER, since Redis 7.2): printable ASCII but the space.
_REDIS_CLIENT_ATTRIBUTE = re.compile(r"[!-~]*")
# The query keys redis-py sends with those commands as it connects: what Redis calls each, and
# what comes of one it refuses (a refused name fails the connection; redis-py swallows a
# refused SETINFO, as older servers do not know it, and the value is dropped).
_CLIENT_ATTRIBUTES = {
    "client_name": ("a client name", ""),
    "lib_name": ("a library name", "; redis-py would drop it without a word"),
    "lib_version": ("a library version", "; redis-py would drop it without a word"),
}


def _client_attribute_problem(options: Mapping[str, object]) -> str | None:
    for key, (called, aftermath) in _CLIENT_ATTRIBUTES.items():
        value = options.get(key)
        if isinstance(value, str) and not _REDIS_CLIENT_ATTRIBUTE.fullmatch(value):
            return (
                f"the store refuses ?{key}=…: Redis takes {called} of printable ASCII "
                f"characters but the space (! to ~), not {value!r}{aftermath}"
            )
    return None


# The longest wait the store takes, in seconds: Python's documented bound on a blocking wait
# (`threading.TIMEOUT_MAX`, 9223372036 on Linux, some 292 years). `socket.settimeout`, which
# redis-py calls with `socket_timeout` and `socket_connect_timeout` as it connects, overflows
# just past it (its clock counts 64-bit nanoseconds); `health_check_interval`, a float once
# added to the clock, gets the same bound rather than none.
_LONGEST_WAIT = threading.TIMEOUT_MAX
# The largest read, in bytes: redis-py's reader allocates as many for each read (hiredis's,
# once per connection), though no read returns more than the socket's buffer holds (redis-py
# reads 64 KiB by default); 10**14 was a MemoryError at the first command.
_LARGEST_READ = 16 * 2**20
_REDIS_DATABASES = range(2**31)  # SELECT reads a C int (`databases` may allow fewer)


def _wait(number: float) -> bool:
    return 0 < number <= _LONGEST_WAIT  # comparisons, exact for any int: never an overflow


def _interval(number: float) -> bool:
    return 0 <= number <= _LONGEST_WAIT


def _read_size(number: float) -> bool:
    return 1 <= number <= _LARGEST_READ


def _database(number: float) -> bool:
    return number in _REDIS_DATABASES


def _tls_version(number: float) -> bool:
    return number in {version.value for version in ssl.TLSVersion}


_SECONDS = (
    _wait,
    f"it takes seconds above 0, at most {_LONGEST_WAIT:.0f} (threading.TIMEOUT_MAX, the longest "
    "a socket waits; 0 makes the socket non-blocking)",
)
# The numbers redis-py reads from a URL but fails on, or misuses, only as the store connects:
# what each takes, and how the store says so. The read size is checked first, on its own.
_READ_SIZE = "socket_read_size"
_REDIS_NUMBERS: dict[str, tuple[Callable[[float], bool], str]] = {
    "db": (
        _database,
        f"Redis numbers its databases from 0 to {_REDIS_DATABASES[-1]} (SELECT reads a C int)",
    ),
    "socket_timeout": _SECONDS,
    "socket_connect_timeout": _SECONDS,
    _READ_SIZE: (
        _read_size,
        f"it takes a number of bytes from 1 to {_LARGEST_READ} (16 MiB: each read allocates "
        "as many)",
    ),
    "health_check_interval": (
        _interval,
        f"it takes whole seconds from 0 (0: none) to {_LONGEST_WAIT:.0f} (threading.TIMEOUT_MAX)",
    ),
    "ssl_min_version": (
        _tls_version,
        "it takes an ssl.TLSVersion: "
        + ", ".join(f"{version.value} ({version.name})" for version in sorted(ssl.TLSVersion)),
    ),
}


def _number_problem(
    key: str, options: Mapping[str, object], query: Mapping[str, list[str]], path: str
) -> str | None:
    """The store's refusal of the number redis-py read for `key` (`options`) and would fail on
    as the store connects, None if it takes it; the number is shown as redis-py reads it: its
    query value, decoded, quoted (redis-py reads the first; `int` and `float` read a number
    with whitespace around it), else, for the database, the path read as one, quoted too."""
    takes, refusal = _REDIS_NUMBERS[key]
    number = options.get(key)
    if not isinstance(number, int | float) or takes(number):
        return None
    written = f"?{key}={query[key][0]!r}" if key in query else f"the path {path!r}"
    return f"the store refuses {written}: {refusal}"


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
