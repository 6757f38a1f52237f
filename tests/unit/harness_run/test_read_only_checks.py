"""A read-only check (`Then product … costs at most … EUR`, `… has at least … keys in stock`,
`Then the order's status is …`) reads on the side, through the adapter on a client of its
own, on every target: the metrics, log and request-count steps after it count only the
scenario's own calls, as if the check had not run. Only on the twin, while a fault a Given step
armed would meet the check's request, it reads the admin surface, so the fault is left to the
scenario's call; under any rate limit it reads through the adapter with the limit lifted and
put back exactly, spending none of the budget."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from qa_support import scenario_outcomes

from g2a_adapter import Metrics, ResponseFormatError
from g2a_adapter.client import Product
from harness.bdd.fixtures import ADAPTER_LOGGER
from harness.bdd.steps.client import order_status, order_status_one_of
from harness.bdd.steps.product_checks import product_costs, product_stock
from harness.bdd.steps.twin import received
from harness.bdd.world import CHECK_CORRELATION_ID, LogCapture, TwinHandle, World
from harness.targets import Target, resolve_target
from harness.twin.admin import TwinAdmin
from harness.twin.config import TwinConfig
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.server import running_twin

CHECKS = (
    "Then product 10000027819004 costs at most 50 EUR",
    "And product 10000027819004 has at least 1 key in stock",
)
FEATURE = f"""\
@qa-checks @twin
Feature: Read-only checks
  Scenario: Counts after the checks
    When QA lists the first page of products
    {CHECKS[0]}
    {CHECKS[1]}
    And the request counter shows 1 request with status 200
    And the latency histogram holds 1 product list request
    And 1 request log records were written
    And 1 call log lines were written
    And the twin received 1 product list request

  Scenario: Counts of a call made after the checks
    {CHECKS[0]}
    {CHECKS[1]}
    When QA orders product 10000068865001
    Then the request counter shows 1 request with status 200
    And 1 call log lines were written
    And the twin received no request for product list

  Scenario: A duration read after the checks alone
    {CHECKS[0]}
    And that request took at least 0.3 seconds

  Scenario: A fault set before the checks is left to the call
    Given the twin refuses the next product list request with HTTP 400 and code BR02
    {CHECKS[0]}
    {CHECKS[1]}
    When QA lists the first page of products
    Then the call fails with a G2A API error with code BR02
    And the twin received 1 product list request

  Scenario: A rate limit set before the checks is left to the call
    Given the twin allows 1 request per second
    {CHECKS[0]}
    {CHECKS[1]}
    When QA lists the first page of products
    Then the page holds between 1 and 20 products
    And the retry counter shows 0 retries
    And the request counter shows 1 request with status 200

  Scenario: The order's status is read without a counted call
    When QA orders product 10000068865001
    Then the order's status is "new"
    And the request counter shows 1 request with status 200
    And 1 call log lines were written
    And the twin received no request for order details

  Scenario: A check after a wrong key reads the catalogue as it is
    Given the adapter uses a wrong API key
    When QA looks up product 10000027819004
    Then the call fails with an authentication error
    And product 10000027819004 costs at most 50 EUR
    And product 10000027819004 has at least 1 key in stock
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder: Path = tmp_path_factory.mktemp("checks")
    return scenario_outcomes(folder, FEATURE, "qa-checks")


@pytest.mark.parametrize(
    "name",
    [
        "Counts after the checks",
        "Counts of a call made after the checks",
        "A fault set before the checks is left to the call",
        "A rate limit set before the checks is left to the call",
        "The order's status is read without a counted call",
        "A check after a wrong key reads the catalogue as it is",
    ],
)
def test_the_counting_steps_leave_the_checks_out(
    outcomes: dict[str, dict[str, str]], name: str
) -> None:
    result = outcomes[name]
    assert (result["outcome"], result["step"], result["message"]) == ("passed", "", "")


def test_a_duration_read_after_the_checks_alone_names_the_step_to_add(
    outcomes: dict[str, dict[str, str]],
) -> None:
    result = outcomes["A duration read after the checks alone"]
    assert (result["outcome"], result["step"], result["message"]) == (
        "failed",
        "And that request took at least 0.3 seconds",
        'no product list request was made in this scenario: "When QA lists the first page of '
        'products" makes one',
    )


