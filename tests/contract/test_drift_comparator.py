"""The drift comparator over plain data: each kind of drift is found, aligned data finds none."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from harness.contracts import schema_comparison
from harness.contracts.drift import detect_drift
from harness.contracts.exchanges import BodyForm, Drift, Exchange, OperationIndex, field_types
from harness.contracts.openapi_document import DocumentError

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "mini", "version": "1"},
    "servers": [{"url": "https://sandboxapi.g2a.com/v1"}],
    "paths": {
        "/products": {
            "get": {
                "responses": {
                    "200": {
                        "description": "a page",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ProductPage"}
                            }
                        },
                    },
                    "4XX": {"$ref": "#/components/responses/Error"},
                }
            }
        },
        "/order/key/{orderId}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "the key",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["key"],
                                    "properties": {
                                        "key": {"type": "string"},
                                        "isFile": {"type": "boolean"},
                                    },
                                }
                            }
                        },
                    }
                }
            }
        },
    },
    "components": {
        "responses": {
            "Error": {
                "description": "G2A error envelope",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string"},
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
        "schemas": {
            "ProductPage": {
                "type": "object",
                "required": ["total", "page", "docs"],
                "properties": {
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "docs": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                },
            },
            "Product": {
                "allOf": [
                    {
                        "type": "object",
                        "required": ["id", "name"],
                        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    },
                    {
                        "properties": {
                            "minPrice": {"type": "number"},
                            "restrictions": {
                                "type": "object",
                                "additionalProperties": {"type": "boolean"},
                            },
                        }
                    },
                ]
            },
        },
    },
}

PRODUCT = {"id": "10000084431001", "name": "Key", "minPrice": 12, "restrictions": {"pegi": True}}
PACT_PAGE = Exchange(
    "GET", "/v1/products", 200, {"total": 1, "page": 1, "docs": [PRODUCT]}, "pact:p#page"
)
PACT_KEY = Exchange("GET", "/v1/order/key/1", 200, {"key": "AAAA"}, "pact:p#key")


def traffic(method: str, path: str, status: int, body: Any) -> Exchange:
    return Exchange(method, path, status, body, "cassette:c#0")


def kinds(found: list[Drift]) -> set[tuple[str, str, str]]:
    return {(d.operation, d.kind, d.field) for d in found}


def test_aligned_sources_show_no_drift() -> None:
    recorded = [
        traffic("GET", "/v1/products", 200, {"total": 2, "page": 1, "docs": [PRODUCT, PRODUCT]}),
        traffic("GET", "/v1/products", 401, {"status": "ERROR", "code": "AUTH02", "message": ""}),
        traffic("GET", "/v1/order/key/1530978476", 200, {"key": "X", "isFile": False}),
    ]
    assert detect_drift([DOCUMENT], [PACT_PAGE, PACT_KEY], recorded) == []


def test_renamed_field_is_undocumented_in_traffic_and_missing_for_the_pact() -> None:
    renamed = {"id": "1", "title": "Key", "minPrice": 1.5}
    recorded = [traffic("GET", "/v1/products", 200, {"total": 1, "page": 1, "docs": [renamed]})]
    found = kinds(detect_drift([DOCUMENT], [PACT_PAGE], recorded))
    assert found == {
        ("GET /v1/products", "undocumented_field", "$.docs[].title"),
        ("GET /v1/products", "missing_required_field", "$.docs[].name"),
        ("GET /v1/products", "missing_field", "$.docs[].name"),
        ("GET /v1/products", "missing_field", "$.docs[].restrictions"),
        ("GET /v1/products", "missing_field", "$.docs[].restrictions.pegi"),
    }


def test_type_change_is_reported_against_document_and_pact() -> None:
    recorded = [
        traffic(
            "GET",
            "/v1/products",
            200,
            {"total": 1, "page": 1, "docs": [{**PRODUCT, "minPrice": "12.00"}]},
        )
    ]
    found = detect_drift([DOCUMENT], [PACT_PAGE], recorded)
    assert kinds(found) == {("GET /v1/products", "type_change", "$.docs[].minPrice")}
    assert found[0].detail in {
        "documented number, got string",
        "pact expects number, traffic has string",
    }


def test_undocumented_status_and_operation() -> None:
    recorded = [
        traffic("GET", "/v1/order/key/7", 418, {"teapot": True}),
        traffic("DELETE", "/v1/order/7", 200, {}),
    ]
    found = detect_drift([DOCUMENT], [], recorded)
    assert kinds(found) == {
        ("GET /v1/order/key/{orderId}", "undocumented_status", ""),
        ("DELETE /v1/order/7", "undocumented_operation", ""),
    }
    status = next(d for d in found if d.kind == "undocumented_status")
    assert status.detail == "status 418 is not documented (documented: 200)"


def test_pact_that_the_documents_do_not_cover_is_drift_too() -> None:
    pact = Exchange("GET", "/v1/order/key/1", 200, {"key": "A", "downloads": 1}, "pact:p#key")
    found = detect_drift([DOCUMENT], [pact], [])
    assert kinds(found) == {("GET /v1/order/key/{orderId}", "undocumented_field", "$.downloads")}
    assert found[0].source == "pact:p#key"


def test_integral_price_is_a_number_but_a_fraction_is_no_integer() -> None:
    recorded = [traffic("GET", "/v1/products", 200, {"total": 1.5, "page": 1, "docs": []})]
    found = detect_drift([DOCUMENT], [], recorded)
    assert kinds(found) == {("GET /v1/products", "type_change", "$.total")}


def ruled() -> dict[str, Any]:
    """DOCUMENT with an error `status` that is always ERROR, digit ids, a boolean `isFile`
    that is always false, and a `code` of capitals then digits."""
    document = copy.deepcopy(DOCUMENT)
    error = document["components"]["responses"]["Error"]["content"]["application/json"]
    error["schema"]["properties"]["status"]["enum"] = ["ERROR"]
    error["schema"]["properties"]["code"]["pattern"] = "^[A-Z]+[0-9]*$"
    document["components"]["schemas"]["Product"]["allOf"][0]["properties"]["id"]["pattern"] = (
        "^[0-9]+$"
    )
    key = document["paths"]["/order/key/{orderId}"]["get"]["responses"]["200"]
    key["content"]["application/json"]["schema"]["properties"]["isFile"]["enum"] = [False]
    return document


def test_a_value_the_document_rules_out_is_drift() -> None:
    recorded = [
        traffic("GET", "/v1/products", 401, {"status": "error", "code": "AUTH02", "message": ""}),
        traffic("GET", "/v1/products", 400, {"status": "ERROR", "code": "auth-2", "message": ""}),
        traffic(
            "GET",
            "/v1/products",
            200,
            {"total": 1, "page": 1, "docs": [{**PRODUCT, "id": "G2A-10000084431001"}]},
        ),
        traffic("GET", "/v1/order/key/1530978476", 200, {"key": "X", "isFile": 0}),
    ]
    found = {(d.field, d.detail) for d in detect_drift([ruled()], [], recorded)}
    assert found == {
        ("$.status", 'documented one of "ERROR", got "error"'),
        ("$.code", 'documented pattern ^[A-Z]+[0-9]*$, got "auth-2"'),
        ("$.docs[].id", 'documented pattern ^[0-9]+$, got "G2A-10000084431001"'),
        ("$.isFile", "documented boolean, got integer"),
    }
    assert {d.kind for d in detect_drift([ruled()], [], recorded[:3])} == {"undocumented_value"}


def test_values_the_document_allows_are_no_drift() -> None:
    recorded = [
        traffic("GET", "/v1/products", 401, {"status": "ERROR", "code": "AUTH", "message": ""}),
        traffic("GET", "/v1/products", 200, {"total": 1, "page": 1, "docs": [PRODUCT]}),
        traffic("GET", "/v1/order/key/1530978476", 200, {"key": "X", "isFile": False}),
    ]
    assert detect_drift([ruled()], [PACT_PAGE, PACT_KEY], recorded) == []


def test_true_is_not_one_in_an_enum() -> None:
    document = ruled()
    key = document["paths"]["/order/key/{orderId}"]["get"]["responses"]["200"]
    key["content"]["application/json"]["schema"]["properties"]["isFile"] = {"enum": [1]}
    recorded = [traffic("GET", "/v1/order/key/1530978476", 200, {"key": "X", "isFile": True})]
    [found] = detect_drift([document], [], recorded)
    assert (found.kind, found.field, found.detail) == (
        "undocumented_value",
        "$.isFile",
        "documented one of 1, got true",
    )


def test_a_pattern_python_cannot_read_is_a_finding_not_a_crash() -> None:
    # valid ECMA-262 (OpenAPI's dialect), which Python's `re` does not read
    document = ruled()
    error = document["components"]["responses"]["Error"]["content"]["application/json"]
    error["schema"]["properties"]["code"]["pattern"] = "^\\p{Lu}"
    recorded = [traffic("GET", "/v1/products", 401, {"status": "ERROR", "code": "A"})]
    [found] = detect_drift([document], [], recorded)
    assert (found.kind, found.field) == ("unchecked_pattern", "$.code")
    assert found.detail.startswith("documented pattern ^\\p{Lu} is not a regex Python reads (")


def test_a_pattern_s_digits_are_ascii_as_in_openapi() -> None:
    recorded = [
        traffic(
            "GET",
            "/v1/products",
            200,
            {"total": 1, "page": 1, "docs": [{**PRODUCT, "id": "\u0661\u0662\u0663"}]},
        )
    ]
    document = ruled()
    product = document["components"]["schemas"]["Product"]["allOf"][0]["properties"]["id"]
    product["pattern"] = "^\\d+$"
    [found] = detect_drift([document], [], recorded)
    assert (found.kind, found.field) == ("undocumented_value", "$.docs[].id")


def status_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """DOCUMENT with the key answer's `isFile` replaced by a `status` field of `schema`, and
    an `OrderStatus` component of `new` and `paid`."""
    document = copy.deepcopy(DOCUMENT)
    document["components"]["schemas"]["OrderStatus"] = {"type": "string", "enum": ["new", "paid"]}
    key = document["paths"]["/order/key/{orderId}"]["get"]["responses"]["200"]
    properties = key["content"]["application/json"]["schema"]["properties"]
    properties["status"] = schema
    return document


def value_findings(schema: dict[str, Any], value: Any) -> list[tuple[str, str, str]]:
    recorded = [traffic("GET", "/v1/order/key/1", 200, {"key": "X", "status": value})]
    return [
        (d.kind, d.field, d.detail) for d in detect_drift([status_schema(schema)], [], recorded)
    ]


def test_null_of_a_nullable_field_must_be_listed_by_its_enum() -> None:
    """OpenAPI 3.0.3: `nullable` adds null to the types, and an `enum` still rules values
    out, null too unless it lists it."""
    schema = {"type": "string", "nullable": True, "enum": ["new", "paid"]}
    assert value_findings(schema, None) == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got null')
    ]
    assert value_findings(schema, "refunded") == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got "refunded"')
    ]
    listed = {**schema, "enum": ["new", "paid", None]}
    assert value_findings(listed, None) == []
    assert value_findings({"type": "string", "nullable": True}, None) == []


def test_null_of_a_field_not_nullable_is_a_type_change() -> None:
    assert value_findings({"type": "string", "enum": ["new", None]}, None) == [
        ("type_change", "$.status", "documented string, got null")
    ]


def test_every_member_of_all_of_holds_its_enum_and_pattern() -> None:
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/OrderStatus"},
            {"enum": ["paid", "refunded"]},
            {"pattern": "^[a-z]+$"},
            {"pattern": "^.{1,3}$"},
        ]
    }
    assert value_findings({**schema, "allOf": schema["allOf"][:3]}, "paid") == []
    assert value_findings(schema, "new") == [
        ("undocumented_value", "$.status", 'documented one of "paid", "refunded", got "new"')
    ]
    assert value_findings(schema, "paid") == [
        ("undocumented_value", "$.status", 'documented pattern ^.{1,3}$, got "paid"')
    ]


def test_an_enum_beside_all_of_does_not_hide_the_members_enum() -> None:
    schema = {"enum": ["new", "refunded"], "allOf": [{"$ref": "#/components/schemas/OrderStatus"}]}
    assert value_findings(schema, "new") == []
    assert value_findings(schema, "refunded") == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got "refunded"')
    ]
    assert value_findings(schema, "paid") == [
        ("undocumented_value", "$.status", 'documented one of "new", "refunded", got "paid"')
    ]


def test_all_of_beside_one_of_holds_too() -> None:
    schema = {
        "allOf": [{"$ref": "#/components/schemas/OrderStatus"}],
        "oneOf": [{"type": "string"}, {"type": "integer"}],
    }
    assert value_findings(schema, "paid") == []
    assert value_findings(schema, "refunded") == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got "refunded"')
    ]


def test_fields_of_all_of_and_of_a_one_of_branch_are_all_documented() -> None:
    schema = {
        "allOf": [
            {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}}
        ],
        "oneOf": [
            {"properties": {"card": {"type": "integer"}}, "required": ["card"]},
            {"properties": {"wallet": {"type": "string"}}, "required": ["wallet"]},
        ],
    }
    assert value_findings(schema, {"kind": "card", "card": 4}) == []
    assert value_findings(schema, {"kind": "wallet", "wallet": "w"}) == []
    assert value_findings(schema, {"card": 4}) == [
        ("missing_required_field", "$.status.kind", "documented as required, absent")
    ]
    assert value_findings(schema, {"kind": "card", "card": 4, "cvv": "1"}) == [
        ("undocumented_field", "$.status.cvv", "string field not declared by the documented schema")
    ]


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("^abc$", "abc", True),
        ("^abc$", "abc\n", False),
        ("abc$", "xabc\n", False),
        ("^(abc|de)$", "de\n", False),
        ("^[$]+$", "$$", True),
        ("^[$]+$", "$$\n", False),
        ("^a\\$$", "a$", True),
        ("^a\\$", "a$", True),
        ("^a\\$", "a$\n", True),
        ("^[^$]+$", "ab", True),
        ("^[^$]+$", "a$", False),
        ("^[\\]$]+$", "]$", True),
    ],
)
def test_a_pattern_s_dollar_ends_the_text_as_in_ecma_262(
    pattern: str, value: str, matches: bool
) -> None:
    """ECMA-262's `$` (without the m flag) matches at the end only, Python's also before a
    final newline; a `$` in a class or escaped is a dollar."""
    found = value_findings({"type": "string", "pattern": pattern}, value)
    detail = f"documented pattern {pattern}, got {json.dumps(value)}"
    assert found == ([] if matches else [("undocumented_value", "$.status", detail)])


def test_an_enum_reached_through_all_of_is_checked() -> None:
    schema = {"allOf": [{"$ref": "#/components/schemas/OrderStatus"}], "description": "x"}
    assert value_findings(schema, "paid") == []
    assert value_findings(schema, "refunded") == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got "refunded"')
    ]


def test_of_one_of_s_branches_the_one_of_the_value_s_type_is_reported() -> None:
    schema = {"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["new", "paid"]}]}
    assert value_findings(schema, "refunded") == [
        ("undocumented_value", "$.status", 'documented one of "new", "paid", got "refunded"')
    ]


def test_null_of_a_nullable_field_with_alternatives_passes() -> None:
    schema = {"nullable": True, "oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert value_findings(schema, None) == []
    assert value_findings(schema, 1.5) == [
        ("type_change", "$.status", "documented null|string, got number")
    ]


def test_pact_fields_under_an_empty_traffic_array_are_not_missing() -> None:
    recorded = [traffic("GET", "/v1/products", 200, {"total": 0, "page": 1, "docs": []})]
    assert detect_drift([DOCUMENT], [PACT_PAGE], recorded) == []


@pytest.mark.parametrize(
    ("body", "form", "seen"),
    [("<html>", "text", "a body that is not JSON"), (None, "none", "no body")],
)
def test_a_missing_or_non_json_body_where_json_is_expected_is_drift(
    body: str | None, form: BodyForm, seen: str
) -> None:
    recorded = [Exchange("GET", "/v1/products", 200, body, "cassette:c#0", body_form=form)]
    found = detect_drift([DOCUMENT], [PACT_PAGE], recorded)
    assert kinds(found) == {("GET /v1/products", "not_json", "$")}
    assert found[0].detail == f"documented a JSON body, got {seen}"


def test_a_json_scalar_where_an_object_is_expected_is_a_type_change() -> None:
    recorded = [traffic("GET", "/v1/products", 200, "Service Unavailable")]
    found = detect_drift([DOCUMENT], [PACT_PAGE], recorded)
    assert kinds(found) == {("GET /v1/products", "type_change", "$")}
    assert found[0].detail == "documented object, got string"


def test_a_pact_expecting_json_catches_a_body_no_document_describes() -> None:
    pact = Exchange("GET", "/v1/order/7", 200, {"status": "ok"}, "pact:p#order")
    for body, form in (("oops", "text"), (None, "none"), ([1], "json")):
        recorded = [Exchange("GET", "/v1/order/7", 200, body, "cassette:c#0", body_form=form)]
        found = {(d.kind, d.field) for d in detect_drift([DOCUMENT], [pact], recorded)}
        assert found == {
            ("undocumented_operation", ""),
            ("not_json" if form != "json" else "type_change", "$"),
        }


def test_non_json_traffic_where_no_json_is_expected_checks_status_only() -> None:
    document = copy.deepcopy(DOCUMENT)
    document["paths"]["/order/pay/{orderId}"] = {"put": {"responses": {"204": {"description": ""}}}}
    pact = Exchange("PUT", "/v1/order/pay/1", 204, None, "pact:p#pay", body_form="none")
    recorded = [Exchange("PUT", "/v1/order/pay/7", 204, "ok", "cassette:c#0", body_form="text")]
    assert detect_drift([document], [pact], recorded) == []


@pytest.mark.parametrize(
    ("content_type", "drifted"),
    [
        ("application/json", False),
        ("Application/JSON; charset=utf-8", False),
        ("text/html", True),
        (None, False),
    ],
)
def test_a_content_type_the_status_does_not_document_is_drift(
    content_type: str | None, drifted: bool
) -> None:
    body = {"key": "X"}
    recorded = [
        Exchange("GET", "/v1/order/key/7", 200, body, "cassette:c#0", content_type=content_type)
    ]
    found = kinds(detect_drift([DOCUMENT], [PACT_KEY], recorded))
    expected = ("GET /v1/order/key/{orderId}", "undocumented_content_type", "$")
    assert found == ({expected} if drifted else set())


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/products", "GET /v1/products"),
        ("get", "/v1/order/key/15", "GET /v1/order/key/{orderId}"),
        ("GET", "/v1/order/key/15/extra", None),
        ("POST", "/v1/products", None),
    ],
)
def test_operation_index_matches_templates_under_the_server_prefix(
    method: str, path: str, expected: str | None
) -> None:
    found = OperationIndex([DOCUMENT]).find(method, path)
    assert (found.label if found else None) == expected


def test_field_types_flattens_arrays_and_objects() -> None:
    assert field_types({"a": [{"b": 1}, {"b": "x"}], "c": None}) == {
        "$": {"object"},
        "$.a": {"array"},
        "$.a[]": {"object"},
        "$.a[].b": {"integer", "string"},
        "$.c": {"null"},
    }


JOB = {"data": {"jobId": "5f0b7c1e"}}


def offers_document() -> dict[str, Any]:
    """An offer create documented with any of 200, 201 and 202, as G2A documents it."""
    accepted = {
        "description": "accepted",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "object", "properties": {"jobId": {"type": "string"}}}
                    },
                }
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "offers", "version": "1"},
        "paths": {
            "/v3/sales/offers": {
                "post": {"responses": dict.fromkeys(("200", "201", "202"), accepted)}
            }
        },
    }


def test_a_pact_accepting_any_success_status_is_held_to_traffic_of_each() -> None:
    pact = Exchange("POST", "/v3/sales/offers", 202, JOB, "pact:p#offer", statuses=range(200, 300))
    recorded = [
        traffic("POST", "/v3/sales/offers", 201, {"data": {}}),
        traffic("POST", "/v3/sales/offers", 200, JOB),
    ]
    found = detect_drift([offers_document()], [pact], recorded)
    assert [(d.kind, d.field, d.source) for d in found] == [
        ("missing_field", "$.data.jobId", "cassette:c#0 vs pact:p#offer")
    ]


def test_a_pact_pinning_its_status_is_held_to_traffic_of_that_status_only() -> None:
    pact = Exchange("POST", "/v3/sales/offers", 202, JOB, "pact:p#offer")
    recorded = [traffic("POST", "/v3/sales/offers", 201, {"data": {}})]
    assert detect_drift([offers_document()], [pact], recorded) == []


def test_an_all_of_cycle_is_read_once() -> None:
    document = status_schema({"$ref": "#/components/schemas/Looped"})
    document["components"]["schemas"]["Looped"] = {
        "allOf": [
            {"$ref": "#/components/schemas/Looped"},
            {"$ref": "#/components/schemas/OrderStatus"},
        ]
    }
    recorded = [traffic("GET", "/v1/order/key/1", 200, {"key": "X", "status": "refunded"})]
    assert [(d.kind, d.detail) for d in detect_drift([document], [], recorded)] == [
        ("undocumented_value", 'documented one of "new", "paid", got "refunded"')
    ]


def component_findings(
    components: dict[str, Any], schema: dict[str, Any], value: Any
) -> list[tuple[str, str, str]]:
    """`value_findings` with `components` added to the document's schemas."""
    document = status_schema(schema)
    document["components"]["schemas"].update(components)
    recorded = [traffic("GET", "/v1/order/key/1", 200, {"key": "X", "status": value})]
    return [(d.kind, d.field, d.detail) for d in detect_drift([document], [], recorded)]


