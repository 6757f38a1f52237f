"""Fault selection is pure and deterministic under a seed."""

from __future__ import annotations

import re

import pytest

from harness.twin.faults import KINDS, FaultBook, FaultSpecError, parse_fault


def kinds(
    book: FaultBook, n: int, method: str = "GET", path: str = "/v1/products"
) -> list[str | None]:
    results = []
    for _ in range(n):
        action = book.select(method, path)
        results.append(None if action is None else action.kind)
    return results


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    def draws(seed: int) -> list[str | None]:
        book = FaultBook()
        book.add({"route": "*", "kind": "status", "probability": 0.3, "seed": seed})
        return kinds(book, 50)

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)
    assert 5 <= draws(3).count("status") <= 25


def test_sequence_entries_inherit_the_fault_fields() -> None:
    book = FaultBook()
    book.add({"route": "/v1/order", "method": "POST", "status": 502, "code": "GW",
              "sequence": ["status", None, {"kind": "latency", "latency_ms": 50}]})  # fmt: skip
    first = book.select("POST", "/v1/order")
    assert first is not None
    assert (first.kind, first.status, first.code) == ("status", 502, "GW")
    assert book.select("POST", "/v1/order") is None
    third = book.select("POST", "/v1/order")
    assert third is not None
    assert (third.kind, third.latency_ms) == ("latency", 50)
    assert book.select("POST", "/v1/order") is None  # spent
    assert book.list()[0]["spent"] is True


def test_rate_limit_defaults_to_429_br03() -> None:
    fault = parse_fault({"kind": "rate_limit", "retry_after": 2}, "f")
    assert (fault.action.status, fault.action.code, fault.action.retry_after) == (429, "BR03", 2)


def test_first_matching_fault_that_fires_wins() -> None:
    book = FaultBook()
    book.add({"route": "/v1/order/pay/*", "kind": "status", "status": 500, "times": 1})
    book.add({"route": "*", "kind": "malformed"})
    assert kinds(book, 3, "PUT", "/v1/order/pay/15") == ["status", "malformed", "malformed"]
    assert kinds(book, 1, "GET", "/v1/products") == ["malformed"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"kind": "nope"}, "kind"),
        ({"kind": "status", "status": 42}, "status"),
        ({"kind": "latency", "latency_ms": -1}, "latency_ms"),
        ({"kind": "status", "seed": "x"}, "seed"),
        ({"kind": "status", "probability": True}, "probability"),
        ({"kind": "status", "sequence": [3]}, "sequence"),
    ],
)
def test_bad_specs_name_the_field(spec: dict[str, object], field: str) -> None:
    with pytest.raises(FaultSpecError, match=field):
        parse_fault(spec, "f")


FAULT_CODE = "code must be 1 to 256 characters, none of them a control character"
FAULT_MESSAGE = "message must be a string of 1 to 1000 characters"
LONE_SURROGATE = " holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"kind": "status", "code": 5}, "code must be a string"),
        ({"kind": "status", "code": ""}, FAULT_CODE),
        ({"kind": "status", "code": "X" * 257}, FAULT_CODE),
        ({"kind": "status", "code": "AUTH02\ng2a.call GET /v1/products"}, FAULT_CODE),
        ({"kind": "rate_limit", "code": "BR\x0003"}, FAULT_CODE),
        ({"kind": "status", "code": "BR\x9b03"}, FAULT_CODE),  # a C1 control character
        ({"kind": "status", "message": None}, "message must be a string"),
        ({"kind": "status", "message": ""}, FAULT_MESSAGE),
        ({"kind": "rate_limit", "message": "m" * 1001}, FAULT_MESSAGE),
        ({"kind": "status", "code": "BR\ud80003"}, f"code{LONE_SURROGATE}"),  # no UTF-8 for it
        ({"kind": "status", "message": "Busy \udfff"}, f"message{LONE_SURROGATE}"),
        ({"kind": "status", "route": "/v1/prod\ud800"}, f"route{LONE_SURROGATE}"),
        ({"kind": "status", "sequence": [None, {"kind": "html", "message": "\ud800"}]},
         f"sequence[1].message{LONE_SURROGATE}"),
        ({"kind": "status", "sequence": [{"kind": "status", "code": ""}]},
         f"sequence[0]: {FAULT_CODE}"),
        ({"kind": "status", "sequence": [None, {"kind": "html", "message": ""}]},
         f"sequence[1]: {FAULT_MESSAGE}"),
        ({"kind": "status", "sequence": ["status", "nope"]},
         f"sequence[1]: kind must be one of {', '.join(KINDS)}"),
    ],
    ids=[
        "code not text", "empty code", "long code", "code with newline", "code with NUL",
        "code with C1", "message not text", "empty message", "long message",
        "code with surrogate", "message with surrogate", "route with surrogate",
        "surrogate in sequence",
        "empty code in sequence", "empty message in sequence", "unknown kind in sequence",
    ],
)  # fmt: skip
def test_a_faults_code_and_message_are_checked_by_name(
    spec: dict[str, object], reason: str
) -> None:
    with pytest.raises(FaultSpecError, match=f"^{re.escape(reason)}$"):
        parse_fault(spec, "f")


@pytest.mark.parametrize("code", ["ORD 07", "Ошибка", "X" * 256, 'a/b?c="d"', "{reason}"])
def test_a_fault_code_may_be_any_text_without_control_characters(code: str) -> None:
    fault = parse_fault({"kind": "status", "code": code, "message": "m" * 1000}, "f")
    assert (fault.action.code, fault.action.message) == (code, "m" * 1000)


def test_clearing_the_faults_starts_their_ids_and_draws_again() -> None:
    """After `clear()` the book is as new: the same spec gets the same id and the same draws
    as in a fresh book under the same twin seed."""
    spec = {"route": "/v1/products", "kind": "status", "status": 503, "probability": 0.5}
    fresh = FaultBook(7)
    fresh_id = fresh.add(spec).id
    used = FaultBook(7)
    used.add({"route": "/v1/order", "kind": "reset"})
    used.clear()
    assert used.add(spec).id == fresh_id == "fault-1"
    assert kinds(used, 24) == kinds(fresh, 24)


@pytest.mark.parametrize(
    ("route", "written"),
    [
        ("/v1/order/key/{order_id}", "/v1/order/key/*"),
        ("/v3/sales/offers/{offerId}/inventory", "/v3/sales/offers/*/inventory"),
    ],
)
def test_a_route_template_as_metrics_show_routes_is_refused_naming_the_glob(
    route: str, written: str
) -> None:
    """`g2a_requests_total`'s `route` label reads `/v1/order/key/{order_id}`; copied into a
    fault it matched no request, and the scenario saw no fault and no warning."""
    with pytest.raises(FaultSpecError) as refused:
        parse_fault({"kind": "status", "route": route}, "f")
    assert str(refused.value) == (
        f"route {route!r} is a route template, which no request path matches: write {written!r}"
    )
    path = written.replace("*", "1530978476")
    assert parse_fault({"kind": "status", "route": written}, "f").matches("GET", path)
