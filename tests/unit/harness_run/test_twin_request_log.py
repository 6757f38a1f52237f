"""The steps counting what the twin received read only the fields every twin logs (method, path,
status, body): a twin named by `G2A_TWIN_URL` whose request log has no `headers` is counted as
the embedded one is."""

from __future__ import annotations

from typing import Any, cast

from g2a_adapter import Metrics
from harness.bdd.steps.twin import received
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

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        return [r for r in LOGGED if method is None or r["method"] == method]


def _world() -> World:
    handle = TwinHandle("http://twin.test", "http://twin.test/v1", cast(TwinAdmin, HeaderlessLog()))
    target = resolve_target("twin")
    return World(target, Metrics(), LogCapture(), connect_twin=lambda: handle)


def test_requests_logged_without_headers_are_counted() -> None:
    world = _world()

    assert [r["id"] for r in received(world, "product list")] == [1]
    assert [r["id"] for r in received(world, "order details")] == [2, 3]
    assert received(world, "order") == []
