"""The twin's OpenAPI documents are valid and describe exactly the routes it serves, and its
admin document every setting its config takes."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from harness.twin import TwinConfig
from harness.twin.admin_input import is_datetime
from harness.twin.config import ERROR_TABLES, WORD_TABLES
from harness.twin.dispatch import PARAM_ROUTES, STATIC_ROUTES

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "openapi"
DOCUMENTS = {"export": ("g2a-export-v1.yaml", "/v1"), "import": ("g2a-import.yaml", "")}
ADMIN_DOCUMENT = "twin-admin.yaml"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((CONTRACTS / name).read_text())
    return document


@pytest.mark.parametrize("name", [*(file for file, _ in DOCUMENTS.values()), ADMIN_DOCUMENT])
def test_document_is_valid_openapi(name: str) -> None:
    validate(load(name))


def test_the_admin_document_names_every_setting_the_config_takes() -> None:
    """`PUT /__twin/config` takes every field of TwinConfig and, in a table of errors or
    words, every situation it has: `ConfigChange` documents each (and nothing else)."""
    change = load(ADMIN_DOCUMENT)["components"]["schemas"]["ConfigChange"]["properties"]
    assert set(change) == {field.name for field in dataclasses.fields(TwinConfig)}
    config = TwinConfig()
    for table in (*ERROR_TABLES, *WORD_TABLES):
        assert set(change[table]["properties"]) == set(getattr(config, table)), table


def served_operations() -> set[tuple[str, str]]:
    operations = {(method, path) for path, methods in STATIC_ROUTES.items() for method in methods}
    for prefix, methods in PARAM_ROUTES:
        operations |= {(method, f"{prefix}{{}}") for method in methods}
    return operations


def documented_operations() -> set[tuple[str, str]]:
    operations = set()
    for name, prefix in DOCUMENTS.values():
        for path, item in load(name)["paths"].items():
            generic = prefix + path.split("{")[0] + ("{}" if "{" in path else "")
            operations |= {(method.upper(), generic) for method in item}
    return operations


def test_every_served_operation_is_documented_and_back() -> None:
    assert documented_operations() == served_operations()


def test_every_operation_documents_auth_and_rate_limit_errors() -> None:
    for name, _ in DOCUMENTS.values():
        for path, item in load(name)["paths"].items():
            for method, operation in item.items():
                codes = set(operation["responses"])
                expected = {"400", "401"} if path == "/oauth/token" else {"401", "403", "429"}
                assert expected <= codes, (name, method, path)


def test_create_pay_details_key_are_linked() -> None:
    paths = load("g2a-export-v1.yaml")["paths"]
    created = paths["/order"]["post"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in created.values()} == {
        "payOrder",
        "getOrderDetails",
        "getOrderKey",
    }
    paid = paths["/order/pay/{orderId}"]["put"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in paid.values()} == {"getOrderDetails", "getOrderKey"}


def test_the_datetime_pattern_takes_exactly_the_dates_the_twin_takes() -> None:
    """The `updatedAt…` filters' pattern spells out each month's days and February 29 of leap
    years (centuries only when divisible by 400), as the twin's calendar check does: a
    generated filter the document calls valid is one the twin accepts, and back."""
    schema = load("g2a-export-v1.yaml")["components"]["schemas"]["DateTime"]
    pattern = re.compile(schema["pattern"], re.ASCII)
    params = load("g2a-export-v1.yaml")["paths"]["/products"]["get"]["parameters"]
    for name in ("updatedAtFrom", "updatedAtTo"):
        (parameter,) = (p for p in params if p["name"] == name)
        assert parameter["schema"] == {"$ref": "#/components/schemas/DateTime"}
    for year, month, day in itertools.product(
        (0, 4, 100, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9999), range(14), range(33)
    ):
        moment = f"{year:04d}-{month:02d}-{day:02d} 23:59:59"
        assert bool(pattern.match(moment)) == is_datetime(moment), moment
