"""Which checklist items a sandbox run can prove, and the full twin run that proves the others."""

from __future__ import annotations

import dataclasses

from gate_support import REPO_ROOT, run_checklist

from harness.checklist import ChecklistItem, load_checklist
from harness.gate.checks.reports import check_checklist, check_twin_items
from harness.gate.collect import twin_only_items
from harness.gate.evidence import Evidence, ReportFile
from harness.gate.model import Status
from harness.gate.reach import twin_only

FEATURE = b"""Feature: Orders
  @sandbox @chk-order
  Scenario: Ordered on either target
    Given nothing

  @chk-health
  Scenario: Faults only the twin's admin surface drives
    Given nothing

  @sandbox
  Rule: its scenarios run on the sandbox
    @chk-rule
    Scenario: In a rule
      Given nothing
"""


def item(item_id: str, *selectors: str, **limits: tuple[str, ...]) -> ChecklistItem:
    return ChecklistItem(item_id, "Area", "text", selectors, **limits)


def test_an_item_only_scenarios_off_the_sandbox_prove_is_twin_only() -> None:
    tagged = b"@twin\nFeature: F\n  @chk-twin\n  Scenario: S\n    Given x\n"
    both = b"Feature: G\n  @sandbox @twin @chk-both\n  Scenario: T\n    Given x\n"
    untagged = b"Feature: H\n  @chk-untagged\n  Scenario: U\n    Given x\n"  # the twin only
    items = [
        item("twin", "tag:chk-twin"),
        item("both", "tag:chk-both"),
        item("untagged", "tag:chk-untagged"),
        item("mixed", "tag:chk-twin", "tag:chk-both"),
        item("contracts", "tag:chk-twin", "node:tests/contract"),
        item("dashboards", "prometheus:dashboards"),
        item("ci", "gate:ci"),
        item("nowhere", "tag:chk-nowhere"),
        item("twin-target", "tag:chk-both", targets=("twin",)),
        item("twin-host", "tag:chk-both", hosts=("127.0.0.1",)),
    ]
    features = {"a.feature": tagged, "b.feature": both, "c.feature": untagged}
    assert twin_only(items, features) == {
        "twin",
        "untagged",
        "nowhere",  # no scenario: the twin run will not prove it either
        "twin-target",
        "twin-host",
    }


def test_a_scenario_takes_the_target_tags_of_its_rule() -> None:
    items = [item("order", "tag:chk-order"), item("health", "tag:chk-health")]
    items.append(item("rule", "tag:chk-rule"))
    assert twin_only(items, {"orders.feature": FEATURE}) == {"health"}


def test_the_project_s_twin_only_items_are_those_a_sandbox_run_skips() -> None:
    from_twin, error = twin_only_items(load_checklist(), REPO_ROOT / "features")
    sandbox_run = run_checklist(target="sandbox")
    skipped = {i["id"] for i in sandbox_run["items"] if i["status"] == "skipped"}
    assert error is None
    assert from_twin == skipped - {"handoff-green", "handoff-live-switch"}


def test_without_the_feature_files_no_item_is_taken_from_the_twin(
    sandbox_clean: Evidence, tmp_path: object
) -> None:
    from pathlib import Path

    assert twin_only_items(load_checklist(), Path(str(tmp_path))) == (
        frozenset(),
        f"no feature file in {tmp_path} (run the gate from the checkout)",
    )
    unknown = dataclasses.replace(
        sandbox_clean, twin_only=frozenset(), twin_only_error="no feature file in features"
    )
    result = check_twin_items(unknown)
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "which items no sandbox scenario proves is unknown: no feature file in features",
    )
    assert check_checklist(unknown).reason.endswith(
        "7 required item(s) skipped (ops-metrics-counters, ops-metrics-latency, "
        "ops-metrics-webhook-failures, ops-health, ops-webhook-validation, "
        "test-unit-retry-policy, test-e2e)"
    )


def test_a_failed_twin_run_proves_nothing(sandbox_clean: Evidence) -> None:
    data = run_checklist(target="twin")
    failing = next(i for i in data["items"] if i["id"] == "env-https")
    failing["status"] = "failed"
    data["passed"] = False
    result = check_twin_items(
        dataclasses.replace(sandbox_clean, twin_checklist=ReportFile("r/twin/checklist.json", data))
    )
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "r/twin/checklist.json: 1 of 31 items failed (env-https)",
    )
    assert result.fix == (
        "fix the failing items, then run "
        "`g2a-harness run --target twin --suite full --report-dir reports/twin`"
    )


def test_a_rehearsal_is_the_twin_run_itself(clean: Evidence) -> None:
    result = check_twin_items(clean)
    assert (result.status, result.reason) == (
        Status.GO,
        "reports/checklist.json is the full twin run itself (see the checklist)",
    )
