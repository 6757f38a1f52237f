"""The load's deliberate second key fetch (`orders.key[again]`, refused ORD004 by design) is
not logged as a warning on every worker's terminal; any other refusal still is."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from g2a_adapter import G2AApiError, G2AClient, Settings
from g2a_adapter.idempotency import MemoryStore
from harness.load.expected_refusals import ExpectedRefusals, expecting
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS
from harness.twin.config import TwinConfig
from harness.twin.server import running_twin


@pytest.fixture
def client() -> Iterator[G2AClient]:
    adapter_log = logging.getLogger("g2a_adapter")
    refusals = ExpectedRefusals()
    adapter_log.addFilter(refusals)  # as the locustfile does
    settings = {"api_hash": SANDBOX_API_HASH, "api_key": SANDBOX_API_KEY}
    try:
        with (
            running_twin(TwinConfig.fast()) as twin,
            G2AClient(Settings(api_url=twin.export_url, **settings), store=MemoryStore()) as c,
        ):
            yield c
    finally:
        adapter_log.removeFilter(refusals)


def _refused(call: Callable[[], object]) -> str:
    with pytest.raises(G2AApiError) as refused:
        call()
    return refused.value.code


def test_only_the_refusal_a_task_expects_goes_unlogged(
    client: G2AClient, caplog: pytest.LogCaptureFixture
) -> None:
    bought = client.orders.purchase(SANDBOX_PRODUCT_IDS[0], idempotency_key="k", max_price=500)
    again = partial(client.orders.key, bought.order_id)
    unknown = partial(client.orders.key, "123")

    with caplog.at_level(logging.WARNING, "g2a_adapter"):
        with expecting("ORD004"):
            codes = [_refused(again), _refused(unknown)]
        codes.append(_refused(again))

    assert codes == ["ORD004", "ORD02", "ORD004"]
    logged = [getattr(r, "error_code", None) for r in caplog.records if r.name == "g2a_adapter"]
    assert logged == ["ORD02", "ORD004"]  # the other refusal, and the same one unexpected
