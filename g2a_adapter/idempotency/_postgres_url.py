"""The values of a PostgreSQL store URL libpq refuses only as it connects, checked as the URL
is read (`_url.parse_store_url`), and how the store reads its `connect_timeout`."""

from __future__ import annotations

import re
from collections.abc import Mapping

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


def postgres_url_problem(url: str) -> str | None:
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
            "(libpq reads 0 or less as no bound, but psycopg, which enforces it, would use its "
            "own default timeout instead; it also raises 1 to 2 s)"
        )
    return seconds
