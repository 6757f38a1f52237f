"""The seller client secret kept out of uvicorn's logs, however the app is served.

G2A sends the secret in the query of `GET /oauth/token`: an access line of that route, or of
any request whose query names a secret, shows its query as `***`, and so does the request scope
`log_level="trace"` prints. The filter sits on uvicorn's loggers, whoever built the server's
config: `uvicorn_config`, the `uvicorn` command, gunicorn's `UvicornWorker`. Other requests'
lines are left whole. It imports nothing of uvicorn: its loggers are named.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, unquote

_CREDENTIALS_ROUTE = "/oauth/token"
# The loggers printing a request's query: access lines, and the scope of trace records.
_QUERY_LOGGERS = ("uvicorn.access", "uvicorn.asgi")


class _CredentialsOutOfQueries(logging.Filter):
    """Replaces, in uvicorn's access and trace records, a query that may carry a client secret:
    any query of the token route, and any naming a secret (a caller's wrong path), with `***`.

    The record's arguments are changed before any handler formats it, so the secret reaches
    no handler, in clear or percent-encoded."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_credentials(arg) for arg in record.args)
        return True


def _without_credentials(arg: object) -> object:
    """A request target (`path?query`, as the access line writes it) or an ASGI scope (as
    trace records print it) without a query that may carry credentials; any other argument
    as it is."""
    if isinstance(arg, dict):
        return _scope_without_credentials(arg)
    if not isinstance(arg, str):
        return arg
    path, mark, query = arg.partition("?")
    if mark and _may_carry_credentials(unquote(path), query):
        return f"{path}?***"
    return arg


def _scope_without_credentials(scope: dict[Any, Any]) -> dict[Any, Any]:
    query = scope.get("query_string")
    if isinstance(query, bytes) and _may_carry_credentials(
        str(scope.get("path", "")), query.decode("latin-1")
    ):
        return {**scope, "query_string": b"***"}
    return scope


def _may_carry_credentials(path: str, query: str) -> bool:
    """Whether the query of a request to `path` (decoded) may carry a client secret."""
    names = (name.lower() for name, _ in parse_qsl(query, keep_blank_values=True))
    return path.endswith(_CREDENTIALS_ROUTE) or any("secret" in name for name in names)


_QUERY_FILTER = _CredentialsOutOfQueries()


def keep_credentials_out_of_uvicorn_logs() -> None:
    """Put the filter on uvicorn's loggers (once: a logger skips a duplicate filter).

    On the logger, not a handler: it holds whatever handlers the logging configured (uvicorn's
    own `log_config`, or none and the service's root handlers), and a later `dictConfig`
    replaces a logger's handlers but keeps its filters."""
    for name in _QUERY_LOGGERS:
        logging.getLogger(name).addFilter(_QUERY_FILTER)
