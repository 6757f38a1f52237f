"""No partial effects: every request the twin answers with a non-2xx leaves its world unchanged.

Hypothesis sends arbitrary API requests (any method, known and unknown paths, existing and
unknown orders in every state, good, bad and missing credentials and Content-Types, valid,
odd and broken bodies) to the twin's request path (`dispatch.answer`, no I/O) and compares a
snapshot of everything a client could observe (catalog and auctions, orders, wallet, tokens,
offers, jobs, emitted events, the next id the twin would draw) before and after each refused
request, under each `offer_unknown_product` setting. The rate limiter's
counters and the request log are not part of the world: G2A counts refused calls against a
limit too.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS, TwinConfig
from harness.twin.assumptions import OFFER_UNKNOWN_PRODUCT
from harness.twin.auctions import Auction
from harness.twin.dispatch import answer
from harness.twin.protocol import Call, Reply
from harness.twin.runtime import Twin
from harness.twin.state import seeded_uuid
from harness.twin.states import apply_state

NOW = 1_800_000_000.0
EXPORT_AUTH = f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"
ORDER_STATES = ("exists", "is paid", "is complete")
PRODUCT = SANDBOX_PRODUCT_IDS[0]
RATED = SANDBOX_PRODUCT_IDS[3]  # sold by sellers set here, not by its derived ladder
SELLERS = (Auction("budget", 0.62, 10.0), Auction("trusted", 0.97, 12.5))


def arranged_twin(offer_unknown_product: str = OFFER_UNKNOWN_PRODUCT[0]) -> tuple[Twin, str]:
    """A twin with orders in every state, a limited wallet, offers, a job, a live token and a
    product sold by two sellers (ratings 0.62 and 0.97)."""
    config = TwinConfig(
        catalog_size=20,
        rate_limit=None,
        wallet_balance=500.0,
        offer_unknown_product=offer_unknown_product,
    )
    twin = Twin(config, lambda: NOW)
    for offset, words in enumerate(ORDER_STATES):
        apply_state(twin, f"order {1530978476 + offset} {words}")
    apply_state(twin, "key for order 1530978479 was already downloaded")
    apply_state(twin, "job 7 exists")
    apply_state(twin, f"product {SANDBOX_PRODUCT_IDS[1]} costs more than 5")
    twin.state.catalog.update(SANDBOX_PRODUCT_IDS[2], {"qty": 0})
    twin.state.catalog.set_auctions(RATED, SELLERS)
    form = urlencode({"grant_type": "client_credentials", "client_id": SANDBOX_API_HASH,
                      "client_secret": SANDBOX_API_KEY})  # fmt: skip
    headers = {"content-type": "application/x-www-form-urlencoded"}
    token = json.loads(answer(twin, call("POST", "/oauth/token", headers=headers,
                                         body=form.encode())).body)  # fmt: skip
    return twin, token["access_token"]


def call(
    method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> Call:
    path, _, query = path.partition("?")
    return Call(method, path, query, headers or {}, body)


def world(twin: Twin) -> dict[str, Any]:
    state = twin.state
    return copy.deepcopy(
        {
            "products": [dict(p) for p in state.catalog],
            "auctions": {p["id"]: state.catalog.auctions(p["id"]) for p in state.catalog},
            "orders": {k: o.as_dict(NOW) for k, o in state.orders.items()},
            "wallets": dict(state.wallets),
            "tokens": sorted(state.tokens),
            "offers": state.offers,
            "jobs": {
                k: j.as_dict(NOW, state.config.job_status_words) for k, j in state.jobs.items()
            },
            "events": twin.webhooks.event_ids,
            "next_id": seeded_uuid(copy.deepcopy(state._rng)),  # drawn from a copy
        }
    )


order_ids = st.sampled_from(["1530978476", "1530978477", "1530978478", "1530978479", "99", "x"])
product_ids = st.sampled_from([*SANDBOX_PRODUCT_IDS, "10000000000099", "abc", ""])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
order_bodies = st.fixed_dictionaries(
    {"product_id": product_ids},
    optional={
        "currency": st.sampled_from(["EUR", "USD", "XXX", "eur", 5]),
        "max_price": st.one_of(st.none(), st.floats(), st.integers(), st.text(max_size=3)),
        "min_rating": st.one_of(st.floats(), st.integers(-1, 2)),
        "extra": json_values,
    },
)
# Well-formed orders of the arranged products, priced and rated around RATED's sellers (and
# the derived ladders, whose best seller is rated below 1.0).
well_formed_orders = st.fixed_dictionaries(
    {"product_id": st.sampled_from(SANDBOX_PRODUCT_IDS)},
    optional={
        "currency": st.sampled_from(["EUR", "USD"]),
        "max_price": st.sampled_from([0, 5.0, 10.0, 11.0, 12.5]) | st.floats(0, 100),
        "min_rating": st.sampled_from([0, 0.62, 0.9, 0.97, 0.98, 1.0]) | st.floats(0, 1),
    },
)
variants = st.fixed_dictionaries(
    {},
    optional={
        "productId": product_ids,
        "price": st.dictionaries(st.sampled_from(["retail", "b"]), json_values),
        "inventory": json_values,
        "visibility": st.sampled_from(["retail", "nope"]),
        "active": json_values,
    },
)
offer_bodies = st.fixed_dictionaries(
    {"offerType": st.sampled_from(["dropshipping", "", 3])}, optional={"variant": variants}
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=20),
    json_values.map(lambda v: json.dumps(v).encode()),
    order_bodies.map(lambda v: json.dumps(v).encode()),
    offer_bodies.map(lambda v: json.dumps(v).encode()),
)
# (method, path, the credential the route takes): every route, often; anything else, sometimes
export_calls = st.one_of(
    st.builds(
        lambda q: ("GET", f"/v1/products?{q}"),
        st.sampled_from(["page=1", "page=0", "id=x", "minQty=a", ""]),
    ),
    st.just(("POST", "/v1/order")),
    st.builds(lambda o: ("PUT", f"/v1/order/pay/{o}"), order_ids),
    st.builds(lambda o: ("GET", f"/v1/order/details/{o}"), order_ids),
    st.builds(lambda o: ("GET", f"/v1/order/key/{o}"), order_ids),
).map(lambda c: (*c, "export"))
import_calls = st.sampled_from([
    ("GET", "/v3/sales/offers"), ("POST", "/v3/sales/offers"), ("PATCH", "/v3/sales/offers/nope"),
    ("GET", "/v3/jobs/7"), ("POST", "/oauth/token"),
]).map(lambda c: (*c, "bearer"))  # fmt: skip
any_calls = st.tuples(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    st.text(alphabet="/abcdeoprv13", max_size=16).map(lambda t: "/" + t),
    st.sampled_from(["export", "bearer"]),
)
calls = st.one_of(export_calls, export_calls, import_calls, any_calls)
auths = st.sampled_from(["right", "right", "right", "wrong", "none"])
content_types = st.sampled_from(["application/json", "application/json", "text/plain", None])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=calls,
    auth=auths,
    content_type=content_types,
    body=bodies,
    unknown_product=st.sampled_from(OFFER_UNKNOWN_PRODUCT),
)
def test_every_refused_request_leaves_the_world_unchanged(
    route: tuple[str, str, str],
    auth: str,
    content_type: str | None,
    body: bytes,
    unknown_product: str,
) -> None:
    twin, token = arranged_twin(unknown_product)
    method, path, credential = route
    right = EXPORT_AUTH if credential == "export" else f"Bearer {token}"
    headers = {
        "right": {"authorization": right},
        "wrong": {"authorization": f"{SANDBOX_API_HASH}, nope"},
        "none": {},
    }[auth]
    if content_type is not None:
        headers["content-type"] = content_type
    before = world(twin)
    reply = answer(twin, call(method, path, headers=headers, body=body))
    if not 200 <= reply.status < 300:
        assert world(twin) == before, (reply.status, reply.body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=well_formed_orders)
def test_every_refused_order_leaves_the_world_unchanged(body: dict[str, Any]) -> None:
    """Well-formed orders (credentials and Content-Type right), so that the last checks of
    `create_order` (stock, seller rating, max_price) are reached, not only the first ones."""
    twin, _ = arranged_twin()
    headers = {"authorization": EXPORT_AUTH, "content-type": "application/json"}
    before = world(twin)
    reply = answer(twin, call("POST", "/v1/order", headers=headers, body=json.dumps(body).encode()))
    if not 200 <= reply.status < 300:
        assert world(twin) == before, (reply.status, reply.body)


def test_the_arranged_world_lets_requests_change_it() -> None:
    """The comparison can fail: an accepted create and pay do change the snapshot."""
    twin, _ = arranged_twin()
    before = world(twin)
    auth = {"authorization": EXPORT_AUTH, "content-type": "application/json"}
    created = answer(
        twin,
        call("POST", "/v1/order", headers=auth, body=b'{"product_id": "%s"}' % PRODUCT.encode()),
    )
    assert created.status == 200
    assert world(twin) != before
    order_id = json.loads(created.body)["order_id"]
    before = world(twin)
    assert answer(twin, call("PUT", f"/v1/order/pay/{order_id}", headers=auth)).status == 200
    assert world(twin) != before  # paid, wallet charged, event emitted


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_offer_of_an_unknown_product_refused_by_request_draws_no_id(method: str) -> None:
    """A refused create draws no offer or job id: the ids after it are those of a twin that
    never saw it (the same seed gives the same ids)."""
    twin, token = arranged_twin("request")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    offer = {"offerType": "dropshipping", "variant": {"productId": "10000000000099",
             "price": {"retail": "1.00"}}}  # fmt: skip
    path = "/v3/sales/offers" + ("/" + next(iter(twin.state.offers)) if method == "PATCH" else "")
    before = world(twin)
    reply = answer(twin, call(method, path, headers=headers, body=json.dumps(offer).encode()))
    spec = twin.config.import_errors["product_not_found"]
    assert (reply.status, json.loads(reply.body)["code"]) == (spec.status, spec.code)
    assert world(twin) == before


def test_pay_with_a_body_is_refused_and_the_order_stays_unpaid() -> None:
    twin, _ = arranged_twin()
    auth = {"authorization": EXPORT_AUTH, "content-type": "application/json"}
    reply = answer(twin, call("PUT", "/v1/order/pay/1530978476", headers=auth, body=b"{}"))
    spec = twin.config.order_errors["body_on_pay"]
    assert (reply.status, json.loads(reply.body)["code"]) == (spec.status, spec.code)
    assert twin.state.orders["1530978476"].paid_at is None


def test_a_min_rating_no_seller_meets_is_refused_and_changes_nothing() -> None:
    twin, _ = arranged_twin()
    auth = {"authorization": EXPORT_AUTH, "content-type": "application/json"}

    def order(min_rating: float) -> Reply:
        body = json.dumps({"product_id": RATED, "min_rating": min_rating}).encode()
        return answer(twin, call("POST", "/v1/order", headers=auth, body=body))

    before = world(twin)
    refused = order(0.98)
    spec = twin.config.order_errors["rating_not_met"]
    assert (refused.status, json.loads(refused.body)["code"]) == (spec.status, spec.code)
    assert world(twin) == before
    chosen = order(0.97)
    assert (chosen.status, json.loads(chosen.body)["price"]) == (200, 12.5)
