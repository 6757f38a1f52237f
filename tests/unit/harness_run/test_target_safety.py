"""A scenario reaches a real G2A target only with steps allowed there.

Steps that write (order, pay, fetch a key, purchase) run on the twin and the sandbox only:
live is a read-only smoke. `steps --check` flags a step a scenario's target tags do not allow,
`g2a-harness run` refuses with the same lines before pytest starts, and a run started anyway
(pytest itself) fails such a scenario before its first step sends anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from qa_support import NO_G2A, ROOT, harness

from harness.bdd.catalogue import catalogue

LIVE_PURCHASE = """\
@qa-live @live
Feature: QA on live
  Scenario: A purchase on live
    Given the adapter is connected to the target
    When QA purchases product 10000068865001 with idempotency key "qa-live-1"
    Then the purchase returns a key
"""
SANDBOX_FAULT = """\
@qa-sb @twin @sandbox
Feature: A fault after an order
  Scenario: A sandbox scenario that injects a fault after ordering
    Given the adapter is connected to the target
    And QA has ordered product 10000027819004
    And the twin answers the next 1 payment request with HTTP 503
    When QA pays the order
    Then the call succeeds
"""
WRITES = (
    "QA orders product",
    "QA has ordered product",
    "QA pays the order",
    "QA pays order",
    "QA fetches the key of the order",
    "QA purchases product",
)


def _feature(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "qa.feature"
    path.write_text(text, encoding="utf-8")
    return path


def test_steps_that_write_run_on_the_twin_and_the_sandbox_only() -> None:
    writing = [s for s in catalogue() if s.example.startswith(WRITES)]
    assert len(writing) >= len(WRITES)
    assert {s.targets for s in writing} == {("twin", "sandbox")}
    reading = next(s for s in catalogue() if s.example == "QA lists the first page of products")
    assert "live" in reading.targets


def test_the_check_refuses_a_purchase_in_a_live_scenario(tmp_path: Path) -> None:
    path = _feature(tmp_path / "qa", LIVE_PURCHASE)

    done = harness("steps", "--check", str(path.parent))

    assert done.returncode == 1, done.stdout
    assert done.stdout.splitlines()[0] == (
        f'{path}:5: step "When QA purchases product 10000068865001 with idempotency key '
        '"qa-live-1"" runs only on twin, sandbox, but the scenario is tagged for live: '
        "tag it @twin @sandbox only"
    )


def _run_pytest(folder: Path, target: str, api_url: str, tmp_path: Path) -> list[dict[str, object]]:
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    results = tmp_path / "results.jsonl"
    env = {
        **NO_G2A,
        "G2A_FEATURES": str(folder),
        "G2A_API_URL": api_url,
        "G2A_API_HASH": SANDBOX_API_HASH,
        "G2A_API_KEY": SANDBOX_API_KEY,
        "G2A_ALLOWED_HOSTS": "127.0.0.1",
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd", "-q", "-p", "no:cacheprovider",
         f"--target={target}", "-m", "qa-live or qa-sb", f"--g2a-results={results}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    lines = results.read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "test"]


@pytest.mark.parametrize(
    ("target", "text", "line", "allowed"),
    [("live", LIVE_PURCHASE, 5, "twin, sandbox"), ("sandbox", SANDBOX_FAULT, 6, "twin")],
    ids=["a purchase on live", "a twin fault on the sandbox"],
)
def test_a_run_refuses_the_scenario_before_anything_is_sent(
    tmp_path: Path, target: str, text: str, line: int, allowed: str
) -> None:
    from harness.twin.config import TwinConfig
    from harness.twin.server import running_twin

    folder = tmp_path / "qa"
    _feature(folder, text)
    with running_twin(TwinConfig.fast()) as twin:
        (test,) = _run_pytest(folder, target, twin.export_url, tmp_path)
        sent = twin.admin.requests()
    assert test["outcome"] == "failed", test
    message = str(test["message"])
    assert message.startswith(f"{folder / 'qa.feature'}:{line}: step "), message
    assert f"runs only on {allowed}, but the scenario is tagged for {target}" in message
    assert sent == [], "the scenario reached the target before it was refused"


def test_the_run_command_refuses_before_pytest_starts(tmp_path: Path) -> None:
    folder = tmp_path / "qa"
    path = _feature(folder, SANDBOX_FAULT)
    reports = tmp_path / "reports"
    checked = harness("steps", "--check", str(folder))

    done = harness(
        "run", "--tags", "qa-sb", "--features", str(folder), "--report-dir", str(reports)
    )

    assert done.returncode == 2, done.stdout + done.stderr
    problems = [line for line in checked.stdout.splitlines() if line.startswith(str(path))]
    assert problems  # the @sandbox tag does not allow the twin's fault step
    assert done.stderr.splitlines()[: len(problems)] == problems
    assert "nothing ran" in done.stderr
    assert not (reports / "pytest.log").exists()


def test_the_run_command_refuses_an_unknown_step_with_its_did_you_mean(tmp_path: Path) -> None:
    folder = tmp_path / "qa"
    path = _feature(
        folder,
        "@qa-typo @twin\nFeature: A typo\n  Scenario: A typo in a step\n"
        "    When QA ordr product 10000068865001\n",
    )

    done = harness("run", "--tags", "qa-typo", "--features", str(folder))

    assert done.returncode == 2, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(f'{path}:4: unknown step "When QA ordr product 10000068865001"; did')