def test_a_one_of_inside_an_all_of_member_is_read() -> None:
    schema = {
        "allOf": [
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            {
                "oneOf": [
                    {"properties": {"card": {"type": "integer"}}},
                    {"properties": {"wallet": {"type": "string"}}},
                ]
            },
        ]
    }
    assert component_findings({}, schema, {"id": "1", "card": 4}) == []
    assert component_findings({}, schema, {"id": "1", "wallet": "w"}) == []
    assert component_findings({}, schema, {"card": 4, "cvv": "1"}) == [
        ("missing_required_field", "$.status.id", "documented as required, absent"),
        (
            "undocumented_field",
            "$.status.cvv",
            "string field not declared by the documented schema",
        ),
    ]


PETS: dict[str, Any] = {
    "Pet": {
        "type": "object",
        "required": ["petType"],
        "properties": {"petType": {"type": "string"}},
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {
            "propertyName": "petType",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
        },
    },
    "Cat": {
        "allOf": [
            {"$ref": "#/components/schemas/Pet"},
            {"type": "object", "properties": {"meow": {"type": "boolean"}}},
        ]
    },
    "Dog": {
        "allOf": [
            {"$ref": "#/components/schemas/Pet"},
            {"type": "object", "properties": {"bark": {"type": "boolean"}}},
        ]
    },
}


