"""The async store protocol, served by any sync store through worker threads.

One code path per backend: the async wrapper delegates every call to the sync store with
`anyio.to_thread.run_sync`, so the rules live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar, runtime_checkable

import anyio.to_thread

from g2a_adapter.idempotency._base import JSON, Claim, IdempotencyStore, Record

T = TypeVar("T")


@runtime_checkable
class AsyncIdempotencyStore(Protocol):
    backend: str

    async def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim: ...
    async def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None: ...
    async def renew(self, key: str, owner: str, lease_seconds: float) -> None: ...
    async def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None: ...
    async def release(self, key: str, owner: str) -> None: ...
    async def get(self, key: str) -> Record | None: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class AsyncStore:
    """`AsyncIdempotencyStore` over a sync `IdempotencyStore`."""

    def __init__(self, store: IdempotencyStore) -> None:
        self.sync = store
        self.backend = store.backend

    async def _run(self, call: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(call)

    async def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        return await self._run(lambda: self.sync.claim(key, fingerprint, lease_seconds))

    async def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        await self._run(lambda: self.sync.checkpoint(key, owner, data, lease_seconds))

    async def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        await self._run(lambda: self.sync.renew(key, owner, lease_seconds))

    async def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        await self._run(lambda: self.sync.complete(key, owner, result, ttl_seconds))

    async def release(self, key: str, owner: str) -> None:
        await self._run(lambda: self.sync.release(key, owner))

    async def get(self, key: str) -> Record | None:
        return await self._run(lambda: self.sync.get(key))

    async def ping(self) -> None:
        await self._run(self.sync.ping)

    async def close(self) -> None:
        await self._run(self.sync.close)
