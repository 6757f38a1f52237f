"""Evidence written by `g2a-harness run`, `contracts verify` and `load`: bound, fresh, green.

Every report must be bound to HEAD, a clean tree, a recent time and (with the evidence key) a
valid signature (`provenance.py`); the checklist must also be the full suite run against the
gate's target, which for a sandbox gate means the sandbox host was called. The items no sandbox
scenario proves (`reach.py`) a sandbox gate takes from the full, green twin run of the same
commit (`twin/checklist.json`); every other item must pass on the sandbox run itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from harness.contracts.report import COMMITTED_FOLDERS, PART_SOURCES
from harness.gate.evidence import Evidence, ReportFile
from harness.gate.model import CheckResult, Status
from harness.gate.provenance import (
    called_problem,
    envelope_of,
    report_problem,
    target_problem,
)
from harness.load.profiles import INVARIANTS, Profile, get_profile

LOAD_TARGETS = ("twin", "sandbox")  # where `g2a-harness load` runs the smoke profile
# a smoke run's traffic (first to last request) must span at least this share of the profile's
# run time: Locust's start-up and the users' first calls cost 1 to 3 s of a 20 s run on a busy
# machine; an operator's early stop or a crowd that died costs more
MEASURED_SHARE = 0.75


def _problem(report: ReportFile, kind: str, evidence: Evidence) -> str | None:
    return report_problem(report, kind, evidence.binding)


def _failed(
    check_id: str, title: str, report: ReportFile, reason: str, fix: str, details: tuple[str, ...]
) -> CheckResult:
    return CheckResult(check_id, title, Status.NO_GO, reason, report.path, fix, details)


def run_command(evidence: Evidence) -> str:
    """The one command that writes the checklist the gate reads: on the sandbox with the
    Prometheus that scrapes the service (the dashboards item is proven nowhere else)."""
    command = (
        f"g2a-harness run --target {evidence.target} --suite full "
        f"--report-dir {evidence.evidence_dir}"
    )
    return command + (" --prometheus-url URL" if evidence.target == "sandbox" else "")


def twin_run_command(evidence: Evidence) -> str:
    """The full twin run a sandbox gate takes its twin-only items from."""
    return f"g2a-harness run --target twin --suite full --report-dir {evidence.evidence_dir}/twin"


def _entries(data: Mapping[str, Any], name: str) -> list[Any]:
    entries = data.get(name)
    return entries if isinstance(entries, list) else []


def _not_objects(path: str, name: str, entries: list[Any]) -> str | None:
    """A reason when some of a report's entries are not objects: none may be left unread."""
    odd = [entry for entry in entries if not isinstance(entry, Mapping)]
    if not odd:
        return None
    return f"{path}: {len(odd)} of the {len(entries)} {name} are not objects ({odd[0]!r})"


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _coverage_problem(path: str, ids: list[Any], project_ids: tuple[str, ...]) -> str | None:
    """A reason when the report's item ids are not the project's checklist, each once.

    A report of a subset (hand-edited, or written by another version of the checklist) must
    not read as "every item passed".
    """
    odd = [item_id for item_id in ids if not isinstance(item_id, str) or not item_id]
    if odd:
        return f"{path}: {len(odd)} item(s) without a text id ({odd[0]!r})"
    repeated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if repeated:
        return f"{path}: item(s) listed more than once ({_listed(repeated)})"
    missing = [item_id for item_id in project_ids if item_id not in ids]
    if missing:
        return (
            f"{path} lacks {len(missing)} of the checklist's {len(project_ids)} items "
            f"({_listed(missing)})"
        )
    unknown = [item_id for item_id in ids if item_id not in project_ids]
    if unknown:
        return f"{path} lists item(s) the checklist does not have ({_listed(unknown)})"
    return None


def _run_problem(
    report: ReportFile, target: str, evidence: Evidence, fix: str
) -> tuple[str, str, tuple[str, ...]] | None:
    """(reason, fix, details) when the report is not a trusted, full, green checklist run on
    `target` covering the project's checklist; None when it is."""
    problem = _problem(report, "checklist", evidence)
    if problem:
        return problem, fix, ()
    data = report.data or {}
    suite = (data.get("envelope") or {}).get("suite")
    if suite != "full":
        return f"{report.path} is a '{suite}' run; the gate needs the full suite", fix, ()
    wrong_target = target_problem(report, target)
    if wrong_target:
        return wrong_target, fix, ()
    items = _entries(data, "items")
    if not items:
        return f"{report.path} lists no items", fix, ()
    malformed = _not_objects(report.path, "items", items) or _coverage_problem(
        report.path, [item.get("id") for item in items], evidence.checklist_ids
    )
    if malformed:
        return malformed, fix, ()
    if stopped := stopped_problem(report):
        return stopped, f"{fix} without --max-time", ()
    failed = [str(i.get("id")) for i in items if i.get("status") not in ("passed", "skipped")]
    if failed or data.get("passed") is not True:
        details = tuple(
            f"{i.get('id')}: {i.get('text')}" for i in items if str(i.get("id")) in failed
        )
        listed = ", ".join(failed) if failed else "none listed, but passed is false"
        reason = f"{report.path}: {len(failed)} of {len(items)} items failed ({listed})"
        return reason, f"fix the failing items, then {fix}", details
    return None


