"""Helpers shared by the adapter's integration tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from g2a_adapter import Settings
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY


def twin_settings(api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "api_url": api_url,
        "api_hash": SANDBOX_API_HASH,
        "api_key": SANDBOX_API_KEY,
        "timeout_ms": 2000,
    }
    values.update(overrides)
    return Settings(**values)


def query(logged: dict[str, Any]) -> dict[str, str]:
    """The query string of a twin request-log entry as a dict."""
    return dict(parse_qsl(logged["query"]))
