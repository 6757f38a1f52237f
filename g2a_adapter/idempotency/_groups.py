"""Grouped writes: a port for stores that can commit several operations at once.

A receiver under load handles deliveries in batches; with a store that groups writes, the
nonces and claims of a whole batch commit together, and so do their completions: two commits
per batch instead of three per delivery. The SQL stores group (one transaction holding the
write lock); the memory and Redis stores write each operation on its own, as before.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Protocol, cast, runtime_checkable


@runtime_checkable
class GroupedWrites(Protocol):
    def grouped(self) -> AbstractContextManager[None]:
        """This thread's operations until the block ends commit together, or none does."""
        ...


def write_group(store: object) -> AbstractContextManager[None]:
    """The store's group of writes; for a store that does not group, a block that does
    nothing (each write commits on its own)."""
    # What `isinstance(store, GroupedWrites)` checks, without its cost (µs) on every batch.
    grouped = getattr(store, "grouped", None)
    return nullcontext() if grouped is None else cast(AbstractContextManager[None], grouped())