def stopped_problem(report: ReportFile) -> str | None:
    """Why the checklist run did not run the suite to its end (`g2a-harness run --max-time`
    stopped it: the items it did not reach read `not run`, which is no failure to fix), or
    None."""
    data = report.data or {}
    items = [item for item in _entries(data, "items") if isinstance(item, Mapping)]
    not_run = [str(item.get("id")) for item in items if item.get("status") == "not run"]
    after = data.get("stopped_after_max_time")
    if after is None and not not_run:
        return None
    how = f"was stopped after --max-time {after:g} s" if _number(after) else "stopped early"
    failed = [str(item.get("id")) for item in items if item.get("status") == "failed"]
    counts = [
        f"{len(ids)} of {len(items)} items {word} ({_listed(ids)})"
        for word, ids in (("not run", not_run), ("failed", failed))
        if ids
    ]
    what = f": {', '.join(counts)}" if counts else ""
    return f"{report.path} {how}{what}; the gate needs the full suite run to its end"


def _from_twin(evidence: Evidence) -> frozenset[str]:
    """The items a sandbox gate takes from the full twin run instead of the sandbox run."""
    return evidence.twin_only if evidence.target == "sandbox" else frozenset()


def check_checklist(evidence: Evidence) -> CheckResult:
    check_id, title = "checklist", "Full checklist on the target"
    report, fix = evidence.checklist, f"run `{run_command(evidence)}`"
    problem = _run_problem(report, evidence.target, evidence, fix)
    if problem:
        return _failed(check_id, title, report, *problem)
    items = _entries(report.data or {}, "items")
    skipped_ids = [str(i.get("id")) for i in items if i.get("status") == "skipped"]
    by_gate = [f"{i} ({evidence.gate_items[i]})" for i in skipped_ids if i in evidence.gate_items]
    skipped = [i for i in skipped_ids if i not in evidence.gate_items]
    passed = len(items) - len(skipped_ids)
    reason = f"{passed} of {len(items)} items passed on {evidence.target}"
    if by_gate:
        reason += f"; decided by this gate: {', '.join(by_gate)}"
    from_twin = [i for i in skipped if i in _from_twin(evidence)]
    if from_twin:
        reason += f"; no sandbox scenario proves (see the twin run): {', '.join(from_twin)}"
    # the twin may leave only the items it cannot prove (sandbox-only targets or hosts)
    required = [
        i
        for i in skipped
        if i not in from_twin and (evidence.target == "sandbox" or i not in evidence.sandbox_only)
    ]
    if required:
        reason += f"; {len(required)} required item(s) skipped ({', '.join(required)})"
        fix = f"make the skipped items run on the {evidence.target}, then {fix}"
        return _failed(check_id, title, report, reason, fix, ())
    left = [i for i in skipped if i not in from_twin]
    if left:
        reason += f"; left for the sandbox run: {', '.join(left)}"
    return CheckResult(check_id, title, Status.GO, reason, report.path)


def check_twin_items(evidence: Evidence) -> CheckResult:
    """A sandbox gate's twin-only items (`reach.py`) passed on the full twin run of this
    commit, a green run bound like every report; the sandbox run proves all the others."""
    check_id, title = "twin-items", "Items only the twin can prove, on the full twin run"
    report = evidence.twin_checklist
    if evidence.target != "sandbox":
        reason = f"{evidence.checklist.path} is the full twin run itself (see the checklist)"
        return CheckResult(check_id, title, Status.GO, reason, evidence.checklist.path)
    if evidence.twin_only_error is not None:
        reason = f"which items no sandbox scenario proves is unknown: {evidence.twin_only_error}"
        fix = "run the gate from the repository checkout (its features/ folder)"
        return _failed(check_id, title, report, reason, fix, ())
    if not evidence.twin_only:
        reason = "a sandbox scenario proves every item: no twin run is needed"
        return CheckResult(check_id, title, Status.GO, reason, report.path)
    fix = f"run `{twin_run_command(evidence)}`"
    problem = _run_problem(report, "twin", evidence, fix)
    if problem:
        return _failed(check_id, title, report, *problem)
    status = {str(i.get("id")): i.get("status") for i in _entries(report.data or {}, "items")}
    needed = sorted(evidence.twin_only)
    unproven = [i for i in needed if status.get(i) != "passed"]
    if unproven:
        reason = (
            f"{report.path}: {len(unproven)} item(s) no sandbox scenario proves did not pass "
            f"on the twin either ({', '.join(unproven)})"
        )
        fix = f"make them run on the twin, then {fix}"
        return _failed(check_id, title, report, reason, fix, ())
    reason = f"{len(needed)} item(s) no sandbox scenario proves passed on the twin run: "
    return CheckResult(check_id, title, Status.GO, reason + ", ".join(needed), report.path)


