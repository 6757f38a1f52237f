"""The checklist data and how test outcomes become item verdicts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.checklist import (
    ChecklistError,
    ChecklistItem,
    RunResult,
    checklist_tags,
    judge,
    load_checklist,
    proven_elsewhere,
)

ROOT = Path(__file__).resolve().parents[3]
FEATURES = sorted((ROOT / "features").glob("*.feature"))


def _result(outcome: str, *markers: str, nodeid: str = "tests/bdd/test_x.py::t") -> RunResult:
    return RunResult(nodeid, "Feature: scenario", outcome, frozenset(markers))  # type: ignore[arg-type]


ITEM = ChecklistItem("env-https", "Env & config", "HTTPS", ("tag:chk-env-https",))


def test_the_checklist_covers_every_handoff_area_with_unique_ids() -> None:
    items = load_checklist()
    assert len({i.id for i in items}) == len(items) >= 30
    assert {i.area for i in items} == {"Env & config", "Operability", "Testing", "Handoff"}
    assert {"handoff-live-switch", "test-typed-contracts", "test-unit-mappers"} <= {
        i.id for i in items
    }


def test_every_checklist_tag_is_used_by_a_scenario_and_every_scenario_tag_is_known() -> None:
    used = set(re.findall(r"@(chk-[\w-]+)", "".join(f.read_text() for f in FEATURES)))
    assert set(checklist_tags()) == used


def test_the_features_hold_at_least_60_scenarios_counting_outline_rows() -> None:
    count = 0
    for feature in FEATURES:
        in_examples = False
        for line in feature.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("Scenario:"):
                count += 1
            if stripped.startswith(("Scenario Outline:", "Scenario:")):
                in_examples = False
            if stripped.startswith("Examples:"):
                in_examples, header = True, True
                continue
            if in_examples and stripped.startswith("|"):
                count += 0 if header else 1
                header = False
    assert count >= 60


def test_fault_and_webhook_scenarios_never_run_on_a_real_g2a() -> None:
    for name in ("resilience", "webhooks", "purchase", "health", "e2e"):
        text = (ROOT / "features" / f"{name}.feature").read_text()
        assert "@sandbox" not in text, name
        assert "@live" not in text, name


def test_passed_evidence_passes_the_item() -> None:
    verdict = judge(ITEM, [_result("passed", "chk-env-https")], "twin")
    assert verdict.status == "passed"
    assert verdict.evidence == ("passed Feature: scenario [tests/bdd/test_x.py::t]",)


def test_evidence_cut_off_leaves_the_item_not_run_beside_evidence_that_passed() -> None:
    """`g2a-harness run --max-time` cut the run before one of the item's scenarios: the item is
    not proven (that scenario might have failed), whatever passed beside it."""
    stopped = RunResult(
        "tests/bdd/test_x.py::u", "Feature: other", "not run", frozenset({"chk-env-https"}),
        "not reached (the run stopped after --max-time 15 s)",
    )  # fmt: skip
    verdict = judge(ITEM, [_result("passed", "chk-env-https"), stopped], "twin")
    assert (verdict.status, verdict.evidence) == (
        "not run",
        (
            "passed Feature: scenario [tests/bdd/test_x.py::t]",
            "not run Feature: other [tests/bdd/test_x.py::u]: not reached (the run stopped "
            "after --max-time 15 s)",
        ),
    )


def test_one_failing_scenario_fails_the_item_and_names_it() -> None:
    results = [_result("passed", "chk-env-https"), _result("failed", "chk-env-https")]
    verdict = judge(ITEM, results, "twin")
    assert verdict.status == "failed"
    assert verdict.evidence[0].startswith("FAILED Feature: scenario")


def test_an_item_without_evidence_is_skipped_with_the_reason() -> None:
    verdict = judge(ITEM, [_result("passed", "chk-env-defaults")], "twin")
    assert verdict.status == "skipped"
    assert verdict.evidence == ("skipped: no evidence ran (tag:chk-env-https)",)


def test_a_gate_item_is_skipped_honestly() -> None:
    item = ChecklistItem("handoff-live-switch", "Handoff", "live", ("gate:live-switch",))
    verdict = judge(item, [], "twin")
    assert (verdict.status, verdict.evidence) == (
        "skipped",
        ("skipped: proven by g2a-harness gate (live-switch)",),
    )


def test_an_item_bound_to_the_sandbox_is_not_passed_by_a_twin_run() -> None:
    item = ChecklistItem("handoff-sandbox-smoke", "Handoff", "smoke", ("tag:smoke",), ("sandbox",))
    verdict = judge(item, [_result("passed", "smoke")], "twin")
    assert verdict.status == "skipped"
    assert verdict.evidence[0].startswith("skipped: needs --target sandbox (this run: twin)")
    assert judge(item, [_result("passed", "smoke")], "sandbox").status == "passed"


def test_the_real_sandbox_item_is_not_passed_by_a_sandbox_target_on_a_loopback_twin() -> None:
    shipped = {item.id: item for item in load_checklist()}["handoff-sandbox-smoke"]
    smoke = [_result("passed", "smoke")]

    on_loopback = judge(shipped, smoke, "sandbox", host="127.0.0.1")
    assert on_loopback.status == "skipped"
    assert on_loopback.evidence[0] == (
        "skipped: proven only against sandboxapi.g2a.com (this run: 127.0.0.1); "
        "1 matching test(s) passed there"
    )
    assert judge(shipped, smoke, "sandbox", host="sandboxapi.g2a.com").status == "passed"


def test_the_items_a_run_can_never_prove_are_said_to_be_proven_elsewhere_and_by_whom() -> None:
    """The run's table names them apart (`g2a-harness run`): as rows, a QA reader took them
    for work missing."""
    smoke = [_result("passed", "smoke")]

    def elsewhere(target: str, host: str | None) -> dict[str, str]:
        verdicts = [judge(item, smoke, target, host=host) for item in load_checklist()]
        return {v.item.id: who for v in verdicts if (who := proven_elsewhere(v, target, host))}

    gate = {"handoff-green": "g2a-harness gate", "handoff-live-switch": "g2a-harness gate"}
    sandbox = "a run on sandbox against sandboxapi.g2a.com"
    assert elsewhere("twin", "127.0.0.1") == {**gate, "handoff-sandbox-smoke": sandbox}
    assert elsewhere("sandbox", "127.0.0.1") == {**gate, "handoff-sandbox-smoke": sandbox}
    assert elsewhere("sandbox", "sandboxapi.g2a.com") == gate


def test_node_selectors_match_by_node_id_prefix() -> None:
    item = ChecklistItem("test-typed-contracts", "Testing", "c", ("node:tests/contract",))
    result = _result("passed", nodeid="tests/contract/test_provider.py::test_x")
    assert judge(item, [result], "twin").status == "passed"


def test_a_bad_selector_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[item]]\nid="a"\narea="b"\ntext="c"\nselectors=["tags:x"]\n')
    with pytest.raises(ChecklistError, match="bad selector"):
        load_checklist(path)
