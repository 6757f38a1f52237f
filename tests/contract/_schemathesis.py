"""What the schemathesis suites (twin and receiver) share: budget, seed, checks, loading.

Seeded and bounded: `G2A_CONTRACT_EXAMPLES` (default 8) raises the budget for a longer run,
`G2A_CONTRACT_SEED` changes the seed.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from harness.contracts.sources import OPENAPI_DIR

EXAMPLES = int(os.environ.get("G2A_CONTRACT_EXAMPLES", "8"))
SEED = int(os.environ.get("G2A_CONTRACT_SEED", "2026"))
COMMON_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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