def _drift_line(entry: object) -> str:
    if isinstance(entry, Mapping):
        where = " ".join(str(entry[k]) for k in ("operation", "kind", "field") if entry.get(k))
        detail = f": {entry['detail']}" if entry.get("detail") else ""
        source = f" ({entry['source']})" if entry.get("source") else ""
        return f"{where}{detail}{source}" or str(dict(entry))
    return str(entry)


def check_contracts(evidence: Evidence) -> CheckResult:
    check_id, title = "contracts", "Contracts verified, no drift"
    report, directory = evidence.contracts, evidence.evidence_dir
    verify = f"`g2a-harness contracts verify --report-dir {directory}`"
    drift_cmd = f"`g2a-harness contracts drift --report-dir {directory}`"
    problem = _problem(report, "contracts", evidence)
    if problem:
        return _failed(check_id, title, report, problem, f"run {verify} and {drift_cmd}", ())
    data = report.data or {}
    drift = data.get("drift")
    if not isinstance(drift, list):
        reason = f"{report.path}: 'drift' is {drift!r}, not the list of differences found"
        return _failed(check_id, title, report, reason, f"run {drift_cmd}", ())
    drift_list = [_drift_line(d) for d in drift]
    if drift_list:
        reason = f"{report.path} reports drift in {len(drift_list)} place(s)"
        fix = f"bring the OpenAPI documents, pacts and the twin back in line, then run {drift_cmd}"
        return _failed(check_id, title, report, reason, fix, tuple(drift_list))
    if data.get("pacts_verified") is not True:
        reason = f"{report.path}: the pacts were not verified against the provider"
        return _failed(check_id, title, report, reason, f"run {verify}", ())
    if data.get("drift_checked") is not True:
        reason = f"{report.path}: no drift check was run (drift_checked is not true)"
        return _failed(check_id, title, report, reason, f"run {drift_cmd}", ())
    if data.get("passed") is not True:
        reason = f"{report.path}: passed is false"
        return _failed(check_id, title, report, reason, f"run {verify} and {drift_cmd}", ())
    if other := _other_sources(report.path, data, evidence.committed_contracts):
        fix = (
            f"from a clean checkout, run {verify} and {drift_cmd} "
            "without --pacts/--openapi/--cassettes"
        )
        return _failed(check_id, title, report, other, fix, ())
    provider = data.get("provider_url") or data.get("target")
    return CheckResult(
        check_id, title, Status.GO, f"pacts verified against {provider}, no drift", report.path
    )


def _other_sources(
    path: str, data: Mapping[str, Any], committed: Mapping[str, str | None]
) -> str | None:
    """Why a part did not read the contract folders committed at HEAD (another, smaller set of
    pacts verifies just as green), or None."""
    sources = data.get("sources")
    sources = sources if isinstance(sources, Mapping) else {}
    for part, names in PART_SOURCES.items():
        read = sources.get(part)
        read = read if isinstance(read, Mapping) else {}
        for name in names:
            folder = COMMITTED_FOLDERS[name]
            record = read.get(name)
            if not isinstance(record, Mapping) or not isinstance(record.get("sha256"), str):
                return f"{path}: the {part} part does not record the {name} it read"
            if committed.get(name) is None:
                return f"{path}: no {name} committed at HEAD ({folder}) to compare {part} with"
            if record["sha256"] != committed[name]:
                return (
                    f"{path}: the {part} part read the {name} of {record.get('dir')} "
                    f"({record.get('files')} file(s)), not those committed at HEAD in {folder}"
                )
    return None


