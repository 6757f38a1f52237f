"""Checklist reports: the gate's JSON schema, the Markdown and the self-contained HTML."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from harness.checklist import ChecklistItem, ItemVerdict
from harness.report import (
    checklist_report,
    counts_text,
    render_html,
    render_markdown,
    write_checklist_reports,
)

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VERDICTS = [
    ItemVerdict(
        ChecklistItem("env-https", "Env & config", "HTTPS <enforced>", ("tag:chk-env-https",)),
        "passed",
        ("passed Configuration: Plain HTTP | refused",),
    ),
    ItemVerdict(
        ChecklistItem("handoff-live-switch", "Handoff", "Live switch", ("gate:live-switch",)),
        "skipped",
        ("skipped: proven by g2a-harness gate (live-switch)",),
    ),
]


def test_the_json_report_has_the_gate_schema() -> None:
    report = checklist_report(VERDICTS, target="twin", suite="full", generated_at=WHEN)
    assert report["kind"] == "checklist"
    assert report["generated_at"] == "2026-01-02T03:04:05Z"
    assert (report["target"], report["suite"], report["passed"]) == ("twin", "full", True)
    assert report["summary"] == {"passed": 1, "failed": 0, "skipped": 1, "not run": 0}
    assert report["items"][1] == {
        "id": "handoff-live-switch",
        "area": "Handoff",
        "text": "Live switch",
        "status": "skipped",
        "evidence": ["skipped: proven by g2a-harness gate (live-switch)"],
        "scenarios": [],
    }


def test_a_report_is_titled_after_the_run_s_selection() -> None:
    report = checklist_report(VERDICTS, target="twin", suite="full", title="tags qa-mine")
    assert (report["suite"], report["title"]) == ("full", "tags qa-mine")
    assert render_markdown(report).splitlines()[2] == "- target: **twin**, run: **tags qa-mine**"
    assert "<tr><th>run</th><td>tags qa-mine</td></tr>" in render_html(report)
    assert checklist_report(VERDICTS, target="twin", suite="smoke")["title"] == "smoke"


def test_a_failed_item_or_a_broken_run_fails_the_report() -> None:
    failed = [ItemVerdict(VERDICTS[0].item, "failed", ("FAILED x",))]
    assert checklist_report(failed, target="twin", suite="full")["passed"] is False
    broken = checklist_report(VERDICTS, target="twin", suite="full", run_ok=False)
    assert broken["passed"] is False


def test_the_three_files_are_written_and_the_html_is_self_contained(tmp_path: Path) -> None:
    report = checklist_report(VERDICTS, target="sandbox", suite="smoke", generated_at=WHEN)
    paths = write_checklist_reports(report, tmp_path / "out")
    assert [p.name for p in paths] == ["checklist.json", "checklist.md", "checklist.html"]
    assert json.loads(paths[0].read_text()) == report
    markdown = paths[1].read_text()
    assert (
        "| PASS | `env-https` HTTPS <enforced> | passed Configuration: Plain HTTP \\| refused |"
        in (markdown)
    )
    assert "## Handoff" in markdown
    page = paths[2].read_text()
    assert "HTTPS &lt;enforced&gt;" in page
    assert not re.search(r"(src|href)=|<script|@import|url\(", page)
    assert page.startswith("<!DOCTYPE html>")


def _scenario(name: str, tags: list[str], error: str = "") -> dict[str, object]:
    return {
        "feature": "QA orders",
        "uri": "qa/orders.feature",
        "name": name,
        "line": 3,
        "tags": tags,
        "status": "failed" if error else "passed",
        "duration_s": 0.25,
        "steps": [
            {
                "keyword": "When",
                "name": "QA orders product 1",
                "status": "passed",
                "duration_s": 0.25,
            }
        ],
        "failed_step": "Then an order id is returned" if error else "",
        "error": error,
    }


def test_scenarios_that_prove_no_item_are_reported_too(tmp_path: Path) -> None:
    proving = _scenario("HTTPS is enforced", ["chk-env-https"])
    own = _scenario("An out-of-stock order fails", ["qa-first", "twin"], error="expected ORD07")
    report = checklist_report(
        VERDICTS, target="twin", suite="full", scenarios=[proving, own], run_ok=False
    )
    assert report["items"][0]["scenarios"] == [proving]
    assert report["other_scenarios"] == [own]

    paths = write_checklist_reports(report, tmp_path)
    markdown = paths[1].read_text()
    assert "## Other scenarios" in markdown
    assert (
        "| FAIL | QA orders: An out-of-stock order fails "
        "| Then an order id is returned: expected ORD07 |" in markdown
    )
    page = paths[2].read_text()
    assert "<h2>Other scenarios</h2>" in page
    assert "QA orders: An out-of-stock order fails (0.250 s)" in page
    assert "expected ORD07" in page


def test_the_result_line_counts_the_other_scenarios_too() -> None:
    """A QA team's own scenarios prove no checklist item, but they pass or fail the run: the
    result line says how they went, not only "0 passed, 0 failed" for the items."""
    own = [
        _scenario("An out-of-stock order fails", ["qa-first"], error="expected ORD07"),
        _scenario("A second order is refused", ["qa-first"]),
        _scenario("A third one", ["qa-first"]),
    ]
    report = checklist_report(VERDICTS, target="twin", suite="full", scenarios=own, run_ok=False)
    expected = "1 passed, 0 failed, 1 skipped, 0 not run; other scenarios: 1 failed, 2 passed"
    assert counts_text(report) == expected
    assert f"**FAILED** ({expected})" in render_markdown(report)
    assert counts_text(checklist_report(VERDICTS, target="twin", suite="full")) == (
        "1 passed, 0 failed, 1 skipped, 0 not run"
    )


def test_an_own_scenario_left_out_for_the_target_counts_as_skipped_with_its_reason() -> None:
    ran = _scenario("Runs on the twin", ["qa-mix", "twin"])
    left_out = {
        **_scenario("Runs only on the sandbox", ["qa-mix", "sandbox"]),
        "status": "skipped",
        "steps": [],
        "reason": "deselected: not allowed on target twin (tagged for sandbox)",
    }
    report = checklist_report(VERDICTS, target="twin", suite="full", scenarios=[ran, left_out])

    assert counts_text(report).endswith("; other scenarios: 1 passed, 1 skipped")
    markdown = render_markdown(report)
    assert (
        "| SKIP | QA orders: Runs only on the sandbox "
        "| deselected: not allowed on target twin (tagged for sandbox) |" in markdown
    )
    assert "deselected: not allowed on target twin (tagged for sandbox)" in render_html(report)
