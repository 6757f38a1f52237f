"""`check_answerable`, the twin's one check for what no answer can carry, and every way into
the twin it guards: admin bodies, a config built or updated in code, fault specs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harness.twin.catalog import generate_products
from harness.twin.config import TwinConfig
from harness.twin.credentials import Credential
from harness.twin.errors import ErrorSpec, UnanswerableError, check_answerable

SURROGATE = " holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"
OUT_OF_RANGE = " holds a number out of range (1e400 is read as infinity), which no answer can carry"
CYCLE = " refers back to a value that holds it (a cycle), which no answer can carry"


def refusal(where: str, reason: str) -> pytest.RaisesExc[UnanswerableError]:
    return pytest.raises(UnanswerableError, match=f"^{re.escape(where + reason)}$")


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        ({"a": [1, {"b": "x\ud800"}]}, "body.a[1].b", SURROGATE),
        ([1.5, {"b": -1e400}], "body[1].b", OUT_OF_RANGE),
        ({"k": {"ok": 1, "\udc00": 1}}, "a key of body.k", SURROGATE),
        ({"k": {1e400: 1}}, "a key of body.k", OUT_OF_RANGE),
        ((1, ("\ud800",)), "body[1][0]", SURROGATE),
        ([ErrorSpec(400, "X", "\udfff")], "body[0].message", SURROGATE),
        ({"big": [10**5000]}, "body.big[0]", OUT_OF_RANGE),  # more digits than JSON writes
        ("\ud800", "body", SURROGATE),
    ],
    ids=[
        "in an object in a list", "negative infinity", "in a key", "infinite key", "tuples",
        "dataclass field", "huge integer", "the whole body",
    ],
)  # fmt: skip
def test_a_refusal_names_the_place_of_the_problem(data: Any, where: str, reason: str) -> None:
    with refusal(where, reason):
        check_answerable(data, "body")


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        ([1e400, "\ud800"], "body[0]", OUT_OF_RANGE),
        (["\ud800", 1e400], "body[0]", SURROGATE),
        ({"a": {"b": [1, "\ud800"]}, "c": 1e400}, "body.a.b[1]", SURROGATE),
        ({"a": {"b": [1, 1e400]}, "c": "\ud800"}, "body.a.b[1]", OUT_OF_RANGE),
        ({"\ud800": 1e400}, "a key of body", SURROGATE),
        ({"k": 1e400, "\ud800": 1}, "body.k", OUT_OF_RANGE),
        ([1] * 300 + [[1e400]] + ["\ud800"] * 400, "body[300][0]", OUT_OF_RANGE),
        ({**{f"k{n}": n for n in range(600)}, "k500": "\ud800", "z": 1e400}, "body.k500",
         SURROGATE),
    ],
    ids=[
        "number first", "surrogate first", "nested first", "nested number first",
        "key before its value", "value before a later key", "long list", "long object",
    ],
)  # fmt: skip
def test_of_several_problems_the_first_in_document_order_is_named(
    data: Any, where: str, reason: str
) -> None:
    with refusal(where, reason):
        check_answerable(data, "body")


def cyclic_list() -> list[Any]:
    loop: list[Any] = ["a"]
    loop.append(loop)
    return loop


def cyclic_dict() -> dict[str, Any]:
    loop: dict[str, Any] = {"ok": 1}
    loop["again"] = [loop]
    return loop


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (cyclic_list(), "f[1]"),
        (cyclic_dict(), "f.again[0]"),
        ([ErrorSpec(400, "X", cyclic_list())], "f[0].message[1]"),
    ],
    ids=["list", "object", "in a dataclass"],
)
def test_a_cycle_is_refused_by_its_place_not_walked_forever(data: Any, where: str) -> None:
    with refusal(where, CYCLE):
        check_answerable(data, "f")


def test_a_value_held_twice_is_no_cycle() -> None:
    shared = ["x", 1.5]
    check_answerable({"a": shared, "b": [shared, shared]}, "f")


CODE = "code must be 1 to 64 characters of A-Z, a-z, 0-9 and _.:-"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (ErrorSpec(400, "ORD03", cyclic_list()), "message must be a string of 1 to 1000 characters"),  # type: ignore[arg-type]  # noqa: E501
        (ErrorSpec(200, "ORD03", "fine"), "status must be an HTTP error status"),
        (ErrorSpec(400, "ORD 03", "fine"), CODE),
    ],
    ids=["cyclic message", "status", "code"],
)  # fmt: skip
def test_an_error_spec_given_in_code_is_checked_as_a_parsed_one(
    spec: ErrorSpec, reason: str
) -> None:
    """An ErrorSpec object was taken as it came: a cyclic list for a message walked forever."""
    with pytest.raises(ValueError, match=f"^order_errors.out_of_stock: {re.escape(reason)}$"):
        TwinConfig().updated({"order_errors": {"out_of_stock": spec}})


def test_a_good_error_spec_given_in_code_is_taken() -> None:
    spec = ErrorSpec(409, "ORD03", "Out of stock")
    config = TwinConfig().updated({"order_errors": {"out_of_stock": spec}})
    assert config.order_errors["out_of_stock"] == spec


CONFIG_CASES = [
    ({"webhook_secrets": ["fine", "s\ud800"]}, "webhook_secrets[1]", SURROGATE),
    ({"status_words": {"new": "n\ud800"}}, "status_words.new", SURROGATE),
    ({"currency_rates": {"EUR": 1.0, "USD": float("inf")}}, "currency_rates.USD", OUT_OF_RANGE),
    ({"credentials": [Credential("h\ud800", "e", "abcd")]}, "credentials[0].api_hash", SURROGATE),
    (
        {"order_errors": {"out_of_stock": ErrorSpec(400, "ORD03", "x\ud800")}},
        "order_errors.out_of_stock.message",
        SURROGATE,
    ),
]
CONFIG_IDS = ["webhook secret", "status word", "rate", "credential", "error spec"]


@pytest.mark.parametrize(("fields", "where", "reason"), CONFIG_CASES, ids=CONFIG_IDS)
def test_a_config_built_in_code_is_checked_as_an_updated_one(
    fields: dict[str, Any], where: str, reason: str
) -> None:
    """`TwinConfig(...)` and `TwinConfig.fast(...)` (what `create_app` and in-process tests
    take) took these, and `GET /__twin/config` then answered 500."""
    with refusal(where, reason):
        TwinConfig(**fields)
    with refusal(where, reason):
        TwinConfig.fast(**fields)


def test_a_refusal_never_shows_the_value() -> None:
    secret = "very-secret-value-\ud800"
    with pytest.raises(UnanswerableError) as refused:
        TwinConfig.fast(webhook_secrets=[secret])
    assert "very-secret" not in str(refused.value)


def test_an_answerable_body_is_written_once_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check runs inside the admin handlers, on the loop the G2A API shares: a walk in
    Python took 6 to 10 times as long as writing the body (4 MB: 344 ms, then 2139 ms), so
    only a body JSON cannot write is walked."""
    from harness.twin import errors

    def no_walk(data: Any, where: str) -> None:
        raise AssertionError("an answerable body was walked")

    monkeypatch.setattr(errors, "_first_problem", no_walk)
    check_answerable({"products": generate_products(7, 200), "pad": list(range(1000))}, "body")
    with pytest.raises(AssertionError, match="walked"):
        check_answerable({"pad": [1e400]}, "body")
