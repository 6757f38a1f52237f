"""Every webhook sender opens with a valid delivery, its replay and a forgery, then draws.

The sandbox's polite crowd has one sender posting about once a second: drawing forgeries and
replays at random, about 2 % of its smoke runs sent neither, and `forgeries_rejected` failed
the run (a NO-GO) for want of evidence, not for a fault.
"""

from __future__ import annotations

import random
import time

import pytest

from g2a_adapter import WebhookRejectedError, WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from harness.load import deliveries
from harness.load.profiles import get_profile

SECRET = "load-test-webhook-secret"
SHARES = get_profile("smoke").webhooks  # duplicate 0.15, replay 0.1, forged 0.1
TOLERANCE_S = 300
SEEDS = range(3000)


def _posts(shares: dict[str, float], seed: int, count: int) -> list[deliveries.Delivery]:
    sender = deliveries.Sender(SECRET, shares, TOLERANCE_S, random.Random(seed))
    return [sender.next(time.time()) for _ in range(count)]


def test_every_seed_sends_a_replay_and_a_forgery_within_the_first_three_posts() -> None:
    for seed in SEEDS:
        first, replayed, forgery = _posts(SHARES, seed, 3)
        assert [first.variant, replayed.variant, forgery.variant] == [
            "valid",
            "replay",
            "forged",
        ], seed
        assert (replayed.headers, replayed.body) == (first.headers, first.body)


def test_the_opening_gets_the_answers_it_expects_from_the_receiver() -> None:
    verifier = WebhookVerifier([SECRET], MemoryStore(), tolerance_seconds=TOLERANCE_S)
    first, replayed, forgery = _posts(SHARES, 7, 3)
    assert verifier.verify(first.headers, first.body).event_id == first.event_id
    for refused in (replayed, forgery):
        with pytest.raises(WebhookRejectedError) as rejected:
            verifier.verify(refused.headers, refused.body)
        assert (401, rejected.value.reason) == (refused.expected_status, refused.expected_answer)


def test_after_the_opening_variants_are_drawn_by_the_shares() -> None:
    later = [post.variant for seed in range(200) for post in _posts(SHARES, seed, 40)[3:]]
    shares = {variant: later.count(variant) / len(later) for variant in set(later)}
    assert set(shares) == {"valid", "duplicate", "replay", "forged"}
    for variant in ("duplicate", "replay", "forged"):
        assert abs(shares[variant] - SHARES[variant]) < 0.02, shares


def test_a_variant_whose_share_is_zero_is_never_sent_not_even_in_the_opening() -> None:
    no_forgeries = {**SHARES, "forged": 0.0}
    for seed in range(200):
        variants = [post.variant for post in _posts(no_forgeries, seed, 40)]
        assert variants[:2] == ["valid", "replay"]
        assert "forged" not in variants
    only_valid = {"duplicate": 0.0, "replay": 0.0, "forged": 0.0}
    assert {post.variant for post in _posts(only_valid, 1, 20)} == {"valid"}


def test_one_seed_draws_the_same_posts() -> None:
    assert [p.variant for p in _posts(SHARES, 3, 30)] == [p.variant for p in _posts(SHARES, 3, 30)]


def test_a_senders_repr_never_shows_the_webhook_secret() -> None:
    sender = deliveries.Sender(SECRET, {"forged": 0.5}, TOLERANCE_S)
    assert repr(sender).startswith("Sender(shares={'forged': 0.5}, tolerance_s=300, rng=<random")
    assert SECRET not in repr(sender)