def test_without_a_twin_a_check_reads_the_target_on_a_client_of_its_own() -> None:
    """The sandbox and live have no admin surface: the check asks the target through the
    adapter, as the scenario would, and still leaves the scenario's metrics and logs alone."""
    capture, adapter_logs = LogCapture(), logging.getLogger(ADAPTER_LOGGER)

    def on_twin(admin: TwinAdmin) -> Product:
        raise AssertionError("a target without a twin has no admin surface to read")

    level = adapter_logs.level
    adapter_logs.addHandler(capture)
    adapter_logs.setLevel(logging.DEBUG)
    try:
        with running_twin() as twin:  # standing in for the sandbox: reached over its API only
            target = Target(
                "sandbox", "sandbox", twin.export_url, SANDBOX_API_HASH, SANDBOX_API_KEY
            )
            world = World(target, Metrics(), capture)
            product = world.check(
                lambda client: client.products.get("10000027819004"),
                on_twin,
                sends=("GET", "/v1/products"),
            )
            world.close()
            logged = [(r["method"], r["path"]) for r in twin.admin.requests()]
    finally:
        adapter_logs.removeHandler(capture)
        adapter_logs.setLevel(level)

    assert product.id == "10000027819004"
    assert logged == [("GET", "/v1/products")]
    counted = [s for f in world.metrics.registry.collect() for s in f.samples]
    assert [s for s in counted if s.name == "g2a_requests_total"] == []
    assert capture.records == []


PRODUCT = "10000027819004"


@contextmanager
def _scenario_on(config: TwinConfig) -> Iterator[tuple[World, TwinAdmin]]:
    """A scenario's world on a twin served with `config`, and the twin's admin."""
    with running_twin(config) as twin:
        handle = TwinHandle(twin.base_url, twin.export_url, twin.admin)
        world = World(resolve_target("twin"), Metrics(), LogCapture(), connect_twin=lambda: handle)
        yield world, twin.admin
        world.close()


@pytest.fixture
def on_twin() -> Iterator[tuple[World, TwinAdmin]]:
    """A scenario's world on the twin (fast profile: no rate limit), and the twin's admin."""
    with _scenario_on(TwinConfig.fast()) as served:
        yield served


def _logged(admin: TwinAdmin) -> list[tuple[str, str, str | None]]:
    """Each request the twin's API received: method, path and correlation id."""
    return [
        (r["method"], r["path"], (r.get("headers") or {}).get("x-correlation-id"))
        for r in admin.requests()
    ]


def _broken(*args: object, **kwargs: object) -> NoReturn:
    raise ResponseFormatError("broken on purpose")


def test_an_order_status_check_on_the_admin_surface_reports_an_order_it_cannot_read(
    on_twin: tuple[World, TwinAdmin],
) -> None:
    world, admin = on_twin
    world.order_id = "4242"
    admin.add_fault(route="/v1/order/details/*", method="GET", times=1, kind="status", status=500)

    with pytest.raises(AssertionError) as failed:
        order_status(world, "new")

    assert str(failed.value) == (
        "cannot read order 4242: TwinAdminError: GET /__twin/orders/4242: 404 no such order"
    )


def test_a_check_s_request_is_marked_and_left_out_of_what_the_scenario_counts(
    on_twin: tuple[World, TwinAdmin],
) -> None:
    world, admin = on_twin
    world.attempt(lambda: world.client().orders.create("10000068865001"))
    world.order_id = world.outcome.order_id
    admin.clear_requests()

    order_status(world, "new")
    product_stock(world, int(PRODUCT), "at least", 1)

    assert [(m, p.rsplit("/", 1)[0], c) for m, p, c in _logged(admin)] == [
        ("GET", "/v1/order/details", CHECK_CORRELATION_ID),
        ("GET", "/v1", CHECK_CORRELATION_ID),
    ]
    assert received(world, "order details") == received(world, "product list") == []
    counted = [s for f in world.metrics.registry.collect() for s in f.samples]
    assert [s.labels for s in counted if s.name == "g2a_requests_total"] == [
        {"method": "POST", "route": "/v1/order", "status": "200", "outcome": "ok"}
    ]


