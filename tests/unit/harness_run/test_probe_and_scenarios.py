"""The pre-run probe against a served twin, and scenario records built from cucumber.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checklist import RunResult
from harness.load.tls import issue, serve_asgi_tls
from harness.run_probe import TargetStalled, probe_target
from harness.scenarios import first_error_line, scenario_records
from harness.targets import Target
from harness.twin.app import create_app
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.server import running_twin


def _target(url: str, key: str) -> Target:
    return Target(
        name="sandbox", env="sandbox", api_url=url, api_hash=SANDBOX_API_HASH, api_key=key
    )


def test_the_probe_passes_on_a_target_that_answers_and_names_refused_credentials() -> None:
    with running_twin() as twin:
        assert probe_target(_target(twin.base_url, SANDBOX_API_KEY), {}) < 5
        with pytest.raises(TargetStalled, match="refused the probe's credentials") as refused:
            probe_target(_target(twin.base_url, "f" * 64), {})
    assert "f" * 64 not in str(refused.value)


def test_a_certificate_this_machine_does_not_trust_is_named_not_a_silence(tmp_path: Path) -> None:
    """A sandbox behind a CA this machine does not trust (a TLS-inspecting proxy, a missing
    SSL_CERT_FILE) failed at once, and the probe said it did not answer within G2A_TIMEOUT_MS."""
    certificates = issue("127.0.0.1", tmp_path)  # a CA made here, trusted by nobody
    with (
        serve_asgi_tls(create_app(), "127.0.0.1", certificates) as url,
        pytest.raises(TargetStalled) as refused,
    ):
        probe_target(_target(url, SANDBOX_API_KEY), {})
    assert str(refused.value) == (
        f"sandbox target {url} presented a TLS certificate this machine does not trust "
        "(POST /oauth/token: tls_certificate_error); SSL_CERT_FILE names the CA bundle to "
        "trust (behind a TLS-inspecting proxy, one holding its CA)"
    )


FEATURE = {
    "name": "Orders",
    "uri": "features/orders.feature",
    "tags": [{"name": "orders", "line": 1}],
    "elements": [
        {
            "id": "test_ok",
            "name": "Ok",
            "line": 3,
            "tags": [{"name": "chk-a", "line": 2}],
            "steps": [
                {
                    "keyword": "Given",
                    "name": "a",
                    "line": 4,
                    "result": {"status": "passed", "duration": 1_500_000},
                },
                {
                    "keyword": "Then",
                    "name": "b",
                    "line": 5,
                    "result": {
                        "status": "failed",
                        "duration": 2_000_000,
                        "error_message": "def x():\nE   AssertionError: expected 1, got 2\nmore",
                    },
                },
            ],
        },
        {"id": "test_typo", "name": "Typo", "line": 7, "tags": [], "steps": []},
    ],
}


def test_records_take_steps_from_cucumber_and_outcomes_from_the_run() -> None:
    typo = RunResult(
        "t.py::test_typo", "Orders: Typo", "failed", frozenset(), "unknown step", "And c"
    )
    ok, unknown = scenario_records([FEATURE], [typo])
    assert ok["tags"] == ["chk-a", "orders"]
    assert (ok["status"], ok["failed_step"], ok["error"]) == (
        "failed",
        "Then b",
        "AssertionError: expected 1, got 2",
    )
    assert ok["duration_s"] == 0.004
    assert [s["status"] for s in ok["steps"]] == ["passed", "failed"]
    assert (unknown["status"], unknown["failed_step"], unknown["error"]) == (
        "failed",
        "And c",
        "unknown step",
    )


def test_the_first_error_line_is_the_assertion() -> None:
    assert first_error_line("a\nE   boom: 1\nE   more") == "boom: 1"
    assert first_error_line("plain text\nsecond") == "plain text"
    assert first_error_line("") == ""


OUTLINE = {
    "name": "QA orders",
    "uri": "qa/orders.feature",
    "tags": [],
    "elements": [
        {"id": f"test_costs[{price}]", "name": "Costs", "line": 3, "tags": [], "steps": []}
        for price in ("12", "12.50")
    ],
}


def test_each_outline_row_is_named_with_its_example() -> None:
    assert [r["name"] for r in scenario_records([OUTLINE])] == ["Costs [12]", "Costs [12.50]"]


def test_a_scenario_left_out_for_the_target_is_a_skipped_record_with_the_reason() -> None:
    left_out = RunResult(
        "tests/bdd/test_features.py::test_sandbox_only",
        "QA mixed targets: Runs only on the sandbox",
        "skipped",
        frozenset({"qa-mix", "sandbox"}),
        "deselected: not allowed on target twin (tagged for sandbox)",
        feature="QA mixed targets",
    )
    plain = RunResult("tests/contract/test_x.py::test_y", "tests/contract/test_x.py::test_y",
                      "skipped", frozenset(), "deselected: not allowed on target twin")  # fmt: skip

    (record,) = scenario_records([], [left_out, plain])

    assert (record["feature"], record["name"], record["status"]) == (
        "QA mixed targets",
        "Runs only on the sandbox",
        "skipped",
    )
    assert record["tags"] == ["qa-mix", "sandbox"]
    assert record["reason"] == "deselected: not allowed on target twin (tagged for sandbox)"
    assert (record["steps"], record["error"]) == ([], "")


def test_a_record_s_tags_are_the_run_s_own_rule_and_examples_tags_included() -> None:
    """cucumber.json holds only the feature's and the scenario's tags: a `chk-` tag on a Rule
    or an Examples table reaches the run's markers (the verdict's) but not cucumber.json."""
    row = RunResult(
        "tests/bdd/test_features.py::test_costs[12.50]",
        "QA orders: Costs [12.50]",
        "passed",
        frozenset({"chk-test-int-products", "qa", "twin"}),
    )

    records = scenario_records([OUTLINE], [row])

    assert [r["tags"] for r in records] == [[], ["chk-test-int-products", "qa", "twin"]]


def _same_named(feature: str) -> dict[str, object]:
    """A feature of cucumber.json holding a scenario `Same name`, whose test is
    `test_same_name` (as in every module that binds it)."""
    return {
        "name": feature,
        "uri": f"team/{feature.lower()}.feature",
        "tags": [],
        "elements": [{"id": "test_same_name", "name": "Same name", "line": 3, "steps": []}],
    }


def test_same_named_scenarios_of_two_features_keep_their_own_outcomes() -> None:
    """Two modules binding a feature each: both tests are `test_same_name`."""
    first = RunResult("tests/bdd/test_first.py::test_same_name", "First: Same name", "passed",
                      frozenset({"chk-a"}))  # fmt: skip
    second = RunResult("tests/bdd/test_second.py::test_same_name", "Second: Same name", "failed",
                       frozenset({"chk-b"}), "expected 3, got 4", "Then it is 4")  # fmt: skip

    records = scenario_records([_same_named("First"), _same_named("Second")], [first, second])

    shown = [(r["feature"], r["status"], r["tags"], r["failed_step"], r["error"]) for r in records]
    assert shown == [
        ("First", "passed", ["chk-a"], "", ""),
        ("Second", "failed", ["chk-b"], "Then it is 4", "expected 3, got 4"),
    ]


def test_a_scenario_keeps_its_outcome_beside_a_plain_test_of_the_same_name() -> None:
    """A scenario `The token answer matches the document` and a contract test of that name."""
    scenario = RunResult("tests/bdd/test_features.py::test_same_name", "First: Same name",
                         "failed", frozenset({"chk-a"}), "expected 3, got 4")  # fmt: skip
    contract_test = "tests/contract/test_x.py::test_same_name"
    plain = RunResult(contract_test, contract_test, "passed", frozenset())

    (record,) = scenario_records([_same_named("First")], [scenario, plain])

    assert (record["status"], record["tags"], record["error"]) == (
        "failed",
        ["chk-a"],
        "expected 3, got 4",
    )
