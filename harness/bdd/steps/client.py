"""Steps: the adapter against the target (tokens, products, orders, purchases, outcomes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from harness.bdd.world import World

WRONG_VALUES: dict[str, tuple[str, str]] = {
    "API key": ("api_key", "f" * 64),
    "API hash": ("api_hash", "wrongHashValue00"),
    "OAuth client secret": ("oauth_client_secret", "wrong-oauth-client-secret"),
}
ERROR_KINDS: dict[str, str] = {
    "an authentication error": "AuthError",
    "a G2A API error": "G2AApiError",
    "a rate limit error": "RateLimitedError",
    "a response format error": "ResponseFormatError",
    "a transport error": "TransportError",
    "an unknown outcome": "OutcomeUnknownError",
    "an idempotency conflict": "IdempotencyConflictError",
}
POLL_INTERVAL_S = 0.05
POLL_TIMEOUT_S = 10.0


# --- connection and adapter set-up -----------------------------------------------------------
@given("the adapter is connected to the target")
def connected(g2a_world: World, request: pytest.FixtureRequest) -> None:
    if g2a_world.target.has_admin:
        g2a_world.twin = request.getfixturevalue("twin")


@given(parsers.re(r"the adapter uses a wrong (?P<credential>API key|API hash|OAuth client secret)"))
def wrong_credential(g2a_world: World, credential: str) -> None:
    field, value = WRONG_VALUES[credential]
    g2a_world.overrides[field] = value


@given(parsers.parse("the adapter times out after {ms:d} milliseconds"))
def short_timeout(g2a_world: World, ms: int) -> None:
    g2a_world.overrides["timeout_ms"] = ms


@given("retries do not wait")
def retries_do_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # The adapter's documented test switch: every retry decision stays, the sleeping goes.
    monkeypatch.setenv("G2A_RETRY_NO_SLEEP", "1")


@given("the adapter uses the default retry settings")
def default_retry_settings(g2a_world: World) -> None:
    assert "retry_max" not in g2a_world.overrides
    assert g2a_world.settings().retry_max == 2


@given("the adapter keeps purchase progress in an idempotency store")
def purchase_store(g2a_world: World, tmp_path: Path) -> None:
    from g2a_adapter.idempotency import open_store

    store = open_store(f"sqlite:///{tmp_path / 'purchases.sqlite3'}")
    g2a_world.store = store
    g2a_world.on_close(store.close)


# --- tokens and offers -----------------------------------------------------------------------
def _token(world: World) -> None:
    token = world.attempt(lambda: world.client().auth.token())
    if token is not None:
        world.notes.setdefault("tokens", []).append(token)


@when("the adapter asks for an access token")
def ask_token(g2a_world: World) -> None:
    _token(g2a_world)


@when(parsers.parse("the adapter asks for an access token {times:d} times"))
def ask_token_times(g2a_world: World, times: int) -> None:
    for _ in range(times):
        _token(g2a_world)
        g2a_world.expect_success()


@when(parsers.parse("{seconds:f} seconds pass"))
def seconds_pass(seconds: float) -> None:
    time.sleep(seconds)


@then("a bearer token is returned that has not expired")
def token_fresh(g2a_world: World) -> None:
    token = g2a_world.expect_success()
    assert token.token_type.lower() == "bearer"
    assert token.access_token.get_secret_value()
    assert 0 < token.ttl_seconds() <= token.expires_in


@then("the token lifetime gauge shows the seconds left on that token")
def token_gauge(g2a_world: World) -> None:
    token = g2a_world.notes["tokens"][-1]
    gauge = g2a_world.metrics.registry.get_sample_value("g2a_token_ttl_seconds")
    assert gauge is not None, "g2a_token_ttl_seconds was never set"
    assert abs(gauge - token.ttl_seconds()) <= 2.0, f"gauge {gauge}, token {token.ttl_seconds()}"


def _token_values(world: World) -> list[str]:
    return [t.access_token.get_secret_value() for t in world.notes.get("tokens", [])]


@then("the same token is returned each time")
def same_token(g2a_world: World) -> None:
    values = _token_values(g2a_world)
    assert len(values) > 1
    assert len(set(values)) == 1, "tokens differ"


@then("a different token is returned the second time")
def different_token(g2a_world: World) -> None:
    first, second = _token_values(g2a_world)[-2:]
    assert first != second, "the token was not refreshed"


@when("QA lists the seller's offers")
def list_offers(g2a_world: World) -> None:
    g2a_world.attempt(lambda: g2a_world.client().offers.list())


@then("the offers are listed")
def offers_listed(g2a_world: World) -> None:
    from g2a_adapter.models import OfferPage

    assert isinstance(g2a_world.expect_success(), OfferPage)


# --- products --------------------------------------------------------------------------------
@when("QA lists the first page of products")
def list_first_page(g2a_world: World) -> None:
    g2a_world.attempt(lambda: g2a_world.client().products.list())


@when(parsers.parse("QA lists page {page:d} of products, out-of-stock ones included"))
def list_page(g2a_world: World, page: int) -> None:
    products = g2a_world.client().products
    g2a_world.attempt(lambda: products.list(page, include_out_of_stock=True))


@when(
    parsers.re(
        r"QA lists products with (?P<name>a minimum quantity of|a minimum price of) (?P<value>\d+)"
    )
)
def list_filtered(g2a_world: World, name: str, value: str) -> None:
    products = g2a_world.client().products
    if "quantity" in name:
        g2a_world.attempt(lambda: products.list(min_qty=int(value)))
    else:
        g2a_world.attempt(lambda: products.list(min_price_from=int(value)))


@when(parsers.re(r"QA looks up product (?P<product_id>\d+)"))
def look_up(g2a_world: World, product_id: str) -> None:
    g2a_world.attempt(lambda: g2a_world.client().products.get(product_id))


@when("QA walks through every product, out-of-stock ones included")
def walk_all(g2a_world: World) -> None:
    products = g2a_world.client().products
    g2a_world.attempt(lambda: list(products.iter_all(include_out_of_stock=True)))


@then(parsers.parse("the page holds between {low:d} and {high:d} products"))
def page_between(g2a_world: World, low: int, high: int) -> None:
    assert low <= len(g2a_world.expect_success().docs) <= high


@then(parsers.parse("the page holds exactly {count:d} products"))
def page_exactly(g2a_world: World, count: int) -> None:
    assert len(g2a_world.expect_success().docs) == count


@then(parsers.parse("the listing reports {total:d} products in total"))
def listing_total(g2a_world: World, total: int) -> None:
    assert g2a_world.expect_success().total == total


@then("every product has an id, a name, a stock quantity and a price")
def products_complete(g2a_world: World) -> None:
    for product in g2a_world.expect_success().docs:
        assert product.id.isdigit(), product.id
        assert product.name.strip(), f"product {product.id} has no name"
        assert product.qty >= 0, product.id
        assert product.min_price > 0, product.id


@then(parsers.re(r"product (?P<product_id>\d+) is returned with its name and price"))
def product_returned(g2a_world: World, product_id: str) -> None:
    product = g2a_world.expect_success()
    assert product.id == product_id
    assert product.name.strip()
    assert product.min_price > 0
    if g2a_world.twin is not None:  # exact mapping of what the twin served
        served = g2a_world.twin.admin.product(product_id)
        assert (product.name, product.qty, product.min_price) == (
            served["name"],
            served["qty"],
            served["minPrice"],
        )


@then(parsers.parse("{count:d} distinct products are seen"))
def distinct_products(g2a_world: World, count: int) -> None:
    products = g2a_world.expect_success()
    assert len(products) == count
    assert len({p.id for p in products}) == count


@then(
    parsers.re(
        r"every product listed has (?P<field>a quantity|a minimum price) of at least (?P<value>\d+)"
    )
)
def filtered_products(g2a_world: World, field: str, value: str) -> None:
    page = g2a_world.expect_success()
    assert page.docs, "the filter matched nothing; the check would prove nothing"
    for product in page.docs:
        actual = product.qty if field == "a quantity" else product.min_price
        assert actual >= int(value), f"{product.id}: {actual} < {value}"


# --- orders ----------------------------------------------------------------------------------
def _order(world: World, product_id: str) -> None:
    created = world.attempt(lambda: world.client().orders.create(product_id))
    if created is not None:
        world.order_id = created.order_id


@when(parsers.re(r"QA orders product (?P<product_id>\d+)"))
def order_product(g2a_world: World, product_id: str) -> None:
    _order(g2a_world, product_id)


@given(parsers.re(r"QA has ordered product (?P<product_id>\d+)"))
def ordered_product(g2a_world: World, product_id: str) -> None:
    _order(g2a_world, product_id)
    g2a_world.expect_success()


def _current_order(world: World) -> str:
    assert world.order_id is not None, "no order was created in this scenario"
    return world.order_id


@when("QA pays the order")
def pay_order(g2a_world: World) -> None:
    order_id = _current_order(g2a_world)
    g2a_world.attempt(lambda: g2a_world.client().orders.pay(order_id))


@when(parsers.re(r"QA pays order (?P<order_id>\d+)"))
def pay_order_id(g2a_world: World, order_id: str) -> None:
    g2a_world.attempt(lambda: g2a_world.client().orders.pay(order_id))


@when("QA fetches the key of the order")
def fetch_key(g2a_world: World) -> None:
    order_id = _current_order(g2a_world)
    g2a_world.attempt(lambda: g2a_world.client().orders.key(order_id))


@when(parsers.parse('QA asks for the details of order "{order_id}"'))
def order_details(g2a_world: World, order_id: str) -> None:
    g2a_world.attempt(lambda: g2a_world.client().orders.details(order_id))


@then("an order id made of digits is returned with a price in EUR")
def order_created(g2a_world: World) -> None:
    created = g2a_world.expect_success()
    assert created.order_id.isdigit(), created.order_id
    assert created.currency == "EUR"
    assert created.price > 0


def _status(world: World) -> str:
    details = world.client().orders.details(_current_order(world))
    return str(details.status)


@then(parsers.parse('the order\'s status is "{status}"'))
def order_status(g2a_world: World, status: str) -> None:
    assert _status(g2a_world) == status


@then(parsers.parse('the order\'s status is one of "{statuses}"'))
def order_status_one_of(g2a_world: World, statuses: str) -> None:
    allowed = [s.strip() for s in statuses.split(",")]
    assert _status(g2a_world) in allowed


@then("the payment is confirmed with a transaction id")
def payment_confirmed(g2a_world: World) -> None:
    payment = g2a_world.expect_success()
    assert payment.status is True
    assert payment.transaction_id


@then("a key is handed over")
def key_handed(g2a_world: World) -> None:
    key = g2a_world.expect_success()
    assert key.key.strip()
    if g2a_world.twin is not None:
        assert key.key == g2a_world.twin.admin.order(_current_order(g2a_world))["key"]


# --- purchases -------------------------------------------------------------------------------
@when(parsers.re(r'QA purchases product (?P<product_id>\d+) with idempotency key "(?P<key>[^"]+)"'))
def purchase(g2a_world: World, product_id: str, key: str) -> None:
    result = g2a_world.attempt(
        lambda: g2a_world.client().orders.purchase(
            product_id,
            idempotency_key=key,
            poll_interval=POLL_INTERVAL_S,
            poll_timeout=POLL_TIMEOUT_S,
        )
    )
    if result is not None:
        g2a_world.order_id = result.order_id


@then("the purchase returns a key for a new order")
def purchase_new(g2a_world: World) -> None:
    result = g2a_world.expect_success()
    assert result.key.strip()
    assert result.order_id.isdigit()
    assert result.resumed is False


@then("the purchase returns a key")
def purchase_key(g2a_world: World) -> None:
    assert g2a_world.expect_success().key.strip()


@then("both purchases return the same order and key")
def same_purchase(g2a_world: World) -> None:
    first, second = g2a_world.results[-2:]
    assert (first.order_id, first.key) == (second.order_id, second.key)


@then("the second purchase says it was resumed")
def resumed(g2a_world: World) -> None:
    assert g2a_world.expect_success().resumed is True


# --- outcomes --------------------------------------------------------------------------------
def _error_class(description: str) -> type[BaseException]:
    from g2a_adapter import errors

    cls: type[BaseException] = getattr(errors, ERROR_KINDS[description])
    return cls


@then("the call succeeds")
def call_succeeds(g2a_world: World) -> None:
    g2a_world.expect_success()


@then(parsers.re(r"the call fails with (?P<kind>" + "|".join(ERROR_KINDS) + ")"))
def call_fails(g2a_world: World, kind: str) -> None:
    g2a_world.expect_error(_error_class(kind))


@then(parsers.re(r"the call fails with a G2A API error with code (?P<code>\w+)"))
def call_fails_code(g2a_world: World, code: str) -> None:
    from g2a_adapter.errors import G2AApiError

    error = g2a_world.expect_error(G2AApiError)
    assert isinstance(error, G2AApiError)
    assert error.code == code, f"code {error}"


@then("the call fails before reaching G2A")
def fails_locally(g2a_world: World) -> None:
    from g2a_adapter.errors import RequestValidationError

    g2a_world.expect_error(RequestValidationError)


@then("the error message reveals no credential")
def error_hides_credentials(g2a_world: World) -> None:
    error = g2a_world.error
    assert error is not None, "no error to inspect"
    text = f"{error} {error!r} {getattr(error, '__cause__', None)!r}"
    for secret in _secrets(g2a_world):
        assert secret not in text, "a credential appears in the error"


def _secrets(world: World) -> list[str]:
    values = list(world.secrets())
    env: dict[str, str] = world.notes.get("env", {})
    values += [v for k, v in env.items() if k.endswith(("_KEY", "_SECRET")) and len(v) >= 8]
    return values
