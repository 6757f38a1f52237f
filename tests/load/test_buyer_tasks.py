"""Every buyer opens with a purchase and its repeat, then draws its tasks by their weights.

Drawn at random from the first task, a short run (the 10 s smoke run with the idempotency
store broken, a loaded machine's few tasks) at times repeated no purchase: `no_double_payment`
then judged no key paid twice, for want of a repeat, not because the store held.
"""

from __future__ import annotations

import random

from harness.load.buying import BuyerTasks
from harness.load.profiles import get_profile

WEIGHTS = get_profile("smoke").buyer  # browse 4, lookup 3, purchase 3, repeat 2, ...
SEEDS = range(3000)


def _tasks(weights: dict[str, int], seed: int, count: int) -> list[str]:
    tasks = BuyerTasks(weights, random.Random(seed))
    chosen: list[str] = []
    for _ in range(count):
        chosen.append(tasks.next(bought="purchase" in chosen))
    return chosen


def test_every_seed_repeats_its_first_purchase_as_its_second_task() -> None:
    for seed in SEEDS:
        assert _tasks(WEIGHTS, seed, 2) == ["purchase", "repeat"], seed


def test_after_the_opening_tasks_are_drawn_by_their_weights() -> None:
    later = [task for seed in range(200) for task in _tasks(WEIGHTS, seed, 60)[2:]]
    shares = {task: later.count(task) / len(later) for task in set(later)}
    total = sum(WEIGHTS.values())
    assert set(shares) == set(WEIGHTS)
    for task, weight in WEIGHTS.items():
        assert abs(shares[task] - weight / total) < 0.02, shares


def test_without_repeats_the_buyer_opens_with_no_purchase_it_did_not_draw() -> None:
    browse_only = {**dict.fromkeys(WEIGHTS, 0), "browse": 1}
    assert set(_tasks(browse_only, 1, 30)) == {"browse"}
    no_repeats = {**WEIGHTS, "repeat": 0}
    for seed in range(200):
        assert "repeat" not in _tasks(no_repeats, seed, 30)


def test_a_task_that_needs_an_earlier_purchase_is_a_purchase_before_the_first() -> None:
    needs_history = {**dict.fromkeys(WEIGHTS, 0), "status": 1, "key_again": 1}
    tasks = BuyerTasks(needs_history, random.Random(5))
    assert [tasks.next(bought=False) for _ in range(5)] == ["purchase"] * 5
    assert {tasks.next(bought=True) for _ in range(50)} == {"status", "key_again"}