UNNAMED = "discriminator {} names no schema documented here"


def test_the_discriminator_layout_reads_each_subtype_of_the_parent() -> None:
    """`Pet: {oneOf: [Cat, Dog]}` with `Cat: {allOf: [Pet, ...]}`: a pet is a cat or a dog."""
    pet = {"$ref": "#/components/schemas/Pet"}
    assert component_findings(PETS, pet, {"petType": "cat", "meow": True}) == []
    assert component_findings(PETS, pet, {"petType": "dog", "bark": False}) == []
    assert component_findings(PETS, pet, {"meow": True}) == [
        ("missing_required_field", "$.status.petType", "documented as required, absent")
    ]
    assert component_findings(PETS, pet, {"petType": "cat", "meow": "yes"}) == [
        ("type_change", "$.status.meow", "documented boolean, got string")
    ]


def test_a_one_of_branch_whose_all_of_refers_to_another_one_of_holder_is_read() -> None:
    shape = {"Shape": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}
    schema = {"oneOf": [{"allOf": [{"$ref": "#/components/schemas/Shape"}]}, {"type": "boolean"}]}
    for value in ("x", 3, True):
        assert component_findings(shape, schema, value) == []
    assert component_findings(shape, schema, 1.5) == [
        ("type_change", "$.status", "documented string, got number")
    ]


