"""The gate's verdict as a terminal table, `gate.json` and `gate.md`; secrets masked in all."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from g2a_adapter.logformat import SecretMasker
from harness.gate.model import CheckResult, Decision, GateReport, Status

TABLE_DETAILS = 8  # detail lines per check on the terminal; the files keep them all
_STYLE = {Status.GO: "green", Status.NO_GO: "bold red", Status.FOR_SANDBOX: "yellow"}
_ICON = {Status.GO: "✅ go", Status.NO_GO: "❌ no-go", Status.FOR_SANDBOX: "⏭️ for sandbox"}
_DECISION_STYLE = {
    Decision.GO: "bold green",
    Decision.NO_GO: "bold red",
    Decision.REHEARSAL: "bold yellow",
}


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


GATE_FILES = ("gate.json", "gate.md")
# Control characters (CR, ESC, ...) and line separators: evidence text must not start a line
# of its own (a forged "GO" heading) or drive the terminal.
_NOT_PRINTED = frozenset({"Cc", "Zl", "Zp"})


def plain(text: str) -> str:
    """The text on one line: every control character or line separator becomes a space."""
    return "".join(" " if unicodedata.category(c) in _NOT_PRINTED else c for c in text)


def _cell(text: str) -> str:
    return plain(text).replace("|", "\\|")


def decision_line(report: GateReport) -> str:
    """The first line of every output: the decision and what it means."""
    decision = report.decision
    if decision is Decision.GO:
        commit = (report.head or "")[:12]
        meaning = f"every item proven for commit {commit}, on the sandbox where it can run there"
    elif decision is Decision.REHEARSAL:
        meaning = "every item the twin can prove passed; a rehearsal is never a go"
    else:
        meaning = f"{len(report.blocking())} item(s) not proven"
    return f"decision: {decision.label} (exit {decision.exit_code}): {meaning}"


def signing_line(report: GateReport) -> str:
    if report.signed:
        return "evidence: signed, every HMAC checked (G2A_EVIDENCE_KEY)"
    state = "set but empty" if report.evidence_key == "empty" else "not set"
    allowed = "; accepted by --allow-unsigned-evidence" if report.unsigned_allowed else ""
    return f"evidence: unsigned (G2A_EVIDENCE_KEY is {state}: signatures were not checked{allowed})"


def to_markdown(report: GateReport) -> str:
    lines = [f"# Live switchover gate: **{report.decision.label}**", "", decision_line(report)]
    steps = report.next_steps()
    if steps:
        lines += ["", "## What to run, in order", ""]
        lines += [f"{i}. {_cell(step)}" for i, step in enumerate(steps, 1)]
    lines += [
        "",
        f"- target: `{report.target}`",
        f"- commit: `{report.head or 'unknown'}`",
        f"- {signing_line(report)}",
        f"- live base URL: `{plain(report.live_base_url or 'not given or invalid (see config)')}`",
        *(
            [f"- live host confirmed by the operator: `{plain(report.confirmed_live_host)}`"]
            if report.confirmed_live_host
            else []
        ),
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
    for check in (c for c in report.checks if c.details):
        lines += ["", f"### {check.title}", ""] + [f"- {_cell(d)}" for d in check.details]
    if report.produced:
        lines += ["", "## Evidence produced by --run-missing", ""]
        lines += [f"- `{plain(p['command'])}`: exit {p['exit_code']}" for p in report.produced]
    if report.files:
        lines += ["", "## Files judged (sha256)", ""]
        lines += [f"- `{plain(path)}` `{digest}`" for path, digest in report.files]
    return "\n".join(lines) + "\n"


def print_table(report: GateReport, console: Console) -> None:
    style = _DECISION_STYLE[report.decision]
    console.print(Text(decision_line(report), style=style), soft_wrap=True)
    for index, step in enumerate(report.next_steps(), 1):
        console.print(Text(f"  {index}. {plain(step)}"), soft_wrap=True)
    table = Table(title=f"Live switchover gate — target {report.target}", show_lines=True)
    for column in ("check", "verdict", "reason", "fix"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        shown = [f"• {plain(d)}" for d in check.details[:TABLE_DETAILS]]
        if len(check.details) > TABLE_DETAILS:
            shown.append(f"• … {len(check.details) - TABLE_DETAILS} more in gate.json / gate.md")
        reason = "\n".join((plain(check.reason), *shown))
        verdict = Text(check.status.value, style=_STYLE[check.status])
        table.add_row(Text(plain(check.title)), verdict, Text(reason), Text(plain(check.fix)))
    console.print(table)
    console.print(Text(signing_line(report)), soft_wrap=True)
    if report.live_base_url:
        console.print(
            Text.assemble("live base URL: ", (report.live_base_url, "bold"), " (confirm it)")
        )
    for produced in report.produced:
        console.print(
            f"produced by --run-missing: {produced['command']} (exit {produced['exit_code']})"
        )
    console.print(Text(decision_line(report), style=style), soft_wrap=True)


def remove_old(directory: Path) -> None:
    """Delete a previous gate.json / gate.md: a gate that fails before it writes must not leave
    an older verdict to be read as this one."""
    for name in GATE_FILES:
        (directory / name).unlink(missing_ok=True)


def write(report: GateReport, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = (directory / name for name in GATE_FILES)
    json_path.write_text(to_json(report), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path
