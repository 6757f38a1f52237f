"""The batch operations of the store contract, `claim_many` and `finish_many`, on every backend.

A batch must behave exactly like its items applied one by one, in order: the receiver hands
every delivery waiting at once to one batch, so a batch may hold a replayed nonce, a
redelivered event, the same event twice, or a lease another owner took over.
"""

from __future__ import annotations

import pytest
from _store_fixtures import Backend

from g2a_adapter.idempotency import Claim, ClaimState, Finish, IdempotencyStore, NonceClaim

LEASE = 30.0
TTL = 3600.0
NONCE_TTL = 601.0


def item(nonce: str, key: str, fingerprint: str = "fp-a") -> NonceClaim:
    return NonceClaim(nonce, NONCE_TTL, key, fingerprint, LEASE)


def states(claims: list[Claim | None]) -> list[ClaimState | None]:
    return [None if c is None else c.state for c in claims]


def owned(claim: Claim | None) -> Claim:
    assert claim is not None
    assert claim.owner
    return claim


def test_new_nonces_claim_their_keys_in_one_batch(
    store: IdempotencyStore, backend: Backend
) -> None:
    claims = store.claim_many([item("n-1", "evt-1"), item("n-2", "evt-2")])

    assert states(claims) == [ClaimState.NEW, ClaimState.NEW]
    owners = [owned(c).owner for c in claims]
    assert len(set(owners)) == 2
    for key, owner in zip(["evt-1", "evt-2"], owners, strict=True):
        record = store.get(key)
        assert record is not None
        assert (record.fingerprint, record.owner, record.result) == ("fp-a", owner, None)
        assert record.lease_expires_at == pytest.approx(backend.clock.now + LEASE)
    assert store.add_nonce("n-1", NONCE_TTL) is False  # the batch recorded its nonces


def test_a_replayed_nonce_claims_nothing(store: IdempotencyStore) -> None:
    assert store.add_nonce("n-seen", NONCE_TTL) is True

    claims = store.claim_many([item("n-seen", "evt-1"), item("n-new", "evt-2")])

    assert states(claims) == [None, ClaimState.NEW]
    assert store.get("evt-1") is None


def test_items_see_the_earlier_items_of_their_batch(store: IdempotencyStore) -> None:
    claims = store.claim_many(
        [
            item("n-1", "evt-1"),
            item("n-1", "evt-2"),  # same nonce: a replay within the batch
            item("n-2", "evt-1"),  # same event again: held by the first item
            item("n-3", "evt-1", "fp-b"),  # same event, other payload
        ]
    )

    assert states(claims) == [
        ClaimState.NEW,
        None,
        ClaimState.IN_PROGRESS,
        ClaimState.MISMATCH,
    ]
    assert store.get("evt-1").owner == owned(claims[0]).owner  # type: ignore[union-attr]
    assert store.get("evt-2") is None


def test_a_batch_meets_completed_in_progress_and_expired_claims(
    store: IdempotencyStore, backend: Backend
) -> None:
    done = store.claim("evt-done", "fp-a", LEASE)
    store.complete("evt-done", done.owner or "", {"status": "processed"}, TTL)
    store.claim("evt-held", "fp-a", LEASE)
    stale = store.claim("evt-stale", "fp-a", 1.0)
    store.checkpoint("evt-stale", stale.owner or "", {"step": 1}, 1.0)
    backend.clock.advance(1.0)

    claims = store.claim_many(
        [item("n-1", "evt-done"), item("n-2", "evt-held"), item("n-3", "evt-stale")]
    )

    assert states(claims) == [ClaimState.COMPLETED, ClaimState.IN_PROGRESS, ClaimState.NEW]
    completed, _, taken = claims
    assert completed is not None
    assert completed.result == {"status": "processed"}
    taken = owned(taken)
    assert (taken.state, taken.taken_over, taken.checkpoint) == (ClaimState.NEW, True, {"step": 1})
    assert store.get("evt-stale").owner == taken.owner  # type: ignore[union-attr]