def test_a_cycle_through_two_holders_of_alternatives_ends() -> None:
    """`A` offers a branch of all of `C`, and `C` one of all of `A`: each is expanded once."""
    cycle = {
        "A": {
            "oneOf": [
                {"allOf": [{"$ref": "#/components/schemas/C"}]},
                {"type": "object", "properties": {"a": {"type": "string"}}},
            ]
        },
        "C": {
            "oneOf": [
                {"allOf": [{"$ref": "#/components/schemas/A"}]},
                {"type": "object", "properties": {"c": {"type": "string"}}},
            ]
        },
    }
    schema = {"$ref": "#/components/schemas/A"}
    assert component_findings(cycle, schema, {"a": "x"}) == []
    assert component_findings(cycle, schema, {"c": "y"}) == []
    assert component_findings(cycle, schema, {"a": "x", "z": 1}) == [
        ("undocumented_field", "$.status.z", "integer field not declared by the documented schema")
    ]


def test_a_required_flag_on_a_property_is_no_list_of_names() -> None:
    """Swagger 2's `required: true` on a property: only a list of names is required."""
    schema = {"type": "object", "properties": {"id": {"type": "string", "required": True}}}
    assert value_findings(schema, {"id": "1"}) == []
    assert value_findings(schema, {}) == []
    assert value_findings(schema, {"id": 1}) == [
        ("type_change", "$.status.id", "documented string, got integer")
    ]


