"""`--run-missing`: produce every missing or stale report with the real `g2a-harness` commands.

Which commands are needed is decided from the reports already on disk (`missing_steps`, pure):
present and fresh evidence is kept, even when it shows failures (re-running would hide them).
Each command runs as a child process (`python -m harness ...`, from the current directory, the
checkout) writing into the evidence dir. Its environment carries the target's settings only:
the live G2A_* values the gate judges never reach a child.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.contracts.report import PARTS as CONTRACT_PARTS
from harness.envelope import EVIDENCE_KEY_ENV
from harness.gate.checks.reports import load_run_problems, load_target_problem, stopped_problem
from harness.gate.evidence import Binding, ReportFile
from harness.gate.probe import sandbox_api_url, target_settings
from harness.gate.provenance import envelope_problem, report_problem, target_problem
from harness.gate.steps import Step, StepOutcome
from harness.processes import STOP_SECONDS, stopped_if_interrupted

LOAD_PROFILE = "smoke"


def checklist_needs_run(report: ReportFile, target: str, binding: Binding) -> bool:
    """Absent, stale (another commit, dirty, old, unsigned), or not comparable (another suite,
    a run stopped at --max-time, or not a run against `target` as the gate's checklist check
    judges it: another target, or a sandbox run that called another host than the sandbox):
    run the full checklist.

    A fresh full run on the right target that has failures is kept: re-running would hide them.
    """
    if report_problem(report, "checklist", binding) is not None:
        return True
    envelope = (report.data or {}).get("envelope") or {}
    return (
        envelope.get("suite") != "full"
        or target_problem(report, target) is not None
        or stopped_problem(report) is not None
    )


def dashboards_not_proven(report: ReportFile) -> bool:
    """The run asked no Prometheus (none was given, or none could be started): its
    handoff-dashboards item is missing, not failed. A proof that failed is kept."""
    proof = (report.data or {}).get("dashboards")
    return not isinstance(proof, Mapping) or proof.get("status") not in ("proven", "failed")


def contracts_parts_needed(report: ReportFile, binding: Binding) -> tuple[str, ...]:
    """`verify` and/or `drift`: the parts of contracts.json that are absent or stale.

    Both commands update one file, each its own part with its own envelope; a file that cannot
    be trusted at all (unreadable, broken signature) is produced again whole.
    """
    data = report.data or {}
    if data.get("kind") != "contracts" or report.signature in ("missing", "invalid"):
        return CONTRACT_PARTS
    parts = data.get("parts")
    parts = parts if isinstance(parts, Mapping) else {}
    return tuple(
        part for part in CONTRACT_PARTS if envelope_problem(parts.get(part), part, binding)
    )


def load_needs_run(report: ReportFile, binding: Binding) -> bool:
    """Absent, stale, another profile, not run where the gate's load check takes it from (a
    sandbox run that called another host than the sandbox), or not the smoke profile as the
    gate judges it (cut down, a --web run, stopped early): run it. A fresh full run that
    failed is kept."""
    if report_problem(report, "load", binding) is not None:
        return True
    if load_target_problem(report) is not None:
        return True
    data = report.data or {}
    if data.get("profile") != LOAD_PROFILE:
        return True
    shortened, not_as_run = load_run_problems(data)
    return bool(shortened) or not_as_run is not None


@dataclass(frozen=True)
class OnDisk:
    checklist: ReportFile
    contracts: ReportFile
    load: ReportFile
    twin_checklist: ReportFile | None = None  # a sandbox gate's full twin run, when needed


def twin_report_dir(report_dir: str) -> str:
    """Where a sandbox gate's full twin run writes its reports: `twin/` in the evidence dir."""
    return f"{report_dir.rstrip('/')}/twin"


def missing_steps(
    reports: OnDisk,
    *,
    target: str,
    load_target: str,
    report_dir: str,
    binding: Binding,
    prometheus_url: str | None = None,
) -> list[Step]:
    """The commands that produce what is missing or stale, in the order they should run."""
    out = ("--report-dir", report_dir)
    steps = []
    checklist = reports.checklist
    if checklist_needs_run(checklist, target, binding) or dashboards_not_proven(checklist):
        prometheus = ("--prometheus-url", prometheus_url) if prometheus_url else ()
        args = ("run", "--target", target, "--suite", "full", *out, *prometheus)
        steps.append(Step("checklist", target, args))
    twin = reports.twin_checklist
    if twin is not None and checklist_needs_run(twin, "twin", binding):
        args = ("run", "--target", "twin", "--suite", "full", "--report-dir")
        steps.append(Step("twin checklist", "twin", (*args, twin_report_dir(report_dir))))
    for part in contracts_parts_needed(reports.contracts, binding):
        steps.append(Step("contracts", "twin", ("contracts", part, *out)))
    if load_needs_run(reports.load, binding):
        args = ("load", "--profile", LOAD_PROFILE, "--target", load_target, *out)
        steps.append(Step("load", load_target, args))
    return steps


def child_environment(target: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The gate's environment without any G2A_* value but the evidence key (children sign what
    they write), plus the sandbox settings for a sandbox step."""
    env = {k: v for k, v in environ.items() if not k.startswith("G2A_") or k == EVIDENCE_KEY_ENV}
    if target == "sandbox":
        env |= target_settings("sandbox", sandbox_api_url(environ), environ)
    return env


Runner = Callable[[list[str], dict[str, str]], int]


def run_child(argv: list[str], env: dict[str, str]) -> int:
    """Run one command; its output goes to the gate's terminal. Interrupted (Ctrl-C,
    SIGTERM), the gate asks the child to stop and waits, so that it stops its own children
    (pytest, Locust) in turn rather than being killed under them."""
    sys.stdout.flush()
    child = subprocess.Popen(argv, env=env)
    with stopped_if_interrupted([child], grace_seconds=3 * STOP_SECONDS):  # its own stops first
        return child.wait()


def run_steps(
    steps: list[Step], environ: Mapping[str, str], runner: Runner = run_child
) -> tuple[StepOutcome, ...]:
    outcomes = []
    for step in steps:
        print(f"gate --run-missing: {step.command}", flush=True)
        argv = [sys.executable, "-m", "harness", *step.args]
        outcomes.append(StepOutcome(step, runner(argv, child_environment(step.target, environ))))
    return tuple(outcomes)
