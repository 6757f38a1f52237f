"""`--run-missing`: produce every missing or stale report with the real `g2a-harness` commands.

Which commands are needed is decided from the reports already on disk (`missing_steps`, pure):
present and fresh evidence is kept, even when it shows failures (re-running would hide them).
Each command runs as a child process (`python -m harness ...`, from the current directory, the
checkout) writing into the evidence dir. Its environment carries the target's settings only:
the live G2A_* values the gate judges never reach a child.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.gate.checks.reports import envelope_problem
from harness.gate.evidence import ReportFile
from harness.gate.probe import sandbox_api_url, target_settings

LOAD_PROFILE = "smoke"


@dataclass(frozen=True)
class Step:
    """One command that (re)writes a piece of evidence."""

    evidence: str  # the report it writes, e.g. "contracts"
    target: str  # what the command talks to: "twin" (embedded) or "sandbox"
    args: tuple[str, ...]  # g2a-harness arguments

    @property
    def command(self) -> str:
        return shlex.join(("g2a-harness", *self.args))


@dataclass(frozen=True)
class StepOutcome:
    step: Step
    exit_code: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": self.step.evidence,
            "command": self.step.command,
            "exit_code": self.exit_code,
        }


def checklist_needs_run(report: ReportFile, target: str, now: datetime, max_age: float) -> bool:
    """Absent, stale, or not comparable (another suite or target): run the full checklist.

    A fresh full run on the right target that has failures is kept: re-running would hide them.
    """
    if envelope_problem(report, "checklist", now, max_age) is not None:
        return True
    data = report.data or {}
    return data.get("suite") != "full" or data.get("target") != target


def contracts_parts_needed(report: ReportFile, now: datetime, max_age: float) -> tuple[str, ...]:
    """`verify` and/or `drift`: the parts of contracts.json that are absent or stale.

    Both commands update one file; `verify` always records `provider_url` (also when it fails),
    `drift` sets `drift_checked`.
    """
    if envelope_problem(report, "contracts", now, max_age) is not None:
        return ("verify", "drift")
    data = report.data or {}
    parts = [] if data.get("provider_url") else ["verify"]
    return (*parts, *([] if data.get("drift_checked") is True else ["drift"]))


def load_needs_run(report: ReportFile, now: datetime, max_age: float) -> bool:
    if envelope_problem(report, "load", now, max_age) is not None:
        return True
    return (report.data or {}).get("profile") != LOAD_PROFILE


@dataclass(frozen=True)
class OnDisk:
    checklist: ReportFile
    contracts: ReportFile
    load: ReportFile


def missing_steps(
    reports: OnDisk,
    *,
    target: str,
    load_target: str,
    report_dir: str,
    now: datetime,
    max_age: float,
) -> list[Step]:
    """The commands that produce what is missing or stale, in the order they should run."""
    out = ("--report-dir", report_dir)
    steps = []
    if checklist_needs_run(reports.checklist, target, now, max_age):
        args = ("run", "--target", target, "--suite", "full", *out)
        steps.append(Step("checklist", target, args))
    for part in contracts_parts_needed(reports.contracts, now, max_age):
        steps.append(Step("contracts", "twin", ("contracts", part, *out)))
    if load_needs_run(reports.load, now, max_age):
        args = ("load", "--profile", LOAD_PROFILE, "--target", load_target, *out)
        steps.append(Step("load", load_target, args))
    return steps


def child_environment(target: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The gate's environment without any G2A_* value, plus the sandbox settings for it."""
    env = {k: v for k, v in environ.items() if not k.startswith("G2A_")}
    if target == "sandbox":
        env |= target_settings("sandbox", sandbox_api_url(environ), environ)
    return env


Runner = Callable[[list[str], dict[str, str]], int]


def run_child(argv: list[str], env: dict[str, str]) -> int:
    """Run one command; its output goes to the gate's terminal."""
    sys.stdout.flush()
    return subprocess.run(argv, env=env, check=False).returncode


def run_steps(
    steps: list[Step], environ: Mapping[str, str], runner: Runner = run_child
) -> tuple[StepOutcome, ...]:
    outcomes = []
    for step in steps:
        print(f"gate --run-missing: {step.command}", flush=True)
        argv = [sys.executable, "-m", "harness", *step.args]
        outcomes.append(StepOutcome(step, runner(argv, child_environment(step.target, environ))))
    return tuple(outcomes)
