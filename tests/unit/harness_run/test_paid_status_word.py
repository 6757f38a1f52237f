"""`Then the order's status says it is paid` reads the twin's configured words for a paid
order (`status_words`): the paid-order scenario of features/orders.feature holds on a twin
that answers other words, as G2A may (docs/g2a-api.md §1), and still fails an unpaid order."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qa_support import NO_G2A, ROOT

from g2a_adapter import Metrics
from harness.bdd.steps.client import order_status_paid
from harness.bdd.world import LogCapture, TwinHandle, World
from harness.targets import resolve_target
from harness.twin.config import TwinConfig
from harness.twin.server import running_twin

OTHER_WORDS = {"paid": "pending", "complete": "delivered"}


def test_the_paid_order_scenario_holds_on_a_twin_answering_other_words(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with running_twin(TwinConfig.fast(status_words=OTHER_WORDS)) as twin:
        subprocess.run(
            [sys.executable, "-m", "pytest", "tests/bdd", "-q", "-p", "no:cacheprovider",
             "-k", "paid_order_hands_its_key_over_exactly_once", f"--g2a-results={results}"],
            cwd=ROOT, env={**NO_G2A, "G2A_TWIN_URL": twin.base_url},
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    tests = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    ran = [(t["name"], t["outcome"], t["message"]) for t in tests if t["event"] == "test"]
    assert ran == [("Orders: A paid order hands its key over exactly once", "passed", "")]


@pytest.fixture
def world() -> Iterator[World]:
    """A scenario's world on a twin with its default words, fast profile."""
    with running_twin(TwinConfig.fast()) as twin:
        handle = TwinHandle(twin.base_url, twin.export_url, twin.admin)
        scenario = World(
            resolve_target("twin"), Metrics(), LogCapture(), connect_twin=lambda: handle
        )
        yield scenario
        scenario.close()


def test_an_unpaid_order_is_named_with_the_words_a_paid_one_shows(world: World) -> None:
    world.order_id = world.client().orders.create("10000068865001").order_id

    with pytest.raises(AssertionError) as failed:
        order_status_paid(world)

    assert str(failed.value) == 'expected a paid order\'s status ("paid" or "complete"), got "new"'