def test_a_fault_armed_for_the_call_is_left_to_it(on_twin: tuple[World, TwinAdmin]) -> None:
    """A fault that would fire on the check's read (its route, `*` included) is the scenario's:
    the check reads the admin surface and the fault is not used up."""
    world, admin = on_twin
    admin.add_fault(route="*", method="GET", times=1, kind="status", status=400)

    product_costs(world, int(PRODUCT), "at most", 50.0)

    assert [(f["calls"], f["spent"]) for f in admin.faults()] == [(0, False)]
    assert _logged(admin) == []


def test_a_fault_armed_for_another_call_leaves_the_check_on_the_adapter(
    on_twin: tuple[World, TwinAdmin],
) -> None:
    world, admin = on_twin
    admin.add_fault(route="/v1/order", method="POST", times=1, kind="status", status=400)
    admin.add_fault(route="/v1/products", method="POST", times=1, kind="status", status=400)
    spent = admin.add_fault(route="/v1/products", method="GET", times=1, kind="status", status=400)
    world.attempt(world.client().products.list)  # uses up the third fault

    product_costs(world, int(PRODUCT), "at most", 50.0)

    assert [(f["id"], f["spent"]) for f in admin.faults()] == [
        ("fault-1", False),
        ("fault-2", False),
        (spent, True),
    ]
    assert _logged(admin)[-1] == ("GET", "/v1/products", CHECK_CORRELATION_ID)


def test_an_order_status_check_reads_the_admin_surface_while_a_fault_waits_for_the_call(
    on_twin: tuple[World, TwinAdmin],
) -> None:
    world, admin = on_twin
    world.order_id = world.client().orders.create("10000068865001").order_id
    admin.configure(status_words={"new": "pending"})
    admin.add_fault(route="/v1/order/details/*", method="GET", times=1, kind="status", status=400)
    admin.clear_requests()

    order_status(world, "pending")

    assert [(f["calls"], f["spent"]) for f in admin.faults()] == [(0, False)]
    assert _logged(admin) == []


ARMED_LIMIT = {
    "rate_limit": 1,
    "rate_window_seconds": 30.0,
    "rate_limit_scope": "api",
    "token_rate_limited": True,
}


def _rate_settings(admin: TwinAdmin) -> dict[str, object]:
    return {name: admin.config()[name] for name in ARMED_LIMIT}


@pytest.fixture(params=["nothing armed", "the start-up rate limit", "a rate limit a step armed"])
def on_each_limit(request: pytest.FixtureRequest) -> Iterator[tuple[World, TwinAdmin]]:
    """The twin with no rate limit (fast profile), with its default profile's start-up limit
    (20 requests per second, no Given step armed it), and with one a Given step armed."""
    profile = TwinConfig() if request.param == "the start-up rate limit" else TwinConfig.fast()
    with _scenario_on(profile) as (world, admin):
        if request.param == "a rate limit a step armed":
            admin.configure(**ARMED_LIMIT)
        yield world, admin


