"""kill -9 at every purchase step, on SQLite, Redis and PostgreSQL, against the served twin.

A child process runs the purchase and is SIGKILLed at one point (after G2A answered a call, or
after a checkpoint was written); the re-run in this process must end in the completed purchase
or, when the key was handed to the dead process, in `KeyDeliveryLostError` — and G2A must hold
exactly one paid order, whatever happened. The twin injects faults on the way (a 429 on the
create, a 502 on order details), the lease is 1 s so that the re-run takes the key over fast.
"""

from __future__ import annotations

import multiprocessing
import signal
import uuid
from pathlib import Path

import pytest
from _kill_drill_worker import ANSWERED, RECORDED, purchase, run_until_killed, settings

from g2a_adapter import G2AClient, KeyDeliveryLostError
from g2a_adapter.idempotency import open_store
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[2]
LEASE_MS = 1000
KILL_POINTS = [*ANSWERED, *RECORDED]
BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def idempotency_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    fixture = "redis_url" if request.param == "redis" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_9_at_every_step_never_pays_twice(
    twin: RunningTwin, idempotency_url: str, kill_at: str
) -> None:
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=429, times=1)
    twin.admin.add_fault(route="/v1/order/details/*", kind="status", status=502, times=1)
    key = f"drill-{uuid.uuid4().hex}"
    open_store(idempotency_url).close()  # the schema exists before the child starts

    child = multiprocessing.get_context("spawn").Process(
        target=run_until_killed,
        args=(twin.export_url, idempotency_url, PRODUCT, key, kill_at, LEASE_MS),
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL, f"the child was not killed at {kill_at}"

    config = settings(twin.export_url, idempotency_url, LEASE_MS)
    with G2AClient(config) as client:  # opens (and closes) the configured store
        if kill_at == "key-answered":  # the key died with the child
            with pytest.raises(KeyDeliveryLostError) as lost:
                purchase(client, PRODUCT, key, wait_timeout=5.0)
            paid = [o for o in twin.admin.orders() if o["status"] != "new"]
            assert [o["order_id"] for o in paid] == [lost.value.order_id]
            with pytest.raises(KeyDeliveryLostError):  # and every later re-run says so at once
                purchase(client, PRODUCT, key, wait_timeout=5.0)
        else:
            result = purchase(client, PRODUCT, key, wait_timeout=5.0)
            paid = [o for o in twin.admin.orders() if o["status"] != "new"]
            assert [o["order_id"] for o in paid] == [result.order_id]
            assert result.key == paid[0]["key"]
            assert purchase(client, PRODUCT, key, wait_timeout=5.0).key == result.key
    pays = [e for e in twin.admin.requests() if e["path"].startswith("/v1/order/pay/")]
    assert [e["status"] for e in pays] == [200]  # one payment ever reached G2A
