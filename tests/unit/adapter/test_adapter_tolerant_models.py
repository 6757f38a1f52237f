"""Products are read tolerantly where G2A's PHP backend is loose: one odd product never fails
a page; it is returned (its odd optional field read as absent) and logged, or, when a field it
cannot do without is unreadable, skipped and logged."""

from __future__ import annotations

import json
import logging
from types import MappingProxyType

import pytest

from g2a_adapter import Product, ProductPage

FULL_REQUIREMENTS = {"minimal": {"reqprocessor": "i3"}, "recommended": {"reqprocessor": "i5"}}
STOCK = {"qty": 1, "minPrice": 2.5}  # what no product can do without, beside its id and name


def page(*docs: dict[str, object]) -> bytes:
    return json.dumps({"total": len(docs), "page": 1, "docs": list(docs)}).encode()


def test_a_page_with_php_empty_objects_parses() -> None:
    parsed = ProductPage.model_validate_json(
        page(
            {"id": "1", "name": "gift card", "requirements": [], "restrictions": [], **STOCK},
            {
                "id": "2",
                "name": "game",
                **STOCK,
                "requirements": FULL_REQUIREMENTS,
                "restrictions": {"pegi_violence": True},
            },
        )
    )
    assert [(p.requirements, p.restrictions) for p in parsed.docs] == [
        ({}, {}),
        (FULL_REQUIREMENTS, {"pegi_violence": True}),
    ]


def test_unknown_fields_are_kept() -> None:
    product = Product.model_validate(
        {"id": 3, "name": "x", **STOCK, "retail_min_price": 1.5, "images": []}
    )
    assert (product.id, product.model_extra) == ("3", {"retail_min_price": 1.5, "images": []})


@pytest.mark.parametrize(
    ("field", "attribute", "odd"),
    [
        ("requirements", "requirements", "none"),
        ("requirements", "requirements", [1, 2]),
        ("restrictions", "restrictions", {"pegi_violence": "maybe"}),
        ("videos", "videos", {"url": "y"}),
        ("categories", "categories", "action"),
        ("region", "region", 7),
        ("smallImage", "small_image", False),
    ],
)
def test_one_odd_product_is_returned_and_logged_never_failing_the_page(
    field: str, attribute: str, odd: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        parsed = ProductPage.model_validate_json(
            page(
                {"id": "10", "name": "odd", **STOCK, field: odd},
                {"id": "11", "name": "fine", **STOCK},
            )
        )
    assert [p.id for p in parsed.docs] == ["10", "11"]
    assert getattr(parsed.docs[0], attribute) is None
    # the log names the product, the field and the type, never the value
    assert [r.getMessage() for r in caplog.records] == [
        f"product 10: field {attribute} has an unexpected {type(odd).__name__}; read as absent"
    ]


def test_a_product_without_a_required_field_is_skipped_not_failing_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        parsed = ProductPage.model_validate_json(
            page({"id": "12", **STOCK}, {"name": "no id", **STOCK})
        )
    assert (parsed.docs, parsed.unreadable_ids) == ([], ("12", ""))
    assert [r.getMessage() for r in caplog.records] == [
        "product 12: name unreadable; the product is skipped",
        "product ?: id unreadable; the product is skipped",
    ]


def test_a_page_without_its_own_fields_still_fails() -> None:
    with pytest.raises(ValueError, match="total"):
        ProductPage.model_validate_json(b'{"page": 1, "docs": []}')


def test_an_odd_field_given_by_its_attribute_name_is_read_as_absent_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        product = Product.model_validate(
            {"id": 13, "name": "n", **STOCK, "small_image": 5, "restrictions": []}
        )
    assert (product.id, product.small_image, product.restrictions) == ("13", None, {})
    assert [r.getMessage() for r in caplog.records] == [
        "product 13: field small_image has an unexpected int; read as absent"
    ]


def test_a_product_odd_in_an_optional_field_and_missing_a_required_one_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        parsed = ProductPage.model_validate_json(
            page(
                {"id": "14", "qty": 1, "region": 7, "videos": "v"},
                {"id": "15", "name": "fine", **STOCK, "region": "EU"},
            )
        )
    assert ([p.id for p in parsed.docs], parsed.unreadable_ids) == (["15"], ("14",))
    assert parsed.docs[0].region == "EU"
    assert [r.getMessage() for r in caplog.records] == [
        "product 14: field region has an unexpected int; read as absent",
        "product 14: field videos has an unexpected str; read as absent",
        "product 14: minPrice, name unreadable; the product is skipped",
    ]


def test_a_product_given_as_any_mapping_is_read_tolerantly() -> None:
    doc = MappingProxyType({"id": "16", "name": "n", **STOCK, "restrictions": [], "region": 7})
    product = Product.model_validate(doc)
    assert (product.restrictions, product.region) == ({}, None)
