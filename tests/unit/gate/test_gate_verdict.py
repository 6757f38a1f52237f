"""The overall verdict, its rendering (table, gate.json, gate.md) and secret masking."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from gate_support import checklist_report
from rich.console import Console

from harness.gate.collect import live_config
from harness.gate.evidence import Evidence, Probe, ReportFile
from harness.gate.model import Decision
from harness.gate.render import print_table, to_markdown, write
from harness.gate.runner import judge
from harness.gate.steps import Step, StepOutcome


def test_sandbox_evidence_proven_on_every_item_is_go(sandbox_clean: Evidence) -> None:
    report = judge(sandbox_clean)
    assert [(c.id, c.status.value) for c in report.checks] == [
        ("signing", "go"),
        ("config", "go"),
        ("credentials", "go"),
        ("secrets", "go"),
        ("checkout", "go"),
        ("ci", "go"),
        ("checklist", "go"),
        ("twin-items", "go"),
        ("contracts", "go"),
        ("load", "go"),
        ("health", "go"),
        ("metrics", "go"),
    ]
    assert (report.decision, report.go, report.decision.exit_code) == (Decision.GO, True, 0)
    assert report.live_base_url == "https://api.g2a.com/v1"


def test_the_same_evidence_on_the_twin_is_a_rehearsal_never_a_go(clean: Evidence) -> None:
    report = judge(clean)
    assert all(c.status.value == "go" for c in report.checks)
    assert (report.decision, report.go, report.decision.exit_code) == (
        Decision.REHEARSAL,
        False,
        3,
    )
    data = report.to_dict()
    assert (data["decision"], data["go"], data["exit_code"]) == ("REHEARSAL", False, 3)


def test_a_rehearsal_without_live_settings_leaves_them_to_the_sandbox(clean: Evidence) -> None:
    rehearsal = dataclasses.replace(clean, live=live_config({}, "the environment", None))
    report = judge(rehearsal)
    assert {c.id: c.status.value for c in report.checks if c.status.value != "go"} == {
        "config": "for sandbox",
        "credentials": "for sandbox",
    }
    assert next(c.reason for c in report.checks if c.id == "config") == (
        "no live settings in the environment: the sandbox gate checks them"
    )
    assert report.decision is Decision.REHEARSAL
    sandbox = dataclasses.replace(rehearsal, target="sandbox")
    assert judge(sandbox).decision is Decision.NO_GO  # the sandbox gate needs them


def test_one_failing_item_makes_the_whole_gate_no_go(sandbox_clean: Evidence) -> None:
    missing = ReportFile("reports/load/load.json", error="missing")
    report = judge(dataclasses.replace(sandbox_clean, load=missing))
    assert not report.go
    assert [c.id for c in report.blocking()] == ["load"]
    assert report.to_dict()["decision"] == "NO-GO"
    assert report.decision.exit_code == 1
    twin = judge(dataclasses.replace(sandbox_clean, target="twin", load=missing))
    assert twin.decision is Decision.NO_GO  # a failed rehearsal is a no-go too


def test_secrets_echoed_by_a_probe_are_masked_everywhere(clean: Evidence, tmp_path: Path) -> None:
    key = clean.live.api_key
    leaky = Probe(f"receiver: GET /healthz?k={key}", None, "", f"refused key {key}")
    report = judge(dataclasses.replace(clean, health=leaky))
    console = Console(record=True, width=200)
    print_table(report, console)
    json_path, md_path = write(report, tmp_path)
    outputs = [console.export_text(), json_path.read_text(), md_path.read_text()]
    for text in outputs:
        assert key not in text
        assert "refused key ***" in text


def test_gate_json_and_markdown(clean: Evidence, tmp_path: Path) -> None:
    broken = dataclasses.replace(
        clean, checklist=ReportFile("reports/checklist.json", error="missing")
    )
    report = judge(broken)
    json_path, md_path = write(report, tmp_path)
    data = json.loads(json_path.read_text())
    assert {k: data[k] for k in ("kind", "target", "go", "decision", "exit_code", "head")} == {
        "kind": "gate",
        "target": "twin",
        "go": False,
        "decision": "NO-GO",
        "exit_code": 1,
        "head": "3f2a9c1e" * 5,
    }
    assert (data["generated_at"], data["signed"]) == ("2026-11-27T12:00:00Z", False)
    checklist = next(c for c in data["checks"] if c["id"] == "checklist")
    assert checklist == {
        "id": "checklist",
        "title": "Full checklist on the target",
        "status": "no-go",
        "reason": "reports/checklist.json is missing",
        "fix": "run `g2a-harness run --target twin --suite full --report-dir reports`",
        "evidence": "reports/checklist.json",
        "details": [],
    }
    # the dashboards check's fix is the same run: one step for both
    assert data["next_steps"] == [checklist["fix"]]
    markdown = md_path.read_text()
    assert markdown.startswith(
        "# Live switchover gate: **NO-GO**\n\n"
        "decision: NO-GO (exit 1): 2 item(s) not proven\n\n"
        "## What to run, in order\n\n"
        "1. run `g2a-harness run --target twin --suite full --report-dir reports`\n\n"
    )
    assert "- live base URL: `https://api.g2a.com/v1`" in markdown
    assert "- evidence: unsigned (G2A_EVIDENCE_KEY is not set" in markdown
    assert to_markdown(judge(clean)).startswith("# Live switchover gate: **REHEARSAL**\n")


def test_gate_json_lists_the_sha256_of_every_file_judged(clean: Evidence, tmp_path: Path) -> None:
    checklist = dataclasses.replace(clean.checklist, sha256="a" * 64)
    data = judge(dataclasses.replace(clean, checklist=checklist)).to_dict()
    files = {f["path"]: f["sha256"] for f in data["files"]}
    assert files["reports/checklist.json"] == "a" * 64
    assert set(files) == {
        "reports/checklist.json",
        "reports/ci/ci.json",
        "reports/ci/tox.json",
        *(f"reports/ci/{layer}.xml" for layer in clean.ci.junit),
    }  # contracts and load carry no digest in this in-memory evidence


def test_terminal_leads_with_the_decision_and_what_to_run(clean: Evidence) -> None:
    broken = dataclasses.replace(
        clean, checklist=ReportFile("reports/checklist.json", error="missing")
    )
    console = Console(record=True, width=250)
    print_table(judge(broken), console)
    lines = console.export_text().splitlines()
    assert lines[0] == "decision: NO-GO (exit 1): 2 item(s) not proven"
    assert lines[1] == "  1. run `g2a-harness run --target twin --suite full --report-dir reports`"
    # the dashboards check's fix is that same run: no second step
    assert lines[2].strip() == "Live switchover gate — target twin"
    text = "\n".join(lines)
    assert "reports/checklist.json is missing" in text
    assert "live base URL: https://api.g2a.com/v1 (confirm it)" in text
    assert lines[-1] == "decision: NO-GO (exit 1): 2 item(s) not proven"


def test_a_go_names_the_commit_it_proves(sandbox_clean: Evidence) -> None:
    console = Console(record=True, width=250)
    print_table(judge(sandbox_clean), console)
    assert console.export_text().splitlines()[0] == (
        "decision: GO (exit 0): every item proven for commit 3f2a9c1e3f2a, on the sandbox "
        "where it can run there"
    )


def test_terminal_caps_details_but_files_keep_them_all(clean: Evidence, tmp_path: Path) -> None:
    drift = [f"GET /v1/x{i} undocumented" for i in range(11)]
    data = dict(clean.contracts.data or {}, drift=drift, passed=False)
    report = judge(dataclasses.replace(clean, contracts=ReportFile("reports/contracts.json", data)))
    console = Console(record=True, width=250)
    print_table(report, console)
    text = console.export_text()
    assert "GET /v1/x7 undocumented" in text
    assert "GET /v1/x8 undocumented" not in text
    assert "… 3 more in gate.json / gate.md" in text
    _, md_path = write(report, tmp_path)
    assert "- GET /v1/x10 undocumented" in md_path.read_text()


def test_commands_run_for_missing_evidence_are_reported(clean: Evidence, tmp_path: Path) -> None:
    step = Step("load", "twin", ("load", "--profile", "smoke", "--target", "twin"))
    report = judge(dataclasses.replace(clean, produced=(StepOutcome(step, 1),)))
    produced = {
        "evidence": "load",
        "command": "g2a-harness load --profile smoke --target twin",
        "exit_code": 1,
    }
    json_path, md_path = write(report, tmp_path)
    assert json.loads(json_path.read_text())["produced"] == [produced]
    assert (
        "## Evidence produced by --run-missing\n\n"
        "- `g2a-harness load --profile smoke --target twin`: exit 1\n"
    ) in md_path.read_text()
    console = Console(record=True, width=250)
    print_table(report, console)
    assert (
        "produced by --run-missing: g2a-harness load --profile smoke --target twin (exit 1)"
        in console.export_text()
    )
    assert json.loads(write(judge(clean), tmp_path)[0].read_text())["produced"] == []


def test_a_gate_that_crashes_leaves_no_older_verdict_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.gate import runner
    from harness.gate.collect import GateOptions

    (tmp_path / "gate.json").write_text('{"decision": "GO"}')
    (tmp_path / "gate.md").write_text("# Live switchover gate: **GO**\n")

    def crash(options: GateOptions) -> Evidence:
        raise RuntimeError("git vanished")

    monkeypatch.setattr(runner, "collect", crash)
    with pytest.raises(RuntimeError):
        runner.run_gate(GateOptions(evidence_dir=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("control", ["\r", "\x1b[2J", "\x0b", "\x0c", "\u2028", "\x85"])
def test_control_characters_in_evidence_cannot_forge_lines(
    sandbox_clean: Evidence, control: str
) -> None:
    forged = f"x{control}{control}# Live switchover gate: **GO**{control}"
    data = checklist_report(target="sandbox")
    data["items"].append({"id": forged, "status": "passed"})
    report = judge(
        dataclasses.replace(sandbox_clean, checklist=ReportFile("reports/checklist.json", data))
    )
    markdown = to_markdown(report)
    assert control not in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings[0] == "# Live switchover gate: **NO-GO**"
    assert not [line for line in headings if "**GO**" in line]
    console = Console(record=True, width=200)
    print_table(report, console)
    assert control not in console.export_text()


def test_a_dirty_checkout_is_a_no_go_and_a_clean_one_names_its_commit(
    sandbox_clean: Evidence,
) -> None:
    from harness.gate.checks.checkout import check_checkout

    assert check_checkout(sandbox_clean).reason == "no uncommitted change at 3f2a9c1e3f2a"
    dirty = dataclasses.replace(
        sandbox_clean, binding=dataclasses.replace(sandbox_clean.binding, dirty=True)
    )
    report = judge(dirty)
    assert [c.id for c in report.blocking()] == ["checkout"]
    assert report.decision is Decision.NO_GO
    no_head = dataclasses.replace(
        sandbox_clean, binding=dataclasses.replace(sandbox_clean.binding, head=None, dirty=True)
    )
    assert check_checkout(no_head).reason == (
        "/repo has no commit to judge (not a git repository, or git failed)"
    )
