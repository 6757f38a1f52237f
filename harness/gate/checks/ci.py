"""Lint, build and every test layer are green for this commit (checklist item handoff-green).

The evidence is the CI record `reports/ci/ci.json` that `.ci/run` writes after tox: its
envelope binds it to a commit, and it lists the sha256 of tox's `--result-json` and of each
tested layer's junit file. The check reads their content: each layer ran tox.ini's commands
at HEAD and passed, tox itself recorded the commit each layer ran on, and the store suites ran
on Redis and PostgreSQL instead of skipping. Whatever tox.ini says, each layer must run its
tool (`toxresult.REQUIRED_COMMANDS`) and each tested layer's junit file must show tests run,
none skipped (a CI=true run skips none), and at least as many as the layer's folders commit at
HEAD (`floors`: a narrowed tox.ini or deselected tests fall short). Anything unproven is a no-go.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from harness.gate.evidence import CiRun, Evidence, JunitCounts, ReportFile
from harness.gate.floors import LayerFloor, floor_problem
from harness.gate.junit import STORE_BACKENDS, junit_name
from harness.gate.model import CheckResult, Status
from harness.gate.provenance import report_problem, short
from harness.gate.toxresult import (
    LAYERS,
    TESTED_LAYERS,
    TOX_RESULT,
    Command,
    LayerRun,
    command_mismatch,
    layer_runs,
    missing_commands,
)

ID = "ci"
TITLE = "CI: lint, build and every test layer"
ITEM = "handoff-green"
CI_COMMAND = "`CI=true bash .ci/run` on a clean checkout of this commit (CI: the `layers` job)"


def _no_go(ci: CiRun, reason: str, details: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(ID, TITLE, Status.NO_GO, reason, ci.path, f"run {CI_COMMAND}", details)


def _file_problem(report: ReportFile, name: str, recorded: Mapping[str, object]) -> str | None:
    if report.error is not None:
        return f"{report.path} is {report.error}"
    if recorded.get(name) != report.sha256:
        return f"{report.path} is not the file the CI record lists (sha256 differs)"
    return None


def _layer_problem(
    run: LayerRun | None, layer: str, head: str, expected: tuple[Command, ...]
) -> str | None:
    if run is None:
        return f"{layer}: not in the run"
    if run.skipped:
        return f"{layer}: skipped"
    failed = run.failed_commands()
    if not run.success or failed:
        ran = f": {'; '.join(failed)}" if failed else ""
        return f"{layer}: failed (exit {run.exit_code}){ran}"
    stamp = run.stamp or {}
    if str(stamp.get("commit", "")).lower() != head.lower():
        return f"{layer}: tox recorded commit {short(stamp.get('commit'))}, HEAD is {short(head)}"
    if stamp.get("dirty") is not False:
        return f"{layer}: ran on a dirty tree"
    return command_mismatch(run, expected)


def _tests_problem(layer: str, counts: JunitCounts | None) -> str | None:
    """Why the layer's junit file does not show every test run and passed, or None.

    Under CI=true a test the machine cannot run fails instead of skipping
    (`tests/machine_support.require`): a real CI run skips none, so any skip is refused.
    """
    if counts is None:
        return f"{layer}: no junit file"
    if counts.tests == 0:
        return f"{layer}: no test ran"
    if counts.skipped:
        return (
            f"{layer}: {counts.skipped} of {counts.tests} test(s) skipped "
            "(a CI=true run skips none: was CI=true set?)"
        )
    if counts.failed:
        return f"{layer}: {counts.failed} test(s) failed"
    return None


def _backend_problems(counts: Mapping[str, JunitCounts]) -> list[str]:
    problems = []
    for backend in STORE_BACKENDS:
        ran = sum(c.backends.get(backend, (0, 0))[0] for c in counts.values())
        skipped = sum(c.backends.get(backend, (0, 0))[1] for c in counts.values())
        if skipped:
            problems.append(f"{skipped} {backend} store test(s) skipped (CI=true requires them)")
        elif not ran:
            problems.append(f"no {backend} store test ran")
    return problems


def check_ci(evidence: Evidence) -> CheckResult:
    ci, head = evidence.ci, evidence.binding.head or ""
    problem = report_problem(ci.record, "ci", evidence.binding)
    if problem:
        return _no_go(ci, f"{ITEM} is not proven: {problem}")
    exit_code = (ci.record.data or {}).get("tox_exit_code")
    if exit_code != 0:
        return _no_go(ci, f"{ITEM} is not proven: {ci.path} says tox exited {exit_code}")
    recorded = (ci.record.data or {}).get("files")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    tox_problem = _file_problem(ci.tox, TOX_RESULT, recorded)
    if tox_problem:
        return _no_go(ci, f"{ITEM} is not proven: {tox_problem}")
    try:
        runs = layer_runs(ci.tox.data or {})
    except ValueError as exc:
        return _no_go(ci, f"{ITEM} is not proven: {ci.tox.path} is {exc}")
    if ci.layer_commands is None:
        return _no_go(ci, f"{ITEM} is not proven: {ci.commands_error}")
    if ci.floors is None:
        reason = f"the tests committed at HEAD cannot be counted ({ci.floors_error})"
        return _no_go(ci, f"{ITEM} is not proven: {reason}")
    commands, floors = ci.layer_commands, ci.floors
    problems = [
        problem
        for layer in LAYERS
        if (problem := _layer_problem(runs.get(layer), layer, head, commands[layer]))
    ]
    problems += [
        f"{run.name}: failed (exit {run.exit_code})"
        for run in runs.values()
        if run.name not in LAYERS and not run.success and not run.skipped
    ]
    problems += [
        problem for layer in LAYERS for problem in missing_commands(layer, commands[layer])
    ]
    for layer in TESTED_LAYERS:
        shown = str(PurePath(ci.path).parent / junit_name(layer))
        report = ci.junit.get(layer) or ReportFile(shown, error="missing")
        file_problem = _file_problem(report, junit_name(layer), recorded)
        counts = ci.counts.get(layer) or JunitCounts()
        tests_problem = (
            file_problem
            or _tests_problem(layer, ci.counts.get(layer))
            or floor_problem(layer, counts.tests, counts.names, floors.get(layer, LayerFloor()))
        )
        problems += [tests_problem] if tests_problem else []
    problems += _backend_problems(ci.counts)
    if problems:
        reason = f"{ci.path}: {len(problems)} problem(s) ({problems[0]})"
        return _no_go(ci, reason, tuple(problems))
    ran = sum(c.tests - c.skipped for c in ci.counts.values())
    reason = (
        f"all {len(LAYERS)} layers green ({', '.join(LAYERS)}) on {short(head)}, "
        f"{ran} tests ran, none skipped, store suites run on {' and '.join(STORE_BACKENDS)}"
    )
    return CheckResult(ID, TITLE, Status.GO, reason, ci.path)
