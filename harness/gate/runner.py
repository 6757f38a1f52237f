"""collect → evaluate → mask → write: the whole gate as one call."""

from __future__ import annotations

from rich.console import Console

from harness.gate.checks import evaluate
from harness.gate.checks.secrets import configured_secrets
from harness.gate.collect import GateOptions, collect
from harness.gate.evidence import Evidence, ReportFile
from harness.gate.model import GateReport
from harness.gate.render import masked, print_table, remove_old, write


def secrets_of(evidence: Evidence) -> list[str]:
    """Every secret value the gate has seen (the published sandbox set is public)."""
    return list(configured_secrets(evidence).values())


def judged_files(evidence: Evidence) -> tuple[tuple[str, str], ...]:
    """(path, sha256) of every file the verdict read."""
    ci = evidence.ci
    reports: list[ReportFile] = [evidence.checklist, evidence.twin_checklist]
    reports += [evidence.contracts, evidence.load]
    reports += [ci.record, ci.tox, *ci.junit.values()]
    return tuple((r.path, r.sha256) for r in reports if r.sha256 is not None)


def judge(evidence: Evidence) -> GateReport:
    """The pure part: the verdict on already gathered evidence, secrets masked."""
    report = GateReport(
        target=evidence.target,
        generated_at=evidence.binding.now,
        checks=evaluate(evidence),
        live_base_url=evidence.live.base_url,
        max_age_hours=evidence.binding.max_age_hours,
        produced=tuple(outcome.to_dict() for outcome in evidence.produced),
        head=evidence.binding.head,
        signed=evidence.binding.signing,
        evidence_key=evidence.evidence_key,
        unsigned_allowed=evidence.allow_unsigned,
        confirmed_live_host=evidence.live.confirmed_host,
        files=judged_files(evidence),
    )
    return masked(report, secrets_of(evidence))


def run_gate(options: GateOptions, console: Console | None = None) -> GateReport:
    remove_old(options.evidence_dir)
    report = judge(collect(options))
    write(report, options.evidence_dir)
    if console is not None:
        print_table(report, console)
    return report