@pytest.mark.parametrize(
    "pattern", ["(?m)^paid$", "(?m:^paid$)", "^(?i:PAID)$", "(?-i:^paid$)", "(?x) ^ paid $"]
)
def test_a_pattern_setting_a_flag_inline_is_unchecked(pattern: str) -> None:
    """ECMA-262 5.1 (OpenAPI 3.0's patterns) has no inline flags: Python's reading of them
    (a multiline `$` before any newline) is no check of the document."""
    detail = f"documented pattern {pattern} sets a flag inline, which ECMA-262 patterns cannot"
    for value in ("paid", "paid\nnew"):
        assert value_findings({"type": "string", "pattern": pattern}, value) == [
            ("unchecked_pattern", "$.status", detail)
        ]


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("^(?:paid|new)$", "paid"),
        ("^(?=p)paid$", "paid"),
        ("^[(?m)]+$", "m?"),
        ("^\\(?m\\)$", "(m)"),
    ],
)
def test_groups_and_parentheses_that_set_no_flag_are_checked(pattern: str, value: str) -> None:
    schema = {"type": "string", "pattern": pattern}
    assert value_findings(schema, value) == []
    detail = f"documented pattern {pattern}, got {json.dumps(value + chr(10))}"
    assert value_findings(schema, value + "\n") == [("undocumented_value", "$.status", detail)]


