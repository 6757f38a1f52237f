"""Lease owner ids stay unique in a forked child; leases and retentions every backend holds."""

from __future__ import annotations

import math
import os

import pytest
from machine_support import require

from g2a_adapter.idempotency import MemoryStore, ProcessOnce


def test_a_forked_child_never_repeats_its_parents_owner_ids() -> None:
    require(hasattr(os, "fork"), "this platform has no os.fork (POSIX only)")
    store = MemoryStore()
    store.claim("warm-up", "fp", 30.0)  # the parent's series has started
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next owner id, to the parent
        os.write(write, (store.claim("child", "fp", 30.0).owner or "").encode())
        os._exit(0)
    os.close(write)
    child_owner = os.read(read, 4096).decode()
    os.waitpid(pid, 0)
    parent_owner = store.claim("parent", "fp", 30.0).owner or ""
    assert child_owner.split("/")[1] == str(pid)
    assert child_owner.rpartition("-")[0] != parent_owner.rpartition("-")[0]


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.nan, math.inf, 1e16])
@pytest.mark.parametrize("name", ["lease_seconds", "retention_seconds"])
def test_a_lease_or_retention_no_backend_holds_is_refused(name: str, seconds: float) -> None:
    with pytest.raises(ValueError, match=f"{name} must be more than 0"):
        ProcessOnce(MemoryStore(), **{name: seconds})
