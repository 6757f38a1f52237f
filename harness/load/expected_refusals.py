"""G2A refusals a load task asks for on purpose, kept out of the workers' terminals.

`orders.key[again]` fetches a key a second time to see G2A refuse it (`ORD004`): the adapter
logs every refused call at WARNING, so each such task printed a warning that reads as a failure
on every worker. Inside `expecting(code)` the adapter's line for that code is dropped
(`ExpectedRefusals`, a filter on the `g2a_adapter` logger); any other refusal, and the same
code anywhere else (a purchase's key fetch answered ORD004 is a lost key), is still logged.
The expectation is the caller's own: a context variable, which gevent keeps per greenlet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_expected: ContextVar[str | None] = ContextVar("g2a_load_expected_refusal", default=None)


@contextmanager
def expecting(code: str) -> Iterator[None]:
    """G2A's refusal `code` is what the calls inside are meant to get: not logged."""
    token = _expected.set(code)
    try:
        yield
    finally:
        _expected.reset(token)


class ExpectedRefusals(logging.Filter):
    """Drops the adapter's call line (its `error_code` field) for the refusal expected here."""

    def filter(self, record: logging.LogRecord) -> bool:
        code = getattr(record, "error_code", None)
        return code is None or code != _expected.get()
