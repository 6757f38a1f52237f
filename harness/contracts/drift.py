"""Drift between the three descriptions of each operation: OpenAPI, pacts and recorded traffic.

Pure functions over plain data (parsed documents and `Exchange` records); loading files is
`harness.contracts.sources`' job. What counts as drift:

- traffic for an operation no OpenAPI document describes (`undocumented_operation`);
- a status code in traffic or in a pact that the operation does not document
  (`undocumented_status`);
- a response field in traffic or in a pact that the documented schema does not declare
  (`undocumented_field`);
- a field whose JSON type differs from the documented schema or from the pact's example
  (`type_change`);
- a value the documented schema rules out: one an `enum` does not list (null too, unless
  listed), or a string a `pattern` does not match, of the schema or any of its `allOf` members
  (`undocumented_value`; an order status word G2A adds, an id that stopped being digits); a
  pattern Python's `re` does not read (OpenAPI's are ECMA-262), or one setting a flag inline
  (`(?m)`, which ECMA-262 patterns cannot), is `unchecked_pattern`;
- a field the documented schema marks required that traffic lacks (`missing_required_field`);
- a field a pact requires (every key of a pact's expected body is required) that traffic with the
  same status lacks (`missing_field`);
- no body or a body that is not JSON where the document or a pact with that status expects JSON
  (`not_json`, at `$`; a JSON scalar where an object is expected is a `type_change` at `$`);
- a response `Content-Type` the documented status does not list (`undocumented_content_type`);
- a discriminator value that names no branch of its schema, or names another subtype than
  the one documented there (`undocumented_value`, at the discriminator's field); traffic
  lacking its discriminator (`missing_required_field`).

How a schema is read: `harness.contracts.schema_comparison`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from harness.contracts.exchanges import JSON, Drift, Exchange, OperationIndex, field_types
from harness.contracts.openapi_document import json_schema_of, media_type_listed
from harness.contracts.schema_comparison import Comparison


def detect_drift(
    documents: Sequence[Mapping[str, Any]],
    pacts: Sequence[Exchange],
    traffic: Sequence[Exchange],
) -> list[Drift]:
    """Every disagreement between the documents, the pact interactions and the traffic."""
    index = OperationIndex(documents)
    found: list[Drift] = []
    # A pact names only the fields the consumer reads: "required" applies to traffic only.
    for exchange in pacts:
        found.extend(_against_document(index, exchange, complete=False))
    for exchange in traffic:
        found.extend(_against_document(index, exchange, complete=True))
    for exchange in traffic:
        found.extend(_against_pacts(index, exchange, pacts))
    return _unique(found)


def _against_document(
    index: OperationIndex, exchange: Exchange, *, complete: bool
) -> Iterator[Drift]:
    operation = index.find(exchange.method, exchange.path)
    if operation is None:
        yield Drift(
            f"{exchange.method} {exchange.path}",
            "undocumented_operation",
            "",
            "no OpenAPI document describes this call",
            exchange.source,
        )
        return
    response = operation.response(exchange.status)
    if response is None:
        yield Drift(
            operation.label,
            "undocumented_status",
            "",
            f"status {exchange.status} is not documented "
            f"(documented: {', '.join(sorted(operation.responses)) or 'none'})",
            exchange.source,
        )
        return
    media_types = list(response.get("content") or {})
    if (
        exchange.content_type
        and media_types
        and not media_type_listed(exchange.content_type, media_types)
    ):
        yield Drift(
            operation.label,
            "undocumented_content_type",
            "$",
            f"Content-Type {exchange.content_type} is not documented "
            f"(documented: {', '.join(media_types)})",
            exchange.source,
        )
    schema = json_schema_of(response)
    if schema is None:
        return
    if exchange.body_form != "json":
        yield Drift(
            operation.label,
            "not_json",
            "$",
            f"documented a JSON body, got {exchange.body_seen()}",
            exchange.source,
        )
        return
    yield from Comparison(operation, exchange, complete).schema(exchange.body, schema, "$")


def _against_pacts(
    index: OperationIndex, exchange: Exchange, pacts: Sequence[Exchange]
) -> Iterator[Drift]:
    operation = index.find(exchange.method, exchange.path)
    label = operation.label if operation else f"{exchange.method} {exchange.path}"
    observed = _numbers_as_one(field_types(exchange.body))
    for pact in pacts:
        if (
            not pact.answers_with(exchange.status)
            or pact.body_form != "json"
            or not _same_operation(index, pact, exchange)
        ):
            continue
        sources = f"{exchange.source} vs {pact.source}"
        if exchange.body_form != "json":
            yield Drift(
                label,
                "not_json",
                "$",
                f"the pact expects {pact.body_seen()}, traffic has {exchange.body_seen()}",
                sources,
            )
            continue
        expected_types = _numbers_as_one(field_types(pact.body))
        if not observed["$"] & expected_types["$"]:
            yield Drift(
                label,
                "type_change",
                "$",
                f"the pact expects {pact.body_seen()}, traffic has {exchange.body_seen()}",
                sources,
            )
            continue
        for path, expected in expected_types.items():
            if path not in observed:
                if not _under_empty_array(path, exchange.body):
                    yield Drift(
                        label,
                        "missing_field",
                        path,
                        f"the pact requires a {'|'.join(sorted(expected))}, traffic lacks it",
                        sources,
                    )
            elif not observed[path] & expected:
                yield Drift(
                    label,
                    "type_change",
                    path,
                    f"pact expects {'|'.join(sorted(expected))}, traffic has "
                    f"{'|'.join(sorted(observed[path]))}",
                    sources,
                )


def _same_operation(index: OperationIndex, a: Exchange, b: Exchange) -> bool:
    if a.method.upper() != b.method.upper():
        return False
    op_a, op_b = index.find(a.method, a.path), index.find(b.method, b.path)
    if op_a is None or op_b is None:
        return a.path == b.path
    return op_a is op_b


def _numbers_as_one(types: dict[str, set[str]]) -> dict[str, set[str]]:
    """Pact examples carry no schema: 12 and 12.5 are both just numbers there."""
    return {path: {"number" if t == "integer" else t for t in seen} for path, seen in types.items()}


def _under_empty_array(path: str, body: JSON) -> bool:
    """True when `path` lies under an array that is empty in `body` (nothing to compare)."""
    prefix, sep, _ = path.partition("[]")
    if not sep:
        return False
    types = field_types(body)
    return prefix in types and f"{prefix}[]" not in types


def _unique(items: Iterable[Drift]) -> list[Drift]:
    seen: dict[tuple[str, str, str], Drift] = {}
    for item in items:
        seen.setdefault((item.operation, item.kind, item.field), item)
    return sorted(seen.values(), key=lambda d: (d.operation, d.kind, d.field))
