"""Checklist reports: `checklist.json` (read by the gate), `checklist.md`, `checklist.html`.

`junit.xml` and `cucumber.json` are written by pytest itself during `g2a-harness run`; the
scenarios each item shows (steps, statuses, durations, errors) are read from that
`cucumber.json` (`harness.scenarios`), so both reports tell the same story. The HTML page is
self-contained: inline CSS, `<details>` for collapsing, no script, no network asset.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.checklist import ItemVerdict
from harness.envelope import write_json

STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "not run": "NOT RUN"}
STATUSES = tuple(STATUS_MARK)


def checklist_report(
    verdicts: Sequence[ItemVerdict],
    *,
    target: str,
    suite: str,
    title: str | None = None,
    run_ok: bool = True,
    generated_at: datetime | None = None,
    scenarios: Sequence[dict[str, Any]] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `checklist` report; each item lists the scenarios (cucumber records) that prove it,
    and `other_scenarios` those that prove no item (a QA team's own, run with `--features`).
    `title` names the run (`tags …` for a selection); the suite's name without one."""
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC)
    counts: Counter[str] = Counter(v.status for v in verdicts)
    item_tags = {tag for v in verdicts for tag in v.item.tags()}
    return {
        "kind": "checklist",
        "generated_at": stamp.isoformat().replace("+00:00", "Z"),
        "target": target,
        "suite": suite,
        "title": title or suite,
        "passed": run_ok and counts["failed"] == 0,
        "summary": {s: counts[s] for s in STATUSES},
        "items": [
            {
                "id": v.item.id,
                "area": v.item.area,
                "text": v.item.text,
                "status": v.status,
                "evidence": list(v.evidence),
                "scenarios": [r for r in scenarios if set(r["tags"]) & set(v.item.tags())],
            }
            for v in verdicts
        ],
        "other_scenarios": [r for r in scenarios if not set(r["tags"]) & item_tags],
        **(extra or {}),
    }


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Handoff checklist",
        "",
        f"- target: **{report['target']}**, run: **{report['title']}**",
        f"- generated: {report['generated_at']}",
        f"- result: **{'PASSED' if report['passed'] else 'FAILED'}** ({counts_text(report)})",
        "",
    ]
    for area, items in _by_area(report).items():
        lines += [f"## {area}", "", "| status | item | evidence |", "|---|---|---|"]
        for item in items:
            evidence = "<br>".join(_md_cell(e) for e in item["evidence"]) or "-"
            lines.append(
                f"| {STATUS_MARK[item['status']]} | `{item['id']}` {_md_cell(item['text'])} "
                f"| {evidence} |"
            )
        lines.append("")
    if others := report.get("other_scenarios"):
        lines += [
            "## Other scenarios",
            "",
            "| status | scenario | failed step: error |",
            "|---|---|---|",
        ]
        for record in others:
            failure = f"{record['failed_step']}: {record['error']}" if record["error"] else ""
            failure = failure or record.get("reason") or "-"
            lines.append(
                f"| {STATUS_MARK.get(record['status'], record['status'])} "
                f"| {_md_cell(record['feature'])}: {_md_cell(record['name'])} "
                f"| {_md_cell(failure)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _by_area(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    areas: dict[str, list[dict[str, Any]]] = {}
    for item in report["items"]:
        areas.setdefault(item["area"], []).append(item)
    return areas


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def counts_text(report: dict[str, Any]) -> str:
    """The checklist items per status, then the other scenarios' outcomes when there are any
    (a QA team's own scenarios prove no item, but they pass or fail the run all the same).
    A selection that proves no item (none passed or failed: a team's `--tags` run of its own
    scenarios) leads with the other scenarios, what it ran, so "0 failed" of the items is not
    read first."""
    summary = report["summary"]
    items = ", ".join(f"{summary.get(status, 0)} {status}" for status in STATUSES)
    others = Counter(str(r.get("status", "not run")) for r in report.get("other_scenarios", []))
    if not others:
        return items
    scenarios = "other scenarios: " + ", ".join(
        f"{n} {status}" for status, n in sorted(others.items())
    )
    if report.get("selection") and not (summary.get("passed") or summary.get("failed")):
        return f"{scenarios}; checklist items: {items}"
    return f"{items}; {scenarios}"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#146c2e}.failed{color:#b00020}
.skipped,.not-run{color:#8a6d00}.status{font-weight:bold;white-space:nowrap}
details{border:1px solid #ddd;border-radius:4px;margin:.3rem 0;padding:.3rem .6rem}
summary{cursor:pointer}ul{margin:.2rem 0;padding-left:1.1rem}
.error{background:#fdecee;padding:.3rem;white-space:pre-wrap;font-family:monospace}
code{background:#f6f6f6;padding:0 .2rem}
"""


def _css_class(status: str) -> str:
    return status.replace(" ", "-")


def _scenario_html(record: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        f'<tr><td class="status {_css_class(st["status"])}">{esc(st["status"])}</td>'
        f"<td>{esc(st['keyword'])} {esc(st['name'])}</td><td>{st['duration_s']:.3f} s</td></tr>"
        for st in record["steps"]
    )
    error = (
        f'<div class="error">{esc(record["failed_step"])}: {esc(record["error"])}</div>'
        if record["error"]
        else ""
    )
    reason = f"<p>{esc(record['reason'])}</p>" if record.get("reason") else ""
    title = f"{record['feature']}: {record['name']} ({record['duration_s']:.3f} s)"
    table = f"<table><tr><th>status</th><th>step</th><th>duration</th></tr>{rows}</table>"
    body = reason + (table if record["steps"] else "") + error
    return _collapsible("scenario", record["status"], record["status"], esc(title), body)


def _item_html(item: dict[str, Any]) -> str:
    esc = html.escape
    status = item["status"]
    evidence = "".join(f"<li>{esc(e)}</li>" for e in item["evidence"])
    scenarios = "".join(_scenario_html(r) for r in item.get("scenarios", []))
    label = f"<code>{esc(item['id'])}</code> {esc(item['text'])}"
    return _collapsible(
        "item", status, STATUS_MARK[status], label, f"<ul>{evidence}</ul>{scenarios}"
    )


def _collapsible(kind: str, status: str, mark: str, label: str, body: str) -> str:
    """A `<details>` block, open when failed; `label` and `body` are already escaped HTML."""
    opened = " open" if status == "failed" else ""
    return (
        f'<details class="{kind}"{opened}><summary><span class="status {_css_class(status)}">'
        f"{html.escape(mark)}</span> {label}</summary>{body}</details>"
    )


def render_html(report: dict[str, Any]) -> str:
    esc = html.escape
    verdict = "PASSED" if report["passed"] else "FAILED"
    envelope = report.get("envelope") or {}
    facts = {
        "commit": envelope.get("commit") or "unknown",
        "tree": "dirty" if envelope.get("dirty", True) else "clean",
        "target": report["target"],
        "target URL": report.get("target_url", "-"),
        "host": report.get("host", "-"),
        "run": report["title"],
        "generated": report["generated_at"],
    }
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Handoff checklist</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Handoff checklist</h1>",
        '<table class="facts">'
        + "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in facts.items())
        + "</table>",
        f'<p class="{"passed" if report["passed"] else "failed"} status verdict">{verdict}: '
        f"{esc(counts_text(report))}.</p>",
    ]
    for area, items in _by_area(report).items():
        parts += [f"<h2>{esc(area)}</h2>", *(_item_html(item) for item in items)]
    if others := report.get("other_scenarios"):
        parts += ["<h2>Other scenarios</h2>", *(_scenario_html(r) for r in others)]
    parts.append("</body></html>")
    return "\n".join(parts)


CHECKLIST_REPORTS = ("checklist.json", "checklist.md", "checklist.html")


def write_checklist_reports(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write the CHECKLIST_REPORTS; return their paths."""
    paths = [write_json(report_dir / "checklist.json", report)]
    outputs = {
        "checklist.md": render_markdown(report),
        "checklist.html": render_html(report),
    }
    for name, text in outputs.items():
        path = report_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
