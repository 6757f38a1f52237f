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
    "A token gauge read without a token": (
        "Then the token lifetime gauge shows the seconds left on that token",
        'no token was issued in this scenario: "When the adapter asks for an access token" '
        "gets one",
    ),
    "Tokens compared without a token": (
        "Then the same token is returned each time",
        'no token was issued in this scenario: "When the adapter asks for an access token" '
        "gets one",
    ),
    "A configuration error read without loading": (
        "Then loading fails with a configuration error naming G2A_API_KEY",
        'no settings were loaded in this scenario: "When the adapter loads its settings" '
        "loads them",
    ),
    "A refused URL read without loading": (
        "Then the base URL is refused because it must use https",
        'no settings were loaded in this scenario: "When the adapter loads its settings" '
        "loads them",
    ),
    "A deprecation warning read without loading": (
        "Then exactly one deprecation warning names G2A_API_SECRET",
        'no settings were loaded in this scenario: "When the adapter loads its settings" '
        "loads them",
    ),
    "A request's duration read without a request": (
        "Then that request took at least 0.3 seconds",
        'no product list request was made in this scenario: "When QA lists the first page of '
        'products" makes one',
    ),
}
# scenario name -> (its steps, the last of them failing, the message it fails with)
AFTER_A_GIVEN = {
    "Settings shown without a webhook secret": (
        (
            "Given an environment with the published sandbox credentials",
            "When the adapter loads its settings",
            "Then neither the settings text nor their display reveals the API key or the "
            "webhook secret",
        ),
        'no G2A_WEBHOOK_SECRET in this scenario: start with "Given the variable '
        'G2A_WEBHOOK_SECRET is set to "whsec-settings-check""',
    ),
    "A seller's answer read before G2A calls": (
        (
            "Given the seller stocks 3 keys of product 10000027819004",
            "Then the seller answers HTTP 204",
        ),
        'no call from G2A to the seller in this scenario: "When G2A reserves 2 units of '
        'product …" makes one',
    ),
    "A key given back before G2A orders": (
        (
            "Given the seller stocks 3 keys of product 10000027819004",
            "When G2A gives back the first key of the order",
        ),
        'no order by G2A in this scenario: "When G2A orders the reservation" makes one',
    ),
    "A request's duration read after another call": (
        (
            "When QA orders product 99999999999999",
            "Then that request took at least 0.3 seconds",
        ),
        'no product list request was made in this scenario: "When QA lists the first page of '
        'products" makes one',
    ),
}
FEATURE = (
    "@qa-given @twin\nFeature: Steps without their Given\n"
    + "".join(f"  Scenario: {name}\n    {step}\n\n" for name, (step, _) in CASES.items())
    + "".join(
        f"  Scenario: {name}\n" + "".join(f"    {step}\n" for step in steps) + "\n"
        for name, (steps, _) in AFTER_A_GIVEN.items()
    )
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


@pytest.mark.parametrize("name", AFTER_A_GIVEN)
def test_a_step_without_the_step_between_names_it(
    outcomes: dict[str, dict[str, str]], name: str
) -> None:
    steps, message = AFTER_A_GIVEN[name]
    assert (outcomes[name]["outcome"], outcomes[name]["step"]) == ("failed", steps[-1])
    assert outcomes[name]["message"] == message