def test_a_product_check_reads_through_the_adapter_under_any_rate_limit(
    on_each_limit: tuple[World, TwinAdmin], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both product checks are the suite's proof that the adapter reads a product: a broken
    lookup fails them, on the twin as on the sandbox, and whatever rate limit the twin holds
    is as it was after them."""
    world, admin = on_each_limit
    limits = _rate_settings(admin)
    monkeypatch.setattr(type(world.client().products), "get", _broken)

    with pytest.raises(AssertionError) as costs:
        product_costs(world, int(PRODUCT), "at most", 50.0)
    with pytest.raises(AssertionError) as stock:
        product_stock(world, int(PRODUCT), "at least", 1)

    assert (
        str(costs.value)
        == str(stock.value)
        == (f"cannot look up product {PRODUCT}: ResponseFormatError: broken on purpose")
    )
    assert _rate_settings(admin) == limits


def test_an_order_status_check_reads_through_the_adapter_under_any_rate_limit(
    on_each_limit: tuple[World, TwinAdmin], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, admin = on_each_limit
    limits = _rate_settings(admin)
    order_id = world.order_id = world.client().orders.create("10000068865001").order_id
    monkeypatch.setattr(type(world.client().orders), "details", _broken)

    with pytest.raises(AssertionError) as failed:
        order_status(world, "new")
    with pytest.raises(AssertionError) as failed_too:
        order_status_one_of(world, "new, paid")

    assert (
        str(failed.value)
        == str(failed_too.value)
        == (f"cannot read order {order_id}: ResponseFormatError: broken on purpose")
    )
    assert _rate_settings(admin) == limits


def test_a_rate_limit_a_given_step_armed_is_lifted_for_the_check_and_restored_exactly(
    on_twin: tuple[World, TwinAdmin],
) -> None:
    """The check reads through the adapter (its own request, marked), spending none of the
    armed budget, and the twin's rate settings are as the Given step left them."""
    world, admin = on_twin
    admin.configure(**ARMED_LIMIT)

    product_stock(world, int(PRODUCT), "at least", 1)

    assert _logged(admin) == [("GET", "/v1/products", CHECK_CORRELATION_ID)]
    assert {name: admin.config()[name] for name in ARMED_LIMIT} == ARMED_LIMIT
    assert world.client().products.get(PRODUCT).id == PRODUCT  # the budget is still whole


@pytest.fixture
def on_scarce_twin() -> Iterator[tuple[World, TwinAdmin]]:
    """A start-up rate limit of 2 requests a minute: a budget the checks could use up."""
    with _scenario_on(TwinConfig.fast(rate_limit=2, rate_window_seconds=60.0)) as served:
        yield served


def test_checks_spend_none_of_the_start_up_budget(
    on_scarce_twin: tuple[World, TwinAdmin],
) -> None:
    """The checks share the scenario's credential, so under the start-up limit they would
    spend its budget: they read with the limit lifted, and the scenario's second call of the
    minute still gets through, the limit back in force."""
    world, admin = on_scarce_twin
    world.attempt(lambda: world.client().orders.create("10000068865001"))
    world.order_id = world.outcome.order_id

    order_status(world, "new")
    product_stock(world, int(PRODUCT), "at least", 1)
    product_costs(world, int(PRODUCT), "at most", 50.0)
    world.attempt(lambda: world.client().products.get(PRODUCT))

    assert world.expect_success().id == PRODUCT
    checks = [(m, c) for m, _, c in _logged(admin) if c == CHECK_CORRELATION_ID]
    assert checks == [
        ("GET", CHECK_CORRELATION_ID),
        ("GET", CHECK_CORRELATION_ID),
        ("GET", CHECK_CORRELATION_ID),
    ]
    assert [r["status"] for r in admin.requests()] == [200, 200, 200, 200, 200]
    counted = [s for f in world.metrics.registry.collect() for s in f.samples]
    assert [s.labels["status"] for s in counted if s.name == "g2a_requests_total"] == [
        "200",
        "200",
    ]
    assert admin.config()["rate_limit"] == 2


def test_a_rate_limit_armed_as_the_start_up_one_spends_none_of_its_budget_on_checks(
    on_scarce_twin: tuple[World, TwinAdmin],
) -> None:
    """A Given step arming the very limit the twin started with is no different: the checks
    read with it lifted, and the scenario's two calls of the minute both get through."""
    world, admin = on_scarce_twin
    admin.configure(rate_limit=2, rate_window_seconds=60.0)

    product_stock(world, int(PRODUCT), "at least", 1)
    product_costs(world, int(PRODUCT), "at most", 50.0)

    assert [c for _, _, c in _logged(admin)] == [CHECK_CORRELATION_ID, CHECK_CORRELATION_ID]
    assert world.client().products.get(PRODUCT).id == PRODUCT
    assert world.client().products.get(PRODUCT).id == PRODUCT
    assert (admin.config()["rate_limit"], admin.config()["rate_window_seconds"]) == (2, 60.0)


@pytest.mark.parametrize("hidden", ["listing", "always", "never"])
def test_a_stock_check_on_the_admin_surface_reads_what_the_adapter_would(
    on_twin: tuple[World, TwinAdmin], hidden: str
) -> None:
    """The adapter looks a product up with `includeOutOfStock`, so the twin answers it out of
    stock whatever `out_of_stock_hidden` says: so does the catalogue entry the admin surface
    reads while a fault waits for the scenario's call."""
    world, admin = on_twin
    admin.configure(out_of_stock_hidden=hidden)
    admin.update_product(PRODUCT, qty=0)

    product_stock(world, int(PRODUCT), "exactly", 0)
    admin.add_fault(route="/v1/products", method="GET", times=1, kind="status", status=400)
    product_stock(world, int(PRODUCT), "exactly", 0)

    assert _logged(admin) == [("GET", "/v1/products", CHECK_CORRELATION_ID)]