def test_a_branch_among_the_mixins_of_any_of_is_no_choice_made() -> None:
    """`Stamp` beside an `anyOf` naming it too: the value may still be a `Card`."""
    mixins = {
        "Stamp": {"type": "object", "properties": {"at": {"type": "string"}}},
        "Card": {
            "type": "object",
            "required": ["card"],
            "properties": {"card": {"type": "string"}},
        },
    }
    stamp, card = {"$ref": "#/components/schemas/Stamp"}, {"$ref": "#/components/schemas/Card"}
    for key in ("anyOf", "oneOf"):
        schema = {"allOf": [stamp, {key: [stamp, card]}]}
        assert component_findings(mixins, schema, {"at": "t", "card": "c"}) == []
        assert component_findings(mixins, schema, {"at": "t", "cvv": "1"}) == [
            (
                "undocumented_field",
                "$.status.cvv",
                "string field not declared by the documented schema",
            )
        ]


def pets_requiring_a_bark() -> dict[str, Any]:
    pets = copy.deepcopy(PETS)
    pets["Cat"]["allOf"][1]["additionalProperties"] = False
    pets["Dog"]["allOf"][1]["required"] = ["bark"]
    return pets


def test_the_branch_the_discriminator_names_is_the_one_compared() -> None:
    pet = {"$ref": "#/components/schemas/Pet"}
    pets = pets_requiring_a_bark()
    absent = ("missing_required_field", "$.status.bark", "documented as required, absent")
    assert component_findings(pets, pet, {"petType": "dog", "bark": True}) == []
    assert component_findings(pets, pet, {"petType": "dog"}) == [absent]
    assert component_findings(pets, pet, {"petType": "dog", "meow": True}) == [
        absent,
        (
            "undocumented_field",
            "$.status.meow",
            "boolean field not declared by the documented schema",
        ),
    ]


def test_a_discriminator_naming_no_branch_or_absent_is_drift() -> None:
    pet = {"$ref": "#/components/schemas/Pet"}
    pets = pets_requiring_a_bark()
    assert component_findings(pets, pet, {"petType": "lizard", "meow": True}) == [
        ("undocumented_value", "$.status.petType", UNNAMED.format('"lizard"'))
    ]
    # Without a mapping entry, the name is the schema's: `Cat`, not `cat`.
    assert component_findings(pets, pet, {"petType": "Cat", "meow": True}) == []
    del pets["Pet"]["required"]
    assert component_findings(pets, pet, {"meow": True}) == [
        ("missing_required_field", "$.status.petType", "documented as required, absent")
    ]


def test_the_specification_s_discriminator_without_one_of_reads_its_subtypes() -> None:
    """OpenAPI 3.0.3's example: `Pet` holds only the discriminator, `Cat: {allOf: [Pet, ...]}`."""
    pets: dict[str, Any] = {
        "Pet": {
            "type": "object",
            "required": ["petType"],
            "properties": {"petType": {"type": "string"}},
            "discriminator": {"propertyName": "petType", "mapping": {"dog": "Dog"}},
        },
        "Cat": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {"type": "object", "properties": {"name": {"type": "string"}}},
            ]
        },
        "Dog": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {"type": "object", "properties": {"bark": {"type": "string"}}},
            ]
        },
        "Order": {"type": "object", "properties": {"name": {"type": "string"}}},
    }
    pet = {"$ref": "#/components/schemas/Pet"}
    assert component_findings(pets, pet, {"petType": "Cat", "name": "Misty"}) == []
    assert component_findings(pets, pet, {"petType": "dog", "bark": "soft"}) == []
    assert component_findings(pets, pet, {"petType": "Pet"}) == []
    # `Order` is a schema, but none whose `allOf` reaches `Pet`.
    assert component_findings(pets, pet, {"petType": "Order", "name": "x"}) == [
        (
            "undocumented_field",
            "$.status.name",
            "string field not declared by the documented schema",
        ),
        ("undocumented_value", "$.status.petType", UNNAMED.format('"Order"')),
    ]


