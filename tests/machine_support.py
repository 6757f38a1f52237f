"""What a test needs of the machine: skipped where a developer's machine lacks it, required
(a failure) under CI=true, whose machine provides it."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, missing: str) -> None:
    """Skip with `missing` as the reason off CI; fail with it under CI=true."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{missing}; CI=true makes it required", pytrace=False)
    pytest.skip(f"{missing}; CI requires it")