def test_finish_many_completes_releases_and_reports_lost_leases(
    store: IdempotencyStore, backend: Backend
) -> None:
    keys = ["evt-ok", "evt-failed", "evt-kept", "evt-lost"]
    claims = store.claim_many([item(f"n-{key}", key) for key in keys])
    ok, failed, kept, lost = (owned(c) for c in claims)
    store.checkpoint("evt-kept", kept.owner or "", {"step": 2}, LEASE)
    backend.clock.advance(LEASE)
    thief = store.claim("evt-lost", "fp-a", LEASE)  # the lease expired: taken over

    done = store.finish_many(
        [
            Finish("evt-ok", ok.owner or "", {"status": "processed"}, TTL),
            Finish("evt-failed", failed.owner or "", None),
            Finish("evt-kept", kept.owner or "", None),
            Finish("evt-lost", lost.owner or "", {"status": "processed"}, TTL),
            Finish("evt-never-claimed", "nobody", None),
        ]
    )

    assert done == [True, True, True, False, False]
    record = store.get("evt-ok")
    assert record is not None
    assert (record.owner, record.result) == (None, {"status": "processed"})
    assert record.expires_at == pytest.approx(backend.clock.now + TTL)
    assert store.get("evt-failed") is None
    assert store.get("evt-kept").checkpoint == {"step": 2}  # type: ignore[union-attr]
    assert store.get("evt-kept").owner is None  # type: ignore[union-attr]
    assert store.get("evt-lost").owner == thief.owner  # type: ignore[union-attr]
    again = store.claim_many([item("n-5", "evt-ok"), item("n-6", "evt-failed")])
    assert states(again) == [ClaimState.COMPLETED, ClaimState.NEW]


def test_a_large_batch_with_mixed_results_is_applied_whole(
    store: IdempotencyStore, backend: Backend
) -> None:
    keys = [f"evt-{i:04d}" for i in range(450)]  # more rows than one statement carries
    claims = [owned(c) for c in store.claim_many([item(f"n-{k}", k) for k in keys])]
    results = [{"status": "processed"}, {"status": "processed", "note": "other"}]

    done = store.finish_many(
        [
            Finish(key, claim.owner or "", results[i % 2], TTL * (1 + i % 3))
            for i, (key, claim) in enumerate(zip(keys, claims, strict=True))
        ]
    )

    assert done == [True] * len(keys)
    for i, key in enumerate(keys):
        record = store.get(key)
        assert record is not None
        assert (record.owner, record.result) == (None, results[i % 2])
        assert record.expires_at == pytest.approx(backend.clock.now + TTL * (1 + i % 3))


def test_a_key_finished_twice_in_a_batch_counts_only_its_lease_holder(
    store: IdempotencyStore, backend: Backend
) -> None:
    first = owned(store.claim_many([item("n-1", "evt-1")])[0])
    backend.clock.advance(LEASE)
    holder = owned(store.claim("evt-1", "fp-a", LEASE))  # took the expired lease over

    done = store.finish_many(
        [
            Finish("evt-1", first.owner or "", {"status": "stale"}, TTL),
            Finish("evt-1", holder.owner or "", {"status": "processed"}, TTL),
        ]
    )

    assert done == [False, True]
    assert store.get("evt-1").result == {"status": "processed"}  # type: ignore[union-attr]


def test_empty_batches_touch_nothing(store: IdempotencyStore) -> None:
    assert store.claim_many([]) == []
    assert store.finish_many([]) == []


@pytest.mark.slow
def test_sixteen_processes_race_in_batches(shared_backend: Backend) -> None:
    from _store_race_workers import run_race

    shared_backend.open()  # create the schema once, before the race
    keys = [f"evt-{i:04d}" for i in range(400)]

    winners = run_race(shared_backend.url, shared_backend.namespace, keys, 16, batch_size=25)

    assert sorted(winners) == keys
    assert {k: w for k, w in winners.items() if len(w) != 1} == {}
    # No spread check as in the one-by-one race: a batch commits many keys at once, so one
    # process can win every key while the others wait for the write lock.
    checker = shared_backend.open()
    for key in keys:
        assert checker.get(key).result == {"winner": winners[key][0]}  # type: ignore[union-attr]