def counted_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the value-with-members comparisons `detect_drift` makes."""
    calls = [0]
    merged = schema_comparison.merged_schema

    def counting(members: Any) -> dict[str, Any]:
        calls[0] += 1
        return merged(members)

    monkeypatch.setattr(schema_comparison, "merged_schema", counting)
    return calls


def nested_alternatives(levels: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An `allOf` of three `oneOf`s of six branches, each with a `child` of the same kind."""
    schema: dict[str, Any] | None = None
    value: dict[str, Any] | None = None
    for _ in range(levels):
        members = []
        for i in range(3):
            branches = []
            for j in range(6):
                properties: dict[str, Any] = {f"f{i}_{j}": {"type": "string"}}
                if schema is not None:
                    properties["child"] = schema
                branches.append({"type": "object", "properties": properties})
            members.append({"oneOf": branches})
        schema = {"allOf": members}
        value = {"f0_5": "x", "f1_5": "y", "f2_5": "z", **({"child": value} if value else {})}
    assert schema is not None
    return schema, value or {}


def test_each_subtree_below_alternatives_is_compared_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted_comparisons(monkeypatch)
    schema, value = nested_alternatives(3)
    assert component_findings({}, schema, value) == []
    # 6 x 6 x 6 branch combinations a level, each subtree below them compared once
    # (comparing it again under each combination makes over 10 million)
    assert calls[0] < 1000
    value["child"]["child"]["extra"] = 1
    assert component_findings({}, schema, value) == [
        (
            "undocumented_field",
            "$.status.child.child.extra",
            "integer field not declared by the documented schema",
        )
    ]


def test_a_chain_of_discriminated_pets_is_compared_once_a_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pets = copy.deepcopy(PETS)
    pets["Pet"]["properties"]["mother"] = {"$ref": "#/components/schemas/Pet"}
    pets["Pet"]["oneOf"].append({"$ref": "#/components/schemas/Bird"})
    pets["Bird"] = {"allOf": [{"$ref": "#/components/schemas/Pet"}]}
    value: dict[str, Any] = {"petType": "cat", "meow": True}
    for _ in range(10):
        value = {"petType": "cat", "meow": True, "mother": value}
    calls = counted_comparisons(monkeypatch)
    assert component_findings(pets, {"$ref": "#/components/schemas/Pet"}, value) == []
    # each pet's shape, petType and meow: a branch a pet (not 3 to the 11th)
    assert calls[0] < 11 * 4


def test_a_schema_with_one_of_and_any_of_holds_both() -> None:
    schema = {
        "type": "object",
        "oneOf": [
            {"properties": {"a": {"type": "string"}}},
            {"properties": {"b": {"type": "string"}}},
        ],
        "anyOf": [
            {"required": ["x"], "properties": {"x": {"type": "integer"}}},
            {"required": ["y"], "properties": {"y": {"type": "integer"}}},
        ],
    }
    assert component_findings({}, schema, {"a": "s", "x": 1}) == []
    assert component_findings({}, schema, {"b": "s", "y": 1}) == []
    assert component_findings({}, schema, {"a": "s", "x": "no"}) == [
        ("type_change", "$.status.x", "documented integer, got string")
    ]
    assert component_findings({}, schema, {"a": "s"}) == [
        ("missing_required_field", "$.status.x", "documented as required, absent")
    ]


def test_a_pact_without_the_discriminator_is_compared_with_every_branch() -> None:
    """A pact names only the fields its consumer reads: no `petType` is no finding there."""
    document = status_schema({"$ref": "#/components/schemas/Pet"})
    document["components"]["schemas"].update(pets_requiring_a_bark())
    pact = Exchange("GET", "/v1/order/key/1", 200, {"key": "X", "status": {"meow": True}}, "p")
    assert detect_drift([document], [pact], []) == []
    bad = Exchange("GET", "/v1/order/key/1", 200, {"key": "X", "status": {"purr": 1}}, "p")
    assert [(d.kind, d.field) for d in detect_drift([document], [bad], [])] == [
        ("undocumented_field", "$.status.purr")
    ]


def test_a_mapping_key_yaml_reads_as_a_number_is_matched_as_text() -> None:
    """YAML reads an unquoted `1: '#/components/schemas/Cat'` with the key 1."""
    pets = pets_requiring_a_bark()
    pets["Pet"]["discriminator"]["mapping"] = {
        1: "#/components/schemas/Cat",
        2: "#/components/schemas/Dog",
    }
    pet = {"$ref": "#/components/schemas/Pet"}
    assert component_findings(pets, pet, {"petType": "1", "meow": True}) == []
    assert component_findings(pets, pet, {"petType": "2"}) == [
        ("missing_required_field", "$.status.bark", "documented as required, absent")
    ]


def parent_only_pets() -> dict[str, Any]:
    """OpenAPI 3.0.3's layout: `Pet` holds only the discriminator, `Cat: {allOf: [Pet]}`."""
    pets = copy.deepcopy(PETS)
    del pets["Pet"]["oneOf"], pets["Pet"]["discriminator"]["mapping"]
    return pets


def pets_of_any_of() -> dict[str, Any]:
    pets = copy.deepcopy(PETS)
    pets["Pet"]["anyOf"] = pets["Pet"].pop("oneOf")
    return pets


