"""The assumptions registry: every entry names a real setting, the twin's defaults come from it,
configuration overrides it, and the specs' contract document lists every entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.twin import TwinConfig
from harness.twin.assumptions import (
    ASSUMED,
    BOTH,
    EXPORT,
    IMPORT,
    ORDER_ERRORS,
    REGISTRY,
    Assumption,
    current_value,
    registry_report,
)
from harness.twin.config import ERROR_TABLES, WORD_TABLES

CONTRACTS = Path(__file__).resolve().parents[3] / "specs/011-g2a-integration-audit/contracts"


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.setting)
def test_every_entry_is_a_setting_whose_default_is_the_twins(entry: Assumption) -> None:
    assert current_value(TwinConfig(), entry.setting) == entry.default
    assert entry.evidence


def test_configuration_overrides_an_assumption() -> None:
    config = TwinConfig().updated(
        {"order_errors": {"already_paid": [409, "ORD06", "Paid"]}, "completion_delay_seconds": 3}
    )
    report = {e["setting"]: e for e in registry_report(config)}
    assert report["order_errors.already_paid"]["value"] == [409, "ORD06", "Paid"]
    assert report["order_errors.already_paid"]["default"] == ORDER_ERRORS["already_paid"].as_list()
    assert report["completion_delay_seconds"]["value"] == 3.0


def test_the_registry_names_the_unpublished_order_codes() -> None:
    codes = {e.default[1] for e in REGISTRY if e.setting.startswith("order_errors.")}
    assert {"ORD01", "ORD06", "ORD07"} <= codes
    assumed = {e.setting for e in REGISTRY if ASSUMED in e.evidence}
    assert {"order_errors.product_not_found", "order_errors.already_paid",
            "order_errors.rating_not_met", "rate_limit"} <= assumed  # fmt: skip


def test_an_unmet_min_rating_is_refused_like_no_stock_with_its_own_message() -> None:
    unmet, no_stock = ORDER_ERRORS["rating_not_met"], ORDER_ERRORS["out_of_stock"]
    assert (unmet.status, unmet.code) == (no_stock.status, no_stock.code) == (400, "ORD07")
    assert unmet.message == "No offer meets min_rating"


def test_the_fast_profile_only_drops_the_delay_and_the_limit() -> None:
    fast, realistic = TwinConfig.fast(), TwinConfig()
    assert (fast.completion_delay_seconds, fast.rate_limit) == (0.0, None)
    assert (realistic.completion_delay_seconds, realistic.rate_limit) == (1.0, 20)
    assert TwinConfig.fast(seed=3, rate_limit=4).rate_limit == 4
    with pytest.raises(ValueError, match="realistic, fast"):
        TwinConfig.profile("kind")


def test_the_specs_contract_document_lists_every_entry() -> None:
    document = (CONTRACTS / "g2a-api-contracts.md").read_text(encoding="utf-8")
    for entry in REGISTRY:
        assert f"| `{entry.setting}` |" in document, entry.setting
        assert entry.evidence in document, entry.setting


OPENAPI = Path(__file__).resolve().parents[3] / "contracts/openapi"
MARK = re.compile(r"\[assumption(?::(?P<inside>[^\]]*))?\]")
SETTINGS = {entry.setting for entry in REGISTRY}
TABLES = {setting.partition(".")[0] for setting in SETTINGS}


def marked_settings(document: str) -> list[set[str]]:
    """The settings each **[assumption: ...]** mark of an OpenAPI document names."""
    text = (OPENAPI / document).read_text(encoding="utf-8")
    return [
        set(re.findall(r"`([a-z][a-z0-9_.]*)`", m["inside"] or "")) for m in MARK.finditer(text)
    ]


@pytest.mark.parametrize("document", ["g2a-export-v1.yaml", "g2a-import.yaml"])
def test_every_assumption_mark_of_an_openapi_document_names_registered_settings(
    document: str,
) -> None:
    marks = marked_settings(document)
    assert marks
    for names in marks:
        assert names, f"a mark of {document} names no setting"
        assert names <= SETTINGS | TABLES, names


DOCUMENTS = {EXPORT: "g2a-export-v1.yaml", IMPORT: "g2a-import.yaml"}


@pytest.mark.parametrize(
    ("document", "entry"),
    [
        (DOCUMENTS[api], e)
        for api in (EXPORT, IMPORT)
        for e in REGISTRY
        if e.api in {api, BOTH} and ASSUMED in e.evidence
    ],
    ids=lambda value: value.setting if isinstance(value, Assumption) else value,
)
def test_every_assumption_of_an_api_is_marked_in_its_openapi_document(
    document: str, entry: Assumption
) -> None:
    marked = set().union(*marked_settings(document))
    assert {entry.setting, entry.setting.partition(".")[0]} & marked, entry.setting


def test_the_token_endpoint_reads_only_what_g2a_documents_by_default() -> None:
    config = TwinConfig()
    assert (config.token_basic_auth, config.token_any_content_type) == (False, False)


def test_every_table_of_words_and_errors_lists_its_situations_in_the_registry() -> None:
    config = TwinConfig()
    for table in (*ERROR_TABLES, *WORD_TABLES):
        registered = {s.partition(".")[2] for s in SETTINGS if s.startswith(f"{table}.")}
        assert registered == set(getattr(config, table)), table


DOCS = Path(__file__).resolve().parents[3] / "docs/g2a-api.md"
ORDER_CALLS = (
    "POST /order",
    "PUT /order/pay/{id}",
    "GET /order/details/{id}",
    "GET /order/key/{id}",
)


def _call_rows(document: str) -> dict[str, str]:
    """The contract document's Endpoints row of each order call, by call."""
    return {
        call: next(line for line in document.splitlines() if line.startswith(f"| `{call}`"))
        for call in ORDER_CALLS
    }


@pytest.mark.parametrize(
    "situation", [s for s, spec in ORDER_ERRORS.items() if spec.code.startswith("ORD")]
)
def test_an_order_code_is_placed_on_the_call_the_twin_answers_it_to(situation: str) -> None:
    """The specs' Endpoints table names a G2A order code in the row of the call the twin
    answers it to (`ORD03` was listed under pay, the twin answers it to the key call), and
    docs/g2a-api.md's Errors table, when it lists the code, names the setting."""
    code = ORDER_ERRORS[situation].code
    (entry,) = (e for e in REGISTRY if e.setting == f"order_errors.{situation}")
    method, path = entry.meaning.split()[:2]
    answered_by = f"{method} {path.removeprefix('/v1')}"
    rows = _call_rows((CONTRACTS / "g2a-api-contracts.md").read_text(encoding="utf-8"))
    assert {call for call, row in rows.items() if f"`{code}`" in row} == {answered_by}
    docs_rows = [
        line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| {code} |")
    ]
    assert all(f"`order_errors.{situation}`" in row for row in docs_rows), docs_rows
