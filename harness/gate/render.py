"""The gate's verdict as a terminal table, `gate.json` and `gate.md`; secrets masked in all."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from g2a_adapter.logformat import SecretMasker
from harness.gate.model import CheckResult, GateReport, Status

TABLE_DETAILS = 8  # detail lines per check on the terminal; the files keep them all
_STYLE = {Status.GO: "green", Status.NO_GO: "bold red", Status.WARN: "yellow"}
_ICON = {Status.GO: "✅ go", Status.NO_GO: "❌ no-go", Status.WARN: "⚠️ warn"}


def masked(report: GateReport, secrets: Iterable[str]) -> GateReport:
    """A copy with every secret value replaced by `***` in every text the gate shows."""
    mask = SecretMasker(secrets)

    def one(check: CheckResult) -> CheckResult:
        return dataclasses.replace(
            check,
            reason=mask(check.reason),
            fix=mask(check.fix),
            evidence=mask(check.evidence),
            details=tuple(mask(d) for d in check.details),
        )

    return dataclasses.replace(report, checks=tuple(one(c) for c in report.checks))


def to_json(report: GateReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: GateReport) -> str:
    verdict = "GO" if report.go else "NO-GO"
    lines = [
        f"# Live switchover gate: **{verdict}**",
        "",
        f"- target: `{report.target}`",
        f"- live base URL: `{report.live_base_url or 'invalid (see config)'}`",
        f"- evidence max age: {report.max_age_hours:g} h",
        f"- generated at: {report.to_dict()['generated_at']}",
        "",
        "| check | verdict | reason | fix | evidence |",
        "|---|---|---|---|---|",
    ]
    for check in report.checks:
        lines.append(
            f"| {check.title} | {_ICON[check.status]} | {_cell(check.reason)} | "
            f"{_cell(check.fix)} | `{_cell(check.evidence)}` |"
        )
    details = [c for c in report.checks if c.details]
    for check in details:
        lines += ["", f"### {check.title}", ""] + [f"- {_cell(d)}" for d in check.details]
    if report.produced:
        lines += ["", "## Evidence produced by --run-missing", ""]
        lines += [f"- `{p['command']}`: exit {p['exit_code']}" for p in report.produced]
    warnings = report.warnings()
    if warnings:
        lines += ["", "## Warnings (not blocking: read them before the switch)", ""]
        lines += [f"- {c.title}: {c.reason}" for c in warnings]
    blocking = report.blocking()
    if blocking:
        lines += ["", "## Why not", ""]
        lines += [f"{i}. {c.reason}: {c.fix}" for i, c in enumerate(blocking, 1)]
    return "\n".join(lines) + "\n"


def print_table(report: GateReport, console: Console) -> None:
    table = Table(title=f"Live switchover gate — target {report.target}", show_lines=True)
    for column in ("check", "verdict", "reason", "fix"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        shown = [f"• {d}" for d in check.details[:TABLE_DETAILS]]
        if len(check.details) > TABLE_DETAILS:
            shown.append(f"• … {len(check.details) - TABLE_DETAILS} more in gate.json / gate.md")
        reason = "\n".join((check.reason, *shown))
        verdict = Text(check.status.value, style=_STYLE[check.status])
        table.add_row(Text(check.title), verdict, Text(reason), Text(check.fix))
    console.print(table)
    if report.live_base_url:
        console.print(
            Text.assemble("live base URL: ", (report.live_base_url, "bold"), " (confirm it)")
        )
    for produced in report.produced:
        console.print(
            f"produced by --run-missing: {produced['command']} (exit {produced['exit_code']})"
        )
    console.print(Text(decision_line(report), style="bold green" if report.go else "bold red"))


def decision_line(report: GateReport) -> str:
    """`decision: GO`, naming the warnings a go carries (they are unproven, not passed)."""
    line = f"decision: {report.decision.upper()}"
    warnings = report.warnings()
    if report.go and warnings:
        names = ", ".join(c.id for c in warnings)
        line += (
            f" with {len(warnings)} warning(s) ({names}): not proven, read them before the switch"
        )
    return line


def write(report: GateReport, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "gate.json", directory / "gate.md"
    json_path.write_text(to_json(report), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path