@pytest.mark.parametrize(
    ("pets", "dog"), [(parent_only_pets(), "Dog"), (pets_of_any_of(), "dog"), (PETS, "dog")]
)
def test_a_discriminator_naming_another_subtype_than_documented_is_drift(
    pets: dict[str, Any], dog: str
) -> None:
    """A field documented as a `Cat` is no `Dog`, whatever layout names the subtypes."""
    cat = {"$ref": "#/components/schemas/Cat"}
    cat_name = "Cat" if dog == "Dog" else "cat"
    assert component_findings(pets, cat, {"petType": cat_name, "meow": True}) == []
    assert component_findings(pets, cat, {"petType": dog, "bark": True}) == [
        (
            "undocumented_field",
            "$.status.bark",
            "boolean field not declared by the documented schema",
        ),
        (
            "undocumented_value",
            "$.status.petType",
            f'discriminator "{dog}" names Dog, documented here as Cat',
        ),
    ]


def test_a_discriminator_naming_a_subtype_of_the_documented_schema_is_no_drift() -> None:
    """`House: {allOf: [Cat]}` is a `Cat`: a field documented as a `Cat` may hold one."""
    pets = parent_only_pets()
    pets["House"] = {
        "allOf": [
            {"$ref": "#/components/schemas/Cat"},
            {"properties": {"sofa": {"type": "string"}}},
        ]
    }
    cat = {"$ref": "#/components/schemas/Cat"}
    assert component_findings(pets, cat, {"petType": "House", "sofa": "red"}) == []
    house = {"$ref": "#/components/schemas/House"}
    assert component_findings(pets, house, {"petType": "Dog"}) == [
        (
            "undocumented_value",
            "$.status.petType",
            'discriminator "Dog" names Dog, documented here as House',
        )
    ]


def test_beside_one_of_and_any_of_the_discriminator_chooses_among_the_one_of() -> None:
    pets = copy.deepcopy(PETS)
    pets["Pet"]["anyOf"] = [
        {"properties": {"at": {"type": "string"}}},
        {"properties": {"by": {"type": "string"}}},
    ]
    pet = {"$ref": "#/components/schemas/Pet"}
    assert component_findings(pets, pet, {"petType": "dog", "bark": True, "at": "t"}) == []
    assert component_findings(pets, pet, {"petType": "dog", "bark": True, "at": 1}) == [
        ("type_change", "$.status.at", "documented string, got integer")
    ]


@pytest.mark.parametrize(
    ("documented", "given"), [("House", "Cat"), ("House", "Pet"), ("Cat", "Pet")]
)
def test_a_discriminator_naming_a_supertype_of_the_documented_schema_is_drift(
    documented: str, given: str
) -> None:
    """A field documented as a `House` (`House: {allOf: [Cat]}`) holds a `House`, not any cat."""
    pets = parent_only_pets()
    pets["House"] = {
        "allOf": [
            {"$ref": "#/components/schemas/Cat"},
            {"properties": {"sofa": {"type": "string"}}},
        ]
    }
    schema = {"$ref": f"#/components/schemas/{documented}"}
    assert component_findings(pets, schema, {"petType": given}) == [
        (
            "undocumented_value",
            "$.status.petType",
            f'discriminator "{given}" names {given}, documented here as {documented}',
        )
    ]


def document_error(components: dict[str, Any], schema: dict[str, Any]) -> str:
    """The message of the `DocumentError` comparing a value with `schema` raises."""
    with pytest.raises(DocumentError) as raised:
        component_findings(components, schema, {"petType": "cat", "meow": True})
    return str(raised.value)


def pets_with(**edit: Any) -> dict[str, Any]:
    pets = copy.deepcopy(PETS)
    pets["Pet"].update(edit)
    return pets


PET = {"$ref": "#/components/schemas/Pet"}
NOPE = {"$ref": "#/components/schemas/Nope"}


@pytest.mark.parametrize(
    ("components", "schema", "message"),
    [
        (
            pets_with(oneOf=[NOPE, {"$ref": "#/components/schemas/Cat"}]),
            PET,
            "#/components/schemas/Pet/oneOf/0: $ref '#/components/schemas/Nope' points to nothing",
        ),
        (  # beside the `oneOf`
            pets_with(anyOf=[NOPE]),
            PET,
            "#/components/schemas/Pet/anyOf/0: $ref '#/components/schemas/Nope' points to nothing",
        ),
        (
            {"X": {"allOf": [NOPE]}},
            {"$ref": "#/components/schemas/X"},
            "#/components/schemas/X/allOf/0: $ref '#/components/schemas/Nope' points to nothing",
        ),
        (
            {},
            NOPE,
            "#/paths/~1order~1key~1{orderId}/get/responses/200/content/application~1json"
            "/schema/properties/status: $ref '#/components/schemas/Nope' points to nothing",
        ),
        (pets_with(oneOf=3), PET, "#/components/schemas/Pet/oneOf: not a list"),
        (pets_with(anyOf={"a": 1}), PET, "#/components/schemas/Pet/anyOf: not a list"),
        (
            {"X": {"allOf": 3}},
            {"$ref": "#/components/schemas/X"},
            "#/components/schemas/X/allOf: not a list",
        ),
        (
            pets_with(oneOf=[{"$ref": "x.yaml#/A"}]),
            PET,
            "#/components/schemas/Pet/oneOf/0: $ref 'x.yaml#/A' is not a '#/...' reference",
        ),
    ],
)
def test_a_malformed_document_is_a_document_error_naming_where(
    components: dict[str, Any], schema: dict[str, Any], message: str
) -> None:
    assert document_error(components, schema) == f'OpenAPI document "mini": {message}'
