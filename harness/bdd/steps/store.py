"""Steps: the idempotency store's promises, on local backends (no G2A call involved)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, then, when

from harness.bdd.wordings import Wording, parse, phrases, worded
from harness.bdd.world import World, missing

if TYPE_CHECKING:
    from g2a_adapter.idempotency import IdempotencyStore

LEASE_S = 30.0
RETENTION_S = 3600.0
BACKENDS = Wording(
    "store backend",
    phrases({"memory": "memory://", "an embedded SQLite": "sqlite:///{tmp}/store.sqlite3"}),
)
_STORE = ("idempotency store", 'start with "Given an idempotency store backed by memory"')
_CLAIM = (
    "claim",
    '"When a worker claims the key "order-77" for a purchase of product …" makes one',
)


def fingerprint(product_id: str) -> str:
    return hashlib.sha256(f"purchase:{product_id}".encode()).hexdigest()


@given(worded(parse("an idempotency store backed by {backend}"), backend=BACKENDS))
def store_backend(g2a_world: World, backend: str, tmp_path: Path) -> None:
    """Use an idempotency store kept in memory or in an embedded SQLite file.

    Example: an idempotency store backed by memory
    Example: an idempotency store backed by an embedded SQLite
    """
    from g2a_adapter.idempotency import open_store

    store = open_store(BACKENDS.value(backend).format(tmp=tmp_path))
    g2a_world.use_store(store)
    g2a_world.on_close(store.close)


def _store(world: World) -> IdempotencyStore:
    if world.store is None:
        raise missing(*_STORE)
    return world.store


def _claim(world: World, product_id: str) -> None:
    claim = _store(world).claim("order-77", fingerprint(product_id), LEASE_S)
    world.notes["claim"] = claim
    world.notes.setdefault("claims", []).append(claim)


@when(
    parsers.re(
        r'(?:a|another) worker claims the key "order-77" for a purchase of product '
        r"(?P<product_id>\d+)"
    )
)
def claim_for(g2a_world: World, product_id: str) -> None:
    """A worker claims the key "order-77" for a purchase of a product.

    Example: a worker claims the key "order-77" for a purchase of product 10000027819004
    """
    g2a_world.notes["product_id"] = g2a_world.notes.get("product_id", product_id)
    _claim(g2a_world, product_id)


@when('another worker claims the key "order-77" for the same purchase')
def claim_same(g2a_world: World) -> None:
    """Another worker claims the key "order-77" for the same purchase.

    Example: another worker claims the key "order-77" for the same purchase
    """
    _claim(g2a_world, g2a_world.noted("product_id", *_CLAIM))


@when(parsers.parse('the first worker completes the key with order "{order_id}"'))
def complete(g2a_world: World, order_id: str) -> None:
    """The first worker completes the key with this order id.

    Example: the first worker completes the key with order "1530978476"
    """
    owner = g2a_world.noted("claims", *_CLAIM)[0].owner
    _store(g2a_world).complete("order-77", owner, {"order_id": order_id}, RETENTION_S)


@then(parsers.re(r"the claim is (?:a |an )?(?P<state>new|in progress|mismatch)"))
def claim_state(g2a_world: World, state: str) -> None:
    """The last claim is new, in progress or a mismatch.

    Example: the claim is new
    """
    from g2a_adapter.idempotency import ClaimState

    expected = {
        "new": ClaimState.NEW,
        "in progress": ClaimState.IN_PROGRESS,
        "mismatch": ClaimState.MISMATCH,
    }[state]
    claim = g2a_world.noted("claim", *_CLAIM)
    assert claim.state is expected, claim
    if expected is ClaimState.NEW:
        assert claim.owner


@then(parsers.parse('the claim is completed with order "{order_id}"'))
def claim_completed(g2a_world: World, order_id: str) -> None:
    """The claim is completed with this order id.

    Example: the claim is completed with order "1530978476"
    """
    from g2a_adapter.idempotency import ClaimState

    claim = g2a_world.noted("claim", *_CLAIM)
    assert (claim.state, claim.result) == (ClaimState.COMPLETED, {"order_id": order_id})


@then(parsers.parse('the nonce "{nonce}" is accepted the first time'))
def nonce_first(g2a_world: World, nonce: str) -> None:
    """The replay guard accepts this nonce the first time.

    Example: the nonce "n-1" is accepted the first time
    """
    from g2a_adapter.idempotency import replay_guard_of

    assert replay_guard_of(_store(g2a_world)).add_nonce(nonce, LEASE_S) is True


@then(parsers.parse('the nonce "{nonce}" is refused the second time'))
def nonce_again(g2a_world: World, nonce: str) -> None:
    """The replay guard refuses this nonce the second time.

    Example: the nonce "n-1" is refused the second time
    """
    from g2a_adapter.idempotency import replay_guard_of

    assert replay_guard_of(_store(g2a_world)).add_nonce(nonce, LEASE_S) is False
