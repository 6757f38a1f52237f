"""What the schemathesis suites (twin, receiver, seller) share: budget, seed, checks, loading,
the seller token and its checked answer.

Seeded and bounded: `G2A_CONTRACT_EXAMPLES` (default 8) raises the budget for a longer run,
`G2A_CONTRACT_SEED` changes the seed.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from harness.contracts.sources import OPENAPI_DIR
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

EXAMPLES = int(os.environ.get("G2A_CONTRACT_EXAMPLES", "8"))
SEED = int(os.environ.get("G2A_CONTRACT_SEED", "2026"))
COMMON_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The receiver and seller documents state the receiver's input rules: a request they call valid
# is not refused as malformed (400). schemathesis's default statuses for this check allow 2xx and
# the refusals a schema cannot foresee (401 bad signature, 404 unknown id, 409 conflict, ...).
ACCEPTING_CHECKS = [*COMMON_CHECKS, positive_data_acceptance]


def accepted_answer(schema: Any, label: str, base_url: str, budget: int = 50) -> None:
    """Check, against the document (`ACCEPTING_CHECKS`), the answer to the first generated
    valid request of operation `label` (e.g. `POST /webhooks/g2a`) that `base_url` accepts
    (2xx): a suite whose every call is refused checks only the refusals' shape.
    `AssertionError`, naming what it answered instead, when none of `budget` requests was."""
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)
    answered: list[int] = []

    def accepted(case: Any) -> bool:
        response = case.call(base_url=base_url)
        answered.append(response.status_code)
        if not 200 <= response.status_code < 300:
            return False
        case.validate_response(response, checks=ACCEPTING_CHECKS)
        return True

    strategy = operation.as_strategy(hooks=schema.hooks, auth_storage=schema.auth)
    budgeted = hypothesis.settings(
        max_examples=budget, database=None, deadline=None, phases=[hypothesis.Phase.generate]
    )
    try:
        hypothesis.find(strategy, accepted, settings=budgeted)
    except hypothesis.errors.NoSuchExample:
        raise AssertionError(
            f"expected {label} to accept one of {budget} generated valid requests, got only "
            f"{sorted(set(answered))}"
        ) from None


def load_schema(name: str) -> Any:
    """contracts/openapi/`name`, generating positive and negative cases, deterministically."""
    schema = schemathesis.openapi.from_path(OPENAPI_DIR / name)
    schema.config.seed = SEED
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        database="none",
        deterministic=True,
    )
    return schema


def seller_token(url: str) -> str:
    """A bearer from the receiver that `url` is on, as G2A fetches it (`GET /oauth/token`)."""
    parts = urlsplit(url)
    answer = requests.get(
        f"{parts.scheme}://{parts.netloc}/oauth/token",
        params={
            "grant_type": "client_credentials",
            "client_id": SANDBOX_API_HASH,
            "client_secret": SANDBOX_API_KEY,
        },
        timeout=5.0,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def checked_token_answer(schema: Any, base_url: str) -> dict[str, Any]:
    """`GET /oauth/token` with the credentials the served receiver holds, its 200 answer
    checked against the document (`ACCEPTING_CHECKS`): a generated request cannot guess them,
    so the generated runs see only refusals."""
    operation = next(
        op.ok() for op in schema.get_all_operations() if op.ok().label == "GET /oauth/token"
    )
    case = operation.Case(
        query={
            "grant_type": "client_credentials",
            "client_id": SANDBOX_API_HASH,
            "client_secret": SANDBOX_API_KEY,
        }
    )
    response = case.call(base_url=base_url)
    assert response.status_code == 200, f"expected 200, got {response.status_code}: {response.text}"
    case.validate_response(response, checks=ACCEPTING_CHECKS)
    answer: dict[str, Any] = response.json()
    return answer
