"""Checklist reports: `checklist.json` (read by the gate), `checklist.md`, `checklist.html`.

`junit.xml` and `cucumber.json` are written by pytest itself during `g2a-harness run`.
The HTML page is self-contained: inline CSS, no script, no network asset.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.checklist import ItemVerdict

STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def checklist_report(
    verdicts: Sequence[ItemVerdict],
    *,
    target: str,
    suite: str,
    run_ok: bool = True,
    generated_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `checklist` report (schema: interfaces.md "Reports")."""
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC)
    counts = Counter(v.status for v in verdicts)
    return {
        "kind": "checklist",
        "generated_at": stamp.isoformat().replace("+00:00", "Z"),
        "target": target,
        "suite": suite,
        "passed": run_ok and counts["failed"] == 0,
        "summary": {s: counts[s] for s in ("passed", "failed", "skipped")},
        "items": [
            {
                "id": v.item.id,
                "area": v.item.area,
                "text": v.item.text,
                "status": v.status,
                "evidence": list(v.evidence),
            }
            for v in verdicts
        ],
        **(extra or {}),
    }


def render_markdown(report: dict[str, Any]) -> str:
    summary = report["summary"]
    lines = [
        "# Handoff checklist",
        "",
        f"- target: **{report['target']}**, suite: **{report['suite']}**",
        f"- generated: {report['generated_at']}",
        f"- result: **{'PASSED' if report['passed'] else 'FAILED'}** "
        f"({summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped)",
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
    return "\n".join(lines)


def _by_area(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    areas: dict[str, list[dict[str, Any]]] = {}
    for item in report["items"]:
        areas.setdefault(item["area"], []).append(item)
    return areas


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#146c2e}.failed{color:#b00020}.skipped{color:#8a6d00}
.status{font-weight:bold;white-space:nowrap}ul{margin:0;padding-left:1.1rem}
code{background:#f6f6f6;padding:0 .2rem}
"""


def render_html(report: dict[str, Any]) -> str:
    esc = html.escape
    summary = report["summary"]
    verdict = "PASSED" if report["passed"] else "FAILED"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Handoff checklist</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Handoff checklist</h1>",
        f"<p>Target <strong>{esc(report['target'])}</strong>, suite "
        f"<strong>{esc(report['suite'])}</strong>, generated {esc(report['generated_at'])}.</p>",
        f'<p class="{"passed" if report["passed"] else "failed"} status">{verdict}: '
        f"{summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped.</p>",
    ]
    for area, items in _by_area(report).items():
        parts += [
            f"<h2>{esc(area)}</h2>",
            "<table><tr><th>status</th><th>item</th><th>evidence</th></tr>",
        ]
        for item in items:
            evidence = "".join(f"<li>{esc(e)}</li>" for e in item["evidence"])
            parts.append(
                f'<tr><td class="status {item["status"]}">{STATUS_MARK[item["status"]]}</td>'
                f"<td><code>{esc(item['id'])}</code> {esc(item['text'])}</td>"
                f"<td><ul>{evidence}</ul></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_checklist_reports(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write checklist.json, checklist.md and checklist.html; return their paths."""
    report_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "checklist.json": json.dumps(report, indent=2) + "\n",
        "checklist.md": render_markdown(report),
        "checklist.html": render_html(report),
    }
    paths = []
    for name, text in outputs.items():
        path = report_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
