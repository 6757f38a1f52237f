"""A deliberately broken idempotency store, for proving that the load verdict catches it.

Selected only by the test-only switch `G2A_LOAD_BREAK_IDEMPOTENCY=1`: every claim answers NEW
and nothing is remembered, so a repeated purchase with the same key creates and pays a second
order. The load invariant `no_double_payment` must then fail.
"""

from __future__ import annotations

import uuid

from g2a_adapter.idempotency import JSON, Claim, ClaimState, Record


class ForgetfulStore:
    backend = "forgetful"

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        return Claim(ClaimState.NEW, key, owner=uuid.uuid4().hex)

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        return None

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        return None

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        return None

    def release(self, key: str, owner: str) -> None:
        return None

    def get(self, key: str) -> Record | None:
        return None

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
