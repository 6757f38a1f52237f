"""The steps counting what the twin received read only the fields every twin logs (method, path,
status, body): a twin named by `G2A_TWIN_URL` whose request log has no `headers` is counted as
the embedded one is, and one whose log leaves out a status or a body fails the step that needs
it with an assertion naming the entry, not a KeyError."""

from __future__ import annotations

from typing import Any, cast

import pytest

from g2a_adapter import Metrics
from harness.bdd.steps.twin import (
    order_request_body,
    product_query,
    received,
    received_count,
    tokens_issued,
)
from harness.bdd.world import LogCapture, TwinHandle, World
from harness.targets import resolve_target
from harness.twin.admin import TwinAdmin

LOGGED = [
    {"id": 1, "method": "GET", "path": "/v1/products", "query": "page=1", "status": 200},
    {"id": 2, "method": "GET", "path": "/v1/order/details/7", "query": "", "status": 200},
    {"id": 3, "method": "GET", "path": "/v1/order/details/8", "query": "", "status": 404},
]


class HeaderlessLog:
    """An external twin's admin surface whose request log leaves `headers` out."""

    def __init__(self, logged: list[dict[str, Any]]) -> None:
        self.logged = logged

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.logged if method is None or r["method"] == method]


def _world(logged: list[dict[str, Any]] = LOGGED) -> World:
    admin = cast(TwinAdmin, HeaderlessLog(logged))
    handle = TwinHandle("http://twin.test", "http://twin.test/v1", admin)
    target = resolve_target("twin")
    return World(target, Metrics(), LogCapture(), connect_twin=lambda: handle)


def test_requests_logged_without_headers_are_counted() -> None:
    world = _world()

    assert [r["id"] for r in received(world, "product list")] == [1]
    assert [r["id"] for r in received(world, "order details")] == [2, 3]
    assert received(world, "order") == []


def test_a_count_over_entries_without_a_status_passes_and_fails_with_the_count() -> None:
    world = _world([{"id": 1, "method": "GET", "path": "/v1/products", "query": ""}])

    received_count(world, "1", "product list")
    with pytest.raises(AssertionError) as failed:
        received_count(world, "2", "product list")

    assert str(failed.value).splitlines()[0] == (
        "expected 2 product list requests, got 1 (statuses [not logged])"
    )


@pytest.mark.parametrize(
    ("entry", "failure"),
    [
        (
            {},
            "the twin's request log has no body for order request 4: this step reads the "
            "product and currency from it",
        ),
        (
            {"body": "[1, 2]"},
            "the twin logged order request 4 with a body that is not a JSON object: '[1, 2]'",
        ),
        (
            {"body": '{"product_id": "1000'},
            "the twin logged order request 4 with a body that is not a JSON object: "
            '\'{"product_id": "1000\'',
        ),
    ],
    ids=["no body", "not an object", "cut short"],
)
def test_an_order_request_logged_without_a_json_body_fails_the_step_named(
    entry: dict[str, Any], failure: str
) -> None:
    world = _world([{"id": 4, "method": "POST", "path": "/v1/order", "status": 200, **entry}])

    with pytest.raises(AssertionError) as failed:
        order_request_body(world, "1", "10000084431001", "EUR")

    assert str(failed.value) == failure


def test_a_query_step_over_an_entry_without_a_query_fails_the_step_named() -> None:
    world = _world([{"id": 5, "method": "GET", "path": "/v1/products", "status": 200}])

    with pytest.raises(AssertionError) as failed:
        product_query(world, "minQty", "5")

    assert str(failed.value) == (
        "the twin's request log has no query for product list request 5: this step reads "
        "the query parameters from it"
    )


def test_an_entry_without_a_path_fails_the_step_named() -> None:
    world = _world([{"id": 6, "method": "GET", "status": 200}])

    with pytest.raises(AssertionError) as failed:
        received(world, "product list")

    assert str(failed.value) == (
        "the twin's request log has no path for request 6: the steps reading what the twin "
        "received tell the calls apart by it"
    )


def test_a_token_count_over_an_entry_without_a_status_fails_the_step_named() -> None:
    world = _world([{"id": 7, "method": "POST", "path": "/oauth/token"}])

    with pytest.raises(AssertionError) as failed:
        tokens_issued(world, "1")

    assert str(failed.value) == (
        "the twin's request log has no status for token request 7: this step counts the "
        "tokens issued by it (200)"
    )
