"""A step used without the step that sets up what it reads fails naming the step to add, not
with a bare `KeyError`."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_support import scenario_outcomes

# scenario name -> (its one step, the message it fails with)
CASES = {
    "A health asked for without a receiver": (
        "When the operator asks for the health of the receiver",
        'no receiver is serving in this scenario: start with "Given a receiver whose '
        'idempotency store is reachable"',
    ),
    "A health read without asking for it": (
        'Then the health is "ok" with HTTP 200',
        'no health was asked for in this scenario: "When the operator asks for the health of '
        'the receiver" asks for it',
    ),
    "A check read without asking for the health": (
        'Then the check "store" is reported failing',
        'no health was asked for in this scenario: "When the operator asks for the health of '
        'the receiver" asks for it',
    ),
    "A wait without a retry policy": (
        "When G2A asks to wait 3 seconds before the first retry",
        'no retry policy in this scenario: start with "Given a retry policy allowing 2 retries '
        'and waits of at most 5 seconds"',
    ),
    "A decision read without a wait": (
        "Then the policy waits 3 seconds",
        'no retry decision in this scenario: "When G2A asks to wait 3 seconds before the first '
        'retry" makes one',
    ),
    "A claim without a store": (
        'When a worker claims the key "order-77" for a purchase of product 10000027819004',
        'no idempotency store in this scenario: start with "Given an idempotency store backed '
        'by memory"',
    ),
    "A claim read without a claim": (
        "Then the claim is new",
        'no claim in this scenario: "When a worker claims the key "order-77" for a purchase '
        'of product …" makes one',
    ),
    "A nonce without a store": (
        'Then the nonce "n-1" is accepted the first time',
        'no idempotency store in this scenario: start with "Given an idempotency store backed '
        'by memory"',
    ),
    "Settings without a resolved target": (
        "Then the adapter settings can be built for that target",
        'no resolved target in this scenario: "When QA resolves the chosen target from the '
        'environment" resolves it',
    ),
    "A named target without its environment": (
        "When QA resolves the sandbox target from that environment",
        'no environment in this scenario: start with "Given an environment without G2A '
        'credentials"',
    ),
    "A refusal read without resolving": (
        'Then the harness refuses, naming "G2A_API_KEY"',
        'no resolved target in this scenario: "When QA resolves the sandbox target from that '
        'environment" resolves it',
    ),
    "Findings read without a scan": (
        "Then no file assigns a value to a G2A secret variable",
        'no scan in this scenario: "When the repository\'s files are scanned for credentials" '
        "makes one",
    ),
}
FEATURE = "@qa-given @twin\nFeature: Steps without their Given\n" + "".join(
    f"  Scenario: {name}\n    {step}\n\n" for name, (step, _) in CASES.items()
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder: Path = tmp_path_factory.mktemp("given")
    return scenario_outcomes(folder, FEATURE, "qa-given")


@pytest.mark.parametrize("name", CASES)
def test_a_step_without_its_set_up_names_the_step_to_add(
    outcomes: dict[str, dict[str, str]], name: str
) -> None:
    step, message = CASES[name]
    assert (outcomes[name]["outcome"], outcomes[name]["step"]) == ("failed", step)
    assert outcomes[name]["message"] == message