def check_load(evidence: Evidence) -> CheckResult:
    check_id, title = "load", "Smoke load profile met its SLOs"
    report = evidence.load
    fix = f"run `g2a-harness load --profile smoke --report-dir {evidence.evidence_dir}`"
    problem = _problem(report, "load", evidence)
    if problem:
        return _failed(check_id, title, report, problem, fix, ())
    data = report.data or {}
    if data.get("profile") != "smoke":
        reason = f"{report.path} is the '{data.get('profile')}' profile, the gate reads 'smoke'"
        return _failed(check_id, title, report, reason, fix, ())
    if wrong_target := load_target_problem(report):
        return _failed(check_id, title, report, wrong_target, fix, ())
    shortened, not_as_run = load_run_problems(data)
    if shortened:
        reason = f"{report.path} ran the smoke profile cut down ({shortened})"
        fix += " without --users/--spawn-rate/--run-time"
        return _failed(check_id, title, report, reason, fix, ())
    if not_as_run:
        reason = f"{report.path} {not_as_run}"
        return _failed(check_id, title, report, reason, f"{fix} (headless, to its end)", ())
    slos = _entries(data, "slos")
    if not slos:
        return _failed(check_id, title, report, f"{report.path} lists no SLOs", fix, ())
    checks = _entries(data, "invariants")
    malformed = _not_objects(report.path, "SLOs", slos) or _not_objects(
        report.path, "invariants", checks
    )
    if malformed:
        return _failed(check_id, title, report, malformed, fix, ())
    unchecked = [name for name in INVARIANTS if name not in {c.get("name") for c in checks}]
    if unchecked:
        reason = f"{report.path}: invariant(s) not checked ({', '.join(unchecked)})"
        return _failed(check_id, title, report, reason, fix, ())
    breached = [s for s in slos if s.get("passed") is not True]
    invariants = [str(c.get("name")) for c in checks if c.get("passed") is not True]
    if breached or invariants or data.get("passed") is not True:
        details = tuple(
            f"SLO {s.get('name')}: actual {s.get('actual')} vs target {s.get('target')}"
            for s in breached
        ) + tuple(f"invariant {name} broken" for name in invariants)
        names = [str(s.get("name")) for s in breached] + invariants
        listed = ", ".join(names) if names else "passed is false"
        reason = f"{report.path}: smoke profile failed ({listed})"
        fix = f"find the regression (see the SLO details), then {fix}"
        return _failed(check_id, title, report, reason, fix, details)
    return CheckResult(
        check_id,
        title,
        Status.GO,
        f"{len(slos)} SLOs met and {len(checks)} invariants held in the smoke profile",
        report.path,
    )


def load_target_problem(report: ReportFile) -> str | None:
    """Why the load run's target is not the twin or the sandbox it says it called; the
    sandbox's smaller crowd is judged only when the sandbox host was called."""
    ran_on = envelope_of(report).get("target")
    if ran_on not in LOAD_TARGETS:
        return (
            f"{report.path} was run against '{ran_on}'; the load profile runs on the twin "
            "or the sandbox"
        )
    return called_problem(report)


def load_run_problems(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """Why a smoke load report cannot be judged: how it was cut down (empty if it was not),
    and how it did not run as the profile says (None if it did)."""
    smoke = _smoke_on(data)
    return _shortened(data, smoke), _not_as_run(data, smoke)


def _smoke_on(data: Mapping[str, Any]) -> Profile:
    """The smoke profile as the load layer runs it on the report's target (the sandbox's polite
    crowd and the throughput it is judged by)."""
    smoke = get_profile("smoke")
    if (data.get("envelope") or {}).get("target") == "sandbox":
        return smoke.for_target("sandbox")
    return smoke


def _number(value: object) -> TypeGuard[int | float]:
    """A JSON number (a bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shortened(data: Mapping[str, Any], smoke: Profile) -> str:
    """How a load report's run was set up short of the smoke profile (fewer users, a slower
    ramp, less time)."""
    short = []
    needs = (
        ("users", smoke.users),
        ("spawn_rate", smoke.spawn_rate),
        ("run_time_s", smoke.run_time_s),
    )
    for field, needed in needs:
        ran = data.get(field)
        if not _number(ran) or ran < needed:
            short.append(f"{field} {ran!r}, the profile's {needed}")
    return "; ".join(short)


def _not_as_run(data: Mapping[str, Any], smoke: Profile) -> str | None:
    """Why the run the report measured is not the smoke profile run headless to its end."""
    measured = data.get("measured")
    if "web" not in data or not isinstance(measured, Mapping):
        return (
            "does not record what ran (no 'web' flag or 'measured' block): it was written "
            "by an older g2a-harness load"
        )
    if data["web"] is not False:
        return f"is a --web run (web {data['web']!r}): its crowd and end were the operator's"
    duration, peak = measured.get("duration_s"), measured.get("peak_users")
    needed = MEASURED_SHARE * smoke.run_time_s
    if not _number(duration) or duration < needed:
        return (
            f"measured a run of {duration!r} s, under {MEASURED_SHARE:.0%} of the profile's "
            f"{smoke.run_time_s} s ({needed:g} s)"
        )
    if not _number(peak) or peak < smoke.users:
        return f"measured at most {peak!r} users at once, the profile's {smoke.users}"
    return None
