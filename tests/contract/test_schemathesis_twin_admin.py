"""Schemathesis against the twin's admin surface from contracts/openapi/twin-admin.yaml.

Positive and negative cases with the common checks plus negative-data rejection: every admin
refusal is a 4xx that the document declares. Webhook subscriber URLs are pointed at a closed
loopback port, so a generated subscription never sends anything off the machine. The generated
config changes (the accepted credentials among them) reach only this module's own twin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _schemathesis import COMMON_CHECKS, load_schema
from schemathesis.specs.openapi.checks import negative_data_rejection

from harness.twin import RunningTwin, TwinConfig, running_twin

CHECKS = [*COMMON_CHECKS, negative_data_rejection]
CLOSED_LOOPBACK_URL = "http://127.0.0.1:9/webhooks/g2a"

admin_schema = load_schema("twin-admin.yaml")


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    """A twin of this module alone: a generated `PUT /__twin/config` may replace its sandbox
    credentials, which no other test's twin shares."""
    with running_twin(TwinConfig.fast(catalog_size=30)) as running:
        yield running


def on_loopback(case: Any) -> None:
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("url"), str) and "subscribers" in case.path:
        body["url"] = CLOSED_LOOPBACK_URL if body["url"].startswith("http") else body["url"]


@admin_schema.parametrize()
def test_admin_api(case: Any, twin: RunningTwin) -> None:
    on_loopback(case)
    case.call_and_validate(base_url=twin.base_url, checks=CHECKS)
