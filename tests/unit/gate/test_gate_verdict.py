"""The overall verdict, its rendering (table, gate.json, gate.md) and secret masking."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from rich.console import Console

from harness.gate.evidence import CiRun, Evidence, Probe, ReportFile
from harness.gate.produce import Step, StepOutcome
from harness.gate.render import print_table, to_markdown, write
from harness.gate.runner import judge


def test_clean_evidence_is_go_on_every_item(clean: Evidence) -> None:
    report = judge(clean)
    assert [(c.id, c.status.value) for c in report.checks] == [
        ("config", "go"),
        ("credentials", "go"),
        ("secrets", "go"),
        ("ci", "go"),
        ("checklist", "go"),
        ("contracts", "go"),
        ("load", "go"),
        ("health", "go"),
        ("metrics", "go"),
    ]
    assert report.go
    assert report.live_base_url == "https://api.g2a.com/v1"


def test_one_failing_item_makes_the_whole_gate_no_go(clean: Evidence) -> None:
    report = judge(
        dataclasses.replace(clean, load=ReportFile("reports/load/load.json", error="missing"))
    )
    assert not report.go
    assert [c.id for c in report.blocking()] == ["load"]
    assert report.to_dict()["decision"] == "no-go"


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
    assert {k: data[k] for k in ("kind", "target", "passed", "decision", "generated_at")} == {
        "kind": "gate",
        "target": "twin",
        "passed": False,
        "decision": "no-go",
        "generated_at": "2026-11-27T12:00:00Z",
    }
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
    markdown = md_path.read_text()
    assert markdown.startswith("# Live switchover gate: **NO-GO**\n")
    assert "- live base URL: `https://api.g2a.com/v1`" in markdown
    assert (
        "## Why not\n\n1. reports/checklist.json is missing: "
        "run `g2a-harness run --target twin --suite full --report-dir reports`\n"
    ) in markdown
    assert markdown.endswith(  # the dashboards' evidence lives in the checklist report too
        "2. all 6 documented names at receiver: GET /metrics, but reports/checklist.json is "
        "missing: run `g2a-harness run --target twin` with `prometheus` on PATH "
        "(apt-get install -y prometheus)\n"
    )
    assert to_markdown(judge(clean)).startswith("# Live switchover gate: **GO**\n")


def test_terminal_table_shows_reason_fix_and_decision(clean: Evidence) -> None:
    broken = dataclasses.replace(
        clean, checklist=ReportFile("reports/checklist.json", error="missing")
    )
    console = Console(record=True, width=250)
    print_table(judge(broken), console)
    text = console.export_text()
    assert "reports/checklist.json is missing" in text
    assert "g2a-harness run --target twin --suite full --report-dir reports" in text
    assert "live base URL: https://api.g2a.com/v1 (confirm it)" in text
    assert text.rstrip().endswith("decision: NO-GO")


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


def test_a_go_with_warnings_names_them_as_unproven(clean: Evidence, tmp_path: Path) -> None:
    no_ci = dataclasses.replace(clean, ci=CiRun("reports/tox.json", error="missing"))
    report = judge(no_ci)
    assert report.go
    console = Console(record=True, width=250)
    print_table(report, console)
    assert (
        console.export_text()
        .rstrip()
        .endswith("decision: GO with 1 warning(s) (ci): not proven, read them before the switch")
    )
    _, md_path = write(report, tmp_path)
    assert md_path.read_text().endswith(
        "## Warnings (not blocking: read them before the switch)\n\n"
        "- CI: lint, build and every test layer: handoff-green is not proven: "
        "reports/tox.json is missing, no CI result was given\n"
    )


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
