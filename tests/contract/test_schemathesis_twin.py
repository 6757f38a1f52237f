"""Schemathesis against the twin from contracts/openapi/ (Export and Import documents).

Positive and negative generation with the five checks below; the Export API's `Authorization`
header and the Import API's bearer token come from auth hooks per request; the stateful phase
follows the documents' links (create → pay → details → key, offer → job). Budget and seed:
tests/contract/_schemathesis.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
import requests
from _schemathesis import COMMON_CHECKS, EXAMPLES, load_schema
from schemathesis.specs.openapi.checks import negative_data_rejection

from g2a_adapter.wire import export_authorization
from harness.contracts.states import sandbox_token
from harness.twin.config import TwinConfig
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS
from harness.twin.server import RunningTwin, running_twin

CHECKS = [*COMMON_CHECKS, negative_data_rejection]

export_schema = load_schema("g2a-export-v1.yaml")
import_schema = load_schema("g2a-import.yaml")


@export_schema.auth(refresh_interval=None)
class ExportAuthorization:
    """`Authorization: {hash}, {key}` computed for every generated request."""

    def get(self, case: Any, context: Any) -> str:
        return export_authorization(SANDBOX_API_HASH, SANDBOX_API_KEY)

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers["Authorization"] = data


class ImportBearer(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` added when each request is sent; the token comes from the
    `/oauth/token` of the host the request goes to, and is renewed after a minute (TTL 300 s).
    A requests-level hook because generation runs before the twin is up."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[float, str]] = {}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(str(request.url))
        origin = f"{parts.scheme}://{parts.netloc}"
        fetched_at, token = self._tokens.get(origin, (0.0, ""))
        if time.monotonic() - fetched_at > 60:
            token = sandbox_token(origin, timeout=5.0)
            self._tokens[origin] = (time.monotonic(), token)
        request.headers["Authorization"] = f"Bearer {token}"
        return request


import_schema.auth.set_from_requests(ImportBearer()).skip_for(path="/oauth/token")


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    """The realistic twin (keys after a processing delay) without its rate limit: a 429 is a
    documented answer, but one in every call would leave the links unfollowed."""
    with running_twin(TwinConfig(rate_limit=None)) as running:
        yield running


@pytest.fixture(scope="module")
def fast_twin() -> Iterator[RunningTwin]:
    """The fast twin (keys ready at payment) for the stateful phase: on the realistic one a
    key is called for within a second of its payment and every key call is ORD03, so the key
    answer's shape would never be checked."""
    with running_twin(TwinConfig.fast()) as running:
        yield running


@export_schema.parametrize()
def test_export_api(case: Any, twin: RunningTwin) -> None:
    case.call_and_validate(base_url=twin.export_url, checks=CHECKS)


@import_schema.parametrize()
def test_import_api(case: Any, twin: RunningTwin) -> None:
    case.call_and_validate(base_url=twin.import_url, checks=CHECKS)


def stateful_settings() -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max(4, EXAMPLES // 2),
        stateful_step_count=6,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )


def in_catalog(case: Any) -> None:
    """Point generated orders and offers at a product the twin stocks, so the links have a real
    order or job to follow (a random 20-digit id is almost never in the catalog)."""
    body = case.body
    if not isinstance(body, dict):
        return
    product_id = SANDBOX_PRODUCT_IDS[len(str(body)) % len(SANDBOX_PRODUCT_IDS)]
    if case.operation.path == "/order" and "product_id" in body:
        body["product_id"] = product_id
        body["max_price"] = None
    if case.operation.path == "/v3/sales/offers" and isinstance(body.get("variant"), dict):
        body["variant"]["productId"] = product_id


def machine(schema: Any, base_url: str) -> Any:
    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            in_catalog(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    return Machine


def test_export_stateful_links(fast_twin: RunningTwin) -> None:
    fast_twin.admin.clear_requests()
    machine(export_schema, fast_twin.export_url).run(settings=stateful_settings())
    requests_seen = fast_twin.admin.requests()
    answered = {(r["path"].rsplit("/", 1)[0], r.get("status")) for r in requests_seen}
    # The links were followed: orders were paid, their details read, their keys fetched, and
    # a key handed out, so the key answer's shape was checked (not only its ORD03 refusal).
    assert {path for path, _ in answered} >= {"/v1/order/pay", "/v1/order/details"}
    assert ("/v1/order/key", 200) in answered, sorted(answered, key=str)


def test_import_stateful_links(twin: RunningTwin) -> None:
    twin.admin.clear_requests()
    machine(import_schema, twin.import_url).run(settings=stateful_settings())
    paths = {r["path"].rsplit("/", 1)[0] for r in twin.admin.requests()}
    assert {"/v3/sales", "/v3/jobs"} <= paths
