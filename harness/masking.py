"""The harness's one way to mask secrets in text: the adapter's `SecretMasker`, which finds a
secret however it is written (percent-encoded, escaped in JSON or a repr, in the base64 of a
Basic credential), one built per set of secrets and mask."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from g2a_adapter.logformat import SecretMasker

MASK = "***"


def masked(text: str, secrets: Iterable[str], mask: str = MASK) -> str:
    """`text` with every one of `secrets` (of 4 characters or more), however written, replaced
    by `mask`."""
    return _masker(frozenset(secrets), mask)(text)


@functools.lru_cache(maxsize=32)  # a run's secrets change seldom: a twin's, a seller check's
def _masker(secrets: frozenset[str], mask: str) -> SecretMasker:
    return SecretMasker(secrets, mask=mask)
