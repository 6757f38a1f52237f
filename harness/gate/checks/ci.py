"""Lint, build and every test layer are green for this commit (checklist item handoff-green).

The evidence is tox's `--result-json` of the CI run plus the commit it ran on. Unproven (no
result, or a green one not tied to HEAD) is a warning; disproven (a layer red, missing,
skipped or narrowed, or the run was for another commit) is a no-go.
"""

from __future__ import annotations

from harness.gate.evidence import CiRun, Evidence
from harness.gate.model import CheckResult, Status
from harness.gate.toxresult import LAYERS, LayerRun, command_mismatch, layer_runs

ID = "ci"
TITLE = "CI: lint, build and every test layer"
ITEM = "handoff-green"
_MIN_COMMIT_CHARS = 7


def ci_command(ci: CiRun) -> str:
    return f"`git rev-parse HEAD > {ci.commit_path} && tox --result-json {ci.path}`"


def same_commit(recorded: str, head: str) -> bool:
    recorded, head = recorded.lower(), head.lower()
    return len(recorded) >= _MIN_COMMIT_CHARS and head.startswith(recorded)


def _layer_problem(ci: CiRun, layer: str, run: LayerRun | None) -> str | None:
    if run is None:
        return f"{layer}: not in the run"
    if run.skipped:
        return f"{layer}: skipped"
    failed = run.failed_commands()
    if not run.success or failed:
        ran = f": {'; '.join(failed)}" if failed else ""
        return f"{layer}: failed (exit {run.exit_code}){ran}"
    if ci.layer_commands is not None:
        return command_mismatch(run, ci.layer_commands[layer])
    return None


def _no_go(ci: CiRun, reason: str, fix: str, details: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(ID, TITLE, Status.NO_GO, reason, ci.path, fix, details)


def check_ci(evidence: Evidence) -> CheckResult:
    ci = evidence.ci
    run_all = f"run every layer on this commit: {ci_command(ci)} (or pass --ci-report PATH)"
    if ci.error == "missing":
        return CheckResult(
            ID,
            TITLE,
            Status.WARN,
            f"{ITEM} is not proven: {ci.path} is missing, no CI result was given",
            ci.path,
            run_all,
        )
    if ci.data is None:
        return _no_go(ci, f"{ci.path} is {ci.error}", run_all)
    try:
        runs = layer_runs(ci.data)
    except ValueError as exc:
        return _no_go(ci, f"{ci.path} is {exc}", run_all)
    if ci.commit is not None and ci.head is not None and not same_commit(ci.commit, ci.head):
        reason = f"{ci.path} is the run of commit {ci.commit[:12]}, HEAD is {ci.head[:12]}"
        return _no_go(ci, reason, run_all)
    problems = [
        problem
        for layer in LAYERS
        if (problem := _layer_problem(ci, layer, runs.get(layer))) is not None
    ]
    problems += [
        f"{run.name}: failed (exit {run.exit_code})"
        for run in runs.values()
        if run.name not in LAYERS and not run.success and not run.skipped
    ]
    if problems:
        reason = f"{ci.path}: {len(problems)} layer(s) not green ({problems[0]})"
        fix = f"make every layer green on this commit, then {ci_command(ci)}"
        return _no_go(ci, reason, fix, tuple(problems))
    green = f"all {len(LAYERS)} layers green ({', '.join(LAYERS)})"
    unproven = []
    if ci.commit is None:
        unproven.append(f"not tied to a commit: {ci.commit_path} is missing")
    elif ci.head is None:
        unproven.append("the repository's HEAD is unknown")
    if ci.layer_commands is None:
        unproven.append(f"commands not compared with tox.ini: {ci.commands_error}")
    if unproven:
        return CheckResult(
            ID,
            TITLE,
            Status.WARN,
            f"{ITEM} is not proven: {green}, but {'; '.join(unproven)}",
            ci.path,
            run_all,
        )
    head = ci.head or ""
    return CheckResult(ID, TITLE, Status.GO, f"{green} on HEAD {head[:12]}", ci.path)
