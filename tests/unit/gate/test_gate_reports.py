"""Checklist, contracts and load evidence: each single defect is a no-go with its exact reason.

Every report is bound by its envelope (commit, clean tree, finish time, target and host) and,
with the evidence key, by its signature; those rules are shared (`provenance.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gate_support import (
    CONTRACT_FILES,
    HEAD,
    NOW,
    SANDBOX_URL,
    checklist_report,
    contract_folders,
    contracts_report,
    envelope,
    load_report,
    target_url,
)

from harness.gate.checks.reports import (
    check_checklist,
    check_contracts,
    check_load,
    check_twin_items,
)
from harness.gate.evidence import Binding, Evidence, ReportFile
from harness.gate.model import Status
from harness.gate.provenance import hours
from harness.gate.sources import read_report
from harness.load.profiles import get_profile

BY_GATE = "decided by this gate: handoff-green (ci), handoff-live-switch (live-switch)"
RUN = "run `g2a-harness run --target twin --suite full --report-dir reports`"


def item(report: dict, item_id: str) -> dict:
    """The entry of checklist item `item_id` in a checklist report."""
    return next(entry for entry in report["items"] if entry["id"] == item_id)


def with_contracts(evidence: Evidence, data: dict) -> Evidence:
    return dataclasses.replace(evidence, contracts=ReportFile("reports/contracts.json", data))


def with_checklist(
    evidence: Evidence, data: dict | None, error: str | None = None, signature: str = "unsigned"
) -> Evidence:
    report = ReportFile("reports/checklist.json", data, error, signature=signature)
    return dataclasses.replace(evidence, checklist=report)


def aged(evidence: Evidence, max_age_hours: float) -> Evidence:
    return dataclasses.replace(
        evidence, binding=dataclasses.replace(evidence.binding, max_age_hours=max_age_hours)
    )


def test_clean_checklist_is_go(clean: Evidence) -> None:
    result = check_checklist(clean)
    assert (result.status, result.reason) == (
        Status.GO,
        f"29 of 31 items passed on twin; {BY_GATE}",
    )
    assert result.evidence == "reports/checklist.json"


def test_missing_checklist(clean: Evidence) -> None:
    result = check_checklist(with_checklist(clean, None, "missing"))
    assert result.status is Status.NO_GO
    assert result.reason == "reports/checklist.json is missing"
    assert result.fix == RUN


def test_stale_checklist_names_age_and_command(clean: Evidence) -> None:
    old = checklist_report(at=NOW - timedelta(hours=31))
    result = check_checklist(with_checklist(clean, old))
    assert result.status is Status.NO_GO
    assert result.reason == "reports/checklist.json is 31 h old (max 24 h)"
    assert result.fix == RUN


def test_max_age_is_configurable(clean: Evidence) -> None:
    old = checklist_report(at=NOW - timedelta(hours=3))
    evidence = aged(with_checklist(clean, old), 2.5)
    assert check_checklist(evidence).reason == "reports/checklist.json is 3 h old (max 2.5 h)"
    assert check_checklist(aged(evidence, 4)).status is Status.GO


def test_checklist_from_the_future_is_refused(clean: Evidence) -> None:
    ahead = checklist_report(at=NOW + timedelta(hours=1))
    result = check_checklist(with_checklist(clean, ahead))
    assert result.reason == "reports/checklist.json is dated in the future (2026-11-27T13:00:00Z)"


def test_failed_item_is_named(clean: Evidence) -> None:
    data = checklist_report(passed=False)
    item(data, "ops-idempotent-processing")["status"] = "failed"
    result = check_checklist(with_checklist(clean, data))
    assert result.status is Status.NO_GO
    assert result.reason == (
        "reports/checklist.json: 1 of 31 items failed (ops-idempotent-processing)"
    )
    assert result.details == (
        "ops-idempotent-processing: " + item(data, "ops-idempotent-processing")["text"],
    )
    assert result.fix == f"fix the failing items, then {RUN}"


def test_passed_false_without_failed_items_is_still_no_go(clean: Evidence) -> None:
    result = check_checklist(with_checklist(clean, checklist_report(passed=False)))
    assert result.reason == (
        "reports/checklist.json: 0 of 31 items failed (none listed, but passed is false)"
    )


def stopped_run(not_run: tuple[str, ...] = (), failed: tuple[str, ...] = ()) -> dict:
    """checklist.json as `g2a-harness run --max-time 25` writes it: the items whose evidence
    it did not reach read `not run`, and the run is not passed."""
    data = checklist_report(passed=False, stopped_after_max_time=25.0)
    for item_id in not_run:
        item(data, item_id)["status"] = "not run"
    for item_id in failed:
        item(data, item_id)["status"] = "failed"
    return data


def test_a_run_stopped_at_max_time_is_named_so_not_read_as_failed_items(clean: Evidence) -> None:
    """It read "2 of 31 items failed (...)" with "fix the failing items": none had failed."""
    data = stopped_run(not_run=("ops-idempotent-processing", "handoff-dashboards"))
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason, result.details) == (
        Status.NO_GO,
        "reports/checklist.json was stopped after --max-time 25 s: 2 of 31 items not run "
        "(ops-idempotent-processing, handoff-dashboards); the gate needs the full suite run to "
        "its end",
        (),
    )
    assert result.fix == f"{RUN} without --max-time"


def test_a_stopped_run_names_its_failures_too(clean: Evidence) -> None:
    data = stopped_run(not_run=("handoff-dashboards",), failed=("test-unit-mappers",))
    assert check_checklist(with_checklist(clean, data)).reason == (
        "reports/checklist.json was stopped after --max-time 25 s: 1 of 31 items not run "
        "(handoff-dashboards), 1 of 31 items failed (test-unit-mappers); the gate needs the full "
        "suite run to its end"
    )


def test_a_stopped_run_whose_items_all_had_evidence_is_still_no_go(clean: Evidence) -> None:
    """The run stopped after the last item's evidence: tests still did not run."""
    result = check_checklist(with_checklist(clean, stopped_run()))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json was stopped after --max-time 25 s; the gate needs the full "
        "suite run to its end",
    )


def test_items_not_run_in_a_report_that_passed_are_no_go(clean: Evidence) -> None:
    """A full run's item reads `not run` only when the run stopped: never evidence."""
    data = checklist_report()
    item(data, "ops-idempotent-processing")["status"] = "not run"
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json stopped early: 1 of 31 items not run "
        "(ops-idempotent-processing); the gate needs the full suite run to its end",
    )


def test_a_stopped_twin_run_is_named_so_by_a_sandbox_gate(sandbox_clean: Evidence) -> None:
    stopped = stopped_run(not_run=("test-unit-retry-policy",))
    twin = ReportFile("reports/twin/checklist.json", stopped)
    result = check_twin_items(dataclasses.replace(sandbox_clean, twin_checklist=twin))
    assert (result.status, result.reason, result.fix) == (
        Status.NO_GO,
        "reports/twin/checklist.json was stopped after --max-time 25 s: 1 of 31 items not run "
        "(test-unit-retry-policy); the gate needs the full suite run to its end",
        "run `g2a-harness run --target twin --suite full --report-dir reports/twin` "
        "without --max-time",
    )


def test_wrong_target(clean: Evidence) -> None:
    evidence = dataclasses.replace(clean, target="sandbox")
    result = check_checklist(evidence)
    assert result.status is Status.NO_GO
    assert result.reason == (
        "reports/checklist.json was run against 'twin', the gate target is 'sandbox'"
    )
    assert result.fix == (
        "run `g2a-harness run --target sandbox --suite full --report-dir reports "
        "--prometheus-url URL`"
    )


def test_the_target_is_read_from_the_envelope_not_the_report_s_own_field(
    clean: Evidence,
) -> None:
    relabelled = checklist_report(target="twin")
    relabelled["target"] = "sandbox"  # edited by hand; the envelope still says twin
    result = check_checklist(
        dataclasses.replace(with_checklist(clean, relabelled), target="sandbox")
    )
    assert result.reason == (
        "reports/checklist.json was run against 'twin', the gate target is 'sandbox'"
    )


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8765",
        "http://twin.internal:8765/v1",
        "http://sandboxapi.g2a.com/v1",  # a twin answering under the sandbox's name
        "https://sandboxapi.g2a.com:8443/v1",
    ],
)
def test_a_sandbox_label_over_another_url_is_refused(clean: Evidence, base_url: str) -> None:
    data = checklist_report(target="sandbox")
    data["envelope"] = envelope(target="sandbox", base_url=base_url)
    result = check_checklist(dataclasses.replace(with_checklist(clean, data), target="sandbox"))
    assert result.status is Status.NO_GO
    assert result.reason == (
        f"reports/checklist.json called {base_url}, "
        "not the G2A sandbox (https://sandboxapi.g2a.com/v1)"
    )


def test_a_sandbox_run_that_called_the_sandbox_is_go(clean: Evidence) -> None:
    data = checklist_report(target="sandbox")
    assert data["envelope"]["base_url"] == SANDBOX_URL
    result = check_checklist(dataclasses.replace(with_checklist(clean, data), target="sandbox"))
    assert (result.status, result.reason) == (
        Status.GO,
        f"29 of 31 items passed on sandbox; {BY_GATE}",
    )


def test_smoke_suite_is_not_enough(clean: Evidence) -> None:
    data = checklist_report(envelope=envelope(suite="smoke"))
    result = check_checklist(with_checklist(clean, data))
    assert result.reason == "reports/checklist.json is a 'smoke' run; the gate needs the full suite"


def test_a_full_run_narrowed_by_tags_is_not_the_full_suite(clean: Evidence) -> None:
    data = checklist_report(envelope=envelope(suite="full-tags-smoke"))
    result = check_checklist(with_checklist(clean, data))
    assert result.reason == (
        "reports/checklist.json is a 'full-tags-smoke' run; the gate needs the full suite"
    )


def test_evidence_of_another_commit_names_both_commits(clean: Evidence) -> None:
    data = checklist_report(commit="0123456789abcdef0123456789abcdef01234567")
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"reports/checklist.json was produced at commit 0123456789ab, "
        f"the repository is at {HEAD[:12]}",
    )
    assert result.fix == RUN


def test_evidence_of_a_dirty_tree_is_refused(clean: Evidence) -> None:
    data = checklist_report(envelope=envelope(dirty=True))
    result = check_checklist(with_checklist(clean, data))
    assert result.reason == (
        f"reports/checklist.json was produced from a dirty tree "
        f"(uncommitted changes at {HEAD[:12]})"
    )


def test_evidence_without_an_envelope_is_refused(clean: Evidence) -> None:
    data = checklist_report()
    del data["envelope"]
    result = check_checklist(with_checklist(clean, data))
    assert result.reason == (
        "reports/checklist.json has no evidence envelope (written by an older harness?)"
    )


def test_without_a_known_head_nothing_is_bound(clean: Evidence) -> None:
    evidence = dataclasses.replace(clean, binding=Binding(None, NOW, 24.0))
    assert check_checklist(evidence).reason == (
        "reports/checklist.json cannot be bound to a commit: the repository's HEAD is unknown"
    )


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (
            "missing",
            "has no signature (G2A_EVIDENCE_KEY is set: every report must be signed)",
        ),
        (
            "invalid",
            "has a broken signature (edited after it was written, or signed with another key)",
        ),
    ],
)
def test_a_missing_or_broken_signature_is_refused(
    clean: Evidence, signature: str, reason: str
) -> None:
    result = check_checklist(with_checklist(clean, checklist_report(), signature=signature))
    assert (result.status, result.reason) == (Status.NO_GO, f"reports/checklist.json {reason}")


def test_a_valid_signature_is_go(clean: Evidence) -> None:
    result = check_checklist(with_checklist(clean, checklist_report(), signature="valid"))
    assert result.status is Status.GO


def test_unreadable_and_foreign_reports(clean: Evidence) -> None:
    broken = with_checklist(clean, None, "unreadable: JSONDecodeError")
    assert check_checklist(broken).reason == "reports/checklist.json is unreadable: JSONDecodeError"
    foreign = with_checklist(clean, contracts_report())
    assert check_checklist(foreign).reason == (
        "reports/checklist.json is not a checklist report (kind='contracts')"
    )
    naive = with_checklist(
        clean, checklist_report(envelope=envelope(finished_at="2026-11-27T12:00:00"))
    )
    assert check_checklist(naive).reason == (
        "reports/checklist.json has no valid finished_at (ISO 8601 with a time zone)"
    )


def test_items_proven_by_the_gate_itself_are_not_warnings(clean: Evidence) -> None:
    data = checklist_report()
    assert item(data, "handoff-live-switch")["status"] == "skipped"
    item(data, "handoff-sandbox-smoke")["status"] = "skipped"  # as every twin run leaves it
    evidence = dataclasses.replace(
        with_checklist(clean, data),
        gate_items={"handoff-live-switch": "live-switch", "handoff-green": "ci"},
    )
    result = check_checklist(evidence)
    assert (result.status, result.reason) == (
        Status.GO,
        "28 of 31 items passed on twin; decided by this gate: handoff-green (ci), "
        "handoff-live-switch (live-switch); left for the sandbox run: handoff-sandbox-smoke",
    )


def test_only_sandbox_only_items_are_left_for_the_sandbox_in_a_rehearsal(clean: Evidence) -> None:
    assert clean.sandbox_only == {"handoff-sandbox-smoke"}  # targets/hosts: the sandbox only
    data = checklist_report()
    item(data, "handoff-sandbox-smoke")["status"] = "skipped"
    result = check_checklist(with_checklist(clean, data))
    assert result.status is Status.GO
    assert result.reason == (
        f"28 of 31 items passed on twin; {BY_GATE}; left for the sandbox run: handoff-sandbox-smoke"
    )


def test_a_skipped_item_the_twin_can_prove_blocks_a_rehearsal(clean: Evidence) -> None:
    """Skipped items a twin run could have proven are not "left for the sandbox": a rehearsal
    that ran 2 of 31 items is a no-go naming the others."""
    data = checklist_report()
    for entry in data["items"][2:]:
        if entry["status"] == "passed":
            entry["status"] = "skipped"
    result = check_checklist(with_checklist(clean, data))
    assert result.status is Status.NO_GO
    skipped = [e["id"] for e in data["items"][2:] if e["id"] not in clean.gate_items]
    required = [i for i in skipped if i != "handoff-sandbox-smoke"]
    assert result.reason == (
        f"2 of 31 items passed on twin; {BY_GATE}; {len(required)} required item(s) skipped "
        f"({', '.join(required)})"
    )
    assert result.fix == f"make the skipped items run on the twin, then {RUN}"


def test_a_skipped_required_item_blocks_a_sandbox_go(clean: Evidence) -> None:
    data = checklist_report(target="sandbox")
    item(data, "test-int-token")["status"] = "skipped"
    result = check_checklist(dataclasses.replace(with_checklist(clean, data), target="sandbox"))
    assert result.status is Status.NO_GO
    assert result.reason == (
        f"28 of 31 items passed on sandbox; {BY_GATE}; 1 required item(s) skipped (test-int-token)"
    )


def test_contracts_drift(clean: Evidence) -> None:
    drift = [
        {
            "operation": "GET /v1/products",
            "kind": "missing_in_pact",
            "field": "minPrice",
            "detail": "documented in OpenAPI, absent from every pact",
            "source": "contracts/openapi/export.yaml",
        },
        "POST /v1/order: 409 not documented",
    ]
    report = ReportFile("reports/contracts.json", contracts_report(drift=drift, passed=False))
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert result.status is Status.NO_GO
    assert result.reason == "reports/contracts.json reports drift in 2 place(s)"
    assert result.details == (
        "GET /v1/products missing_in_pact minPrice: documented in OpenAPI, absent from every "
        "pact (contracts/openapi/export.yaml)",
        "POST /v1/order: 409 not documented",
    )
    assert result.fix.endswith("then run `g2a-harness contracts drift --report-dir reports`")


def test_contracts_not_verified(clean: Evidence) -> None:
    report = ReportFile("reports/contracts.json", contracts_report(pacts_verified=False))
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert result.reason == (
        "reports/contracts.json: the pacts were not verified against the provider"
    )
    assert result.fix == "run `g2a-harness contracts verify --report-dir reports`"


@pytest.mark.parametrize("drift_checked", [False, None, "yes", 1])
def test_contracts_without_a_drift_check(clean: Evidence, drift_checked: object) -> None:
    data = contracts_report(drift_checked=drift_checked)
    if drift_checked is None:
        del data["drift_checked"]  # a report that does not say is not a drift check
    report = ReportFile("reports/contracts.json", data)
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/contracts.json: no drift check was run (drift_checked is not true)",
    )
    assert result.fix == "run `g2a-harness contracts drift --report-dir reports`"


def test_each_contracts_part_is_bound_on_its_own(clean: Evidence) -> None:
    data = contracts_report()
    data["parts"]["drift"] = envelope(NOW - timedelta(hours=30), suite="drift")
    report = ReportFile("reports/contracts.json", data)
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert result.reason == "reports/contracts.json (drift part) is 30 h old (max 24 h)"
    del data["parts"]["verify"]
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert result.reason == (
        "reports/contracts.json (verify part) has no evidence envelope (written by an older "
        "harness?)"
    )


def test_missing_contracts(clean: Evidence) -> None:
    report = ReportFile("reports/contracts.json", error="missing")
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert result.reason == "reports/contracts.json is missing"
    assert result.fix == (
        "run `g2a-harness contracts verify --report-dir reports` and "
        "`g2a-harness contracts drift --report-dir reports`"
    )


def test_clean_contracts_and_load_are_go(clean: Evidence) -> None:
    contracts, load = check_contracts(clean), check_load(clean)
    assert (contracts.status, contracts.reason) == (
        Status.GO,
        "pacts verified against http://127.0.0.1:8765, no drift",
    )
    assert (load.status, load.reason) == (
        Status.GO,
        "2 SLOs met and 3 invariants held in the smoke profile",
    )


@pytest.mark.parametrize(
    ("target", "crowd", "shown"),
    [
        ("twin", {"spawn_rate": 1.0}, "spawn_rate 1.0, the profile's 6.0"),
        ("twin", {"spawn_rate": None}, "spawn_rate None, the profile's 6.0"),
        ("twin", {"users": 3, "spawn_rate": 1.0}, "users 3, the profile's 6; spawn_rate 1.0, "),
        ("sandbox", {"users": 3, "spawn_rate": 0.5}, "spawn_rate 0.5, the profile's 1.0"),
    ],
)
def test_a_slower_ramp_is_not_the_smoke_profile(
    clean: Evidence, target: str, crowd: dict[str, Any], shown: str
) -> None:
    data = load_report(**crowd)
    data["envelope"] = envelope(suite="smoke", target=target, base_url=target_url(target))
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert result.status is Status.NO_GO
    assert f"ran the smoke profile cut down ({shown}" in result.reason
    assert result.fix.endswith(" without --users/--spawn-rate/--run-time")


def test_the_sandbox_cap_of_the_load_layer_is_the_smoke_profile_there(clean: Evidence) -> None:
    """On the sandbox the load layer caps the crowd (3 users, 1 per second): still smoke."""
    polite = get_profile("smoke").for_target("sandbox")
    data = load_report(
        users=polite.users,
        spawn_rate=polite.spawn_rate,
        measured={"duration_s": 19.2, "peak_users": polite.users},
    )
    data["envelope"] = envelope(suite="smoke", target="sandbox", base_url=SANDBOX_URL)
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert (polite.users, polite.spawn_rate) == (3, 1.0)
    assert result.status is Status.GO


OLDER_REPORT = (
    "does not record what ran (no 'web' flag or 'measured' block): it was written by an older "
    "g2a-harness load"
)


@pytest.mark.parametrize(
    ("ran", "reason"),
    [
        ({"web": True}, "is a --web run (web True): its crowd and end were the operator's"),
        ({"web": None}, "is a --web run (web None): its crowd and end were the operator's"),
        (
            {"measured": {"duration_s": 8.0, "peak_users": 6}},
            "measured a run of 8.0 s, under 75% of the profile's 20 s (15 s)",
        ),
        (
            {"measured": {"duration_s": 14.9, "peak_users": 6}},
            "measured a run of 14.9 s, under 75% of the profile's 20 s (15 s)",
        ),
        (
            {"measured": {"duration_s": True, "peak_users": 6}},
            "measured a run of True s, under 75% of the profile's 20 s (15 s)",
        ),
        (
            {"measured": {"duration_s": 19.5, "peak_users": 2}},
            "measured at most 2 users at once, the profile's 6",
        ),
        (
            {"measured": {"duration_s": 19.5, "peak_users": None}},
            "measured at most None users at once, the profile's 6",
        ),
        ({"measured": None}, OLDER_REPORT),
        ({"web": "missing"}, OLDER_REPORT),
    ],
)
def test_a_load_run_is_judged_by_what_ran_not_what_it_declared(
    clean: Evidence, ran: dict[str, Any], reason: str
) -> None:
    """--web lets the operator change the crowd or stop early; load.json still declares the
    profile's users and run time. Reports of older versions, without the record, are no-go."""
    data = {**load_report(), **ran}
    if data["web"] == "missing":
        del data["web"]
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert (result.status, result.reason) == (Status.NO_GO, f"reports/load/load.json {reason}")
    assert result.fix == (
        "run `g2a-harness load --profile smoke --report-dir reports` (headless, to its end)"
    )


def test_a_run_of_75_percent_of_the_run_time_is_the_full_run(clean: Evidence) -> None:
    """Locust's start-up and the users' first calls cost a few seconds of a 20 s run."""
    data = load_report(measured={"duration_s": 15.0, "peak_users": 6})
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert result.status is Status.GO


def test_contracts_read_from_other_folders_than_the_committed_ones(clean: Evidence) -> None:
    """A verification of a smaller pact set (`--pacts DIR`) is green too: the gate needs the
    pacts, documents and cassettes committed at HEAD."""
    smaller = {k: v for k, v in CONTRACT_FILES.items() if not k.endswith("import-api.json")}
    data = contracts_report()
    data["sources"]["verify"]["pacts"] = {
        **contract_folders(smaller)["pacts"],
        "dir": "/tmp/minipacts",
    }
    result = check_contracts(with_contracts(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/contracts.json: the verify part read the pacts of /tmp/minipacts (1 file(s)), "
        "not those committed at HEAD in contracts/pacts",
    )
    assert "without --pacts/--openapi/--cassettes" in result.fix
    data = contracts_report()
    data["sources"]["drift"]["cassettes"] = contract_folders({})["cassettes"]
    result = check_contracts(with_contracts(clean, data))
    assert result.reason == (
        "reports/contracts.json: the drift part read the cassettes of tests/cassettes "
        "(0 file(s)), not those committed at HEAD in tests/cassettes"
    )


@pytest.mark.parametrize("part", ["verify", "drift"])
def test_contracts_that_do_not_say_what_they_read_are_no_go(clean: Evidence, part: str) -> None:
    data = contracts_report()
    del data["sources"][part]
    result = check_contracts(with_contracts(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"reports/contracts.json: the {part} part does not record the pacts it read"
        if part == "verify"
        else "reports/contracts.json: the drift part does not record the openapi it read",
    )


def test_contracts_of_a_repository_without_committed_pacts_are_no_go(clean: Evidence) -> None:
    committed = {**clean.committed_contracts, "pacts": None}
    result = check_contracts(dataclasses.replace(clean, committed_contracts=committed))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/contracts.json: no pacts committed at HEAD (contracts/pacts) to compare "
        "verify with",
    )


def test_load_slo_breach(clean: Evidence) -> None:
    data = load_report(passed=False)
    data["slos"][0] = {"name": "p99_latency_ms", "target": 250, "actual": 912.5, "passed": False}
    report = ReportFile("reports/load/load.json", data)
    result = check_load(dataclasses.replace(clean, load=report))
    assert result.status is Status.NO_GO
    assert result.reason == "reports/load/load.json: smoke profile failed (p99_latency_ms)"
    assert result.details == ("SLO p99_latency_ms: actual 912.5 vs target 250",)


def test_load_broken_invariant(clean: Evidence) -> None:
    data = load_report()
    data["invariants"][1]["passed"] = False
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert result.reason == "reports/load/load.json: smoke profile failed (webhooks_exactly_once)"
    assert result.details == ("invariant webhooks_exactly_once broken",)


def test_missing_load(clean: Evidence) -> None:
    report = ReportFile("reports/load/load.json", error="missing")
    result = check_load(dataclasses.replace(clean, load=report))
    assert result.reason == "reports/load/load.json is missing"
    assert result.fix == "run `g2a-harness load --profile smoke --report-dir reports`"


def test_load_of_another_commit(clean: Evidence) -> None:
    report = ReportFile("reports/load/load.json", load_report(commit="feedc0de" * 5))
    result = check_load(dataclasses.replace(clean, load=report))
    assert result.reason == (
        f"reports/load/load.json was produced at commit feedc0defeed, "
        f"the repository is at {HEAD[:12]}"
    )


def test_other_load_profile(clean: Evidence) -> None:
    report = ReportFile("reports/load/load.json", load_report(profile="soak"))
    result = check_load(dataclasses.replace(clean, load=report))
    assert result.reason == "reports/load/load.json is the 'soak' profile, the gate reads 'smoke'"


@pytest.mark.parametrize(("value", "text"), [(31.0, "31 h"), (2.5, "2.5 h"), (0.04, "0 h")])
def test_hours_format(value: float, text: str) -> None:
    assert hours(value) == text


def test_the_gate_knows_which_checklist_item_it_proves() -> None:
    from harness.gate.collect import gate_items

    assert gate_items() == {"handoff-green": "ci", "handoff-live-switch": "live-switch"}


def test_a_host_edited_without_its_base_url_is_refused(clean: Evidence) -> None:
    data = checklist_report(target="sandbox")
    data["envelope"] = envelope(target="sandbox", host="sandboxapi.g2a.com")  # base_url: twin
    result = check_checklist(dataclasses.replace(with_checklist(clean, data), target="sandbox"))
    assert result.reason == (
        "reports/checklist.json: its envelope's host and base_url disagree (edited by hand?)"
    )


def test_an_item_whose_status_is_not_a_word_is_a_failed_item(clean: Evidence) -> None:
    data = checklist_report()
    item(data, "env-required")["status"] = ["passed"]  # malformed: not a crash, not a pass
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json: 1 of 31 items failed (env-required)",
    )


def test_an_slo_entry_that_is_not_an_object_is_not_counted_as_met(clean: Evidence) -> None:
    data = load_report()
    data["slos"].append("x")
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/load/load.json: 1 of the 3 SLOs are not objects ('x')",
    )


def test_a_checklist_item_that_is_not_an_object_is_not_skipped(clean: Evidence) -> None:
    data = checklist_report()
    data["items"].append(7)
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json: 1 of the 32 items are not objects (7)",
    )


def test_a_checklist_that_lists_only_some_items_is_not_a_go(clean: Evidence) -> None:
    data = checklist_report()
    data["items"] = [entry for entry in data["items"] if entry["id"].startswith("env-")]
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json lacks 24 of the checklist's 31 items (ops-log-fields, "
        "ops-metrics-counters, ops-metrics-latency, ops-metrics-token-ttl, "
        "ops-metrics-webhook-failures and 19 more)",
    )
    assert result.fix == RUN


def test_a_checklist_with_an_item_the_project_does_not_have_is_not_a_go(clean: Evidence) -> None:
    data = checklist_report()
    data["items"].append({**item(data, "env-path"), "id": "env-retired"})
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json lists item(s) the checklist does not have (env-retired)",
    )


def test_an_item_listed_twice_is_not_a_go(clean: Evidence) -> None:
    data = checklist_report()
    data["items"].append({**item(data, "test-e2e"), "status": "failed"})
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/checklist.json: item(s) listed more than once (test-e2e)",
    )


@pytest.mark.parametrize("odd_id", [None, 7, ""])
def test_an_item_without_a_text_id_is_not_a_go(clean: Evidence, odd_id: object) -> None:
    data = checklist_report()
    item(data, "test-e2e")["id"] = odd_id
    result = check_checklist(with_checklist(clean, data))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"reports/checklist.json: 1 item(s) without a text id ({odd_id!r})",
    )


@pytest.mark.parametrize("drift", [None, "none", {"GET /v1/products": "minPrice"}, 0])
def test_a_drift_that_is_not_a_list_is_not_read_as_no_drift(clean: Evidence, drift: object) -> None:
    report = ReportFile("reports/contracts.json", contracts_report(drift=drift))
    result = check_contracts(dataclasses.replace(clean, contracts=report))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"reports/contracts.json: 'drift' is {drift!r}, not the list of differences found",
    )
    assert result.fix == "run `g2a-harness contracts drift --report-dir reports`"


@pytest.mark.parametrize(
    ("invariants", "unchecked"),
    [
        ([], "no_double_payment, webhooks_exactly_once, forgeries_rejected"),
        (None, "no_double_payment, webhooks_exactly_once, forgeries_rejected"),
        (
            [{"name": "no_double_payment", "passed": True}],
            "webhooks_exactly_once, forgeries_rejected",
        ),
    ],
)
def test_a_load_report_must_check_every_invariant(
    clean: Evidence, invariants: object, unchecked: str
) -> None:
    data = load_report(invariants=invariants)
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"reports/load/load.json: invariant(s) not checked ({unchecked})",
    )


def test_an_invariant_that_is_not_an_object_is_not_a_go(clean: Evidence) -> None:
    data = load_report()
    data["invariants"].append("no_double_payment")
    result = check_load(dataclasses.replace(clean, load=ReportFile("reports/load/load.json", data)))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/load/load.json: 1 of the 4 invariants are not objects ('no_double_payment')",
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{", "unreadable: JSONDecodeError"),
        (b"\xff\xfe", "unreadable: UnicodeDecodeError"),
        (b"[]", "unreadable: not a JSON object"),
        pytest.param(b"[" * 20_000 + b"]" * 20_000, "unreadable: RecursionError", id="too-deep"),
    ],
)
def test_a_report_that_is_not_a_json_object_is_unreadable_not_a_crash(
    tmp_path: Path, raw: bytes, error: str
) -> None:
    path = tmp_path / "checklist.json"
    path.write_bytes(raw)
    found = read_report(path, "reports/checklist.json")
    assert (found.data, found.error) == (None, error)
    assert found.sha256 == hashlib.sha256(raw).hexdigest()


def with_load(evidence: Evidence, data: dict[str, Any]) -> Evidence:
    return dataclasses.replace(evidence, load=ReportFile("reports/load/load.json", data))


SANDBOX_CROWD: dict[str, Any] = {
    "users": 3,
    "spawn_rate": 1.0,
    "measured": {"duration_s": 19.0, "peak_users": 3},
}


@pytest.mark.parametrize(
    ("label", "base_url", "overrides", "reason"),
    [
        (
            "sandbox",
            "http://127.0.0.1:8765/v1",
            SANDBOX_CROWD,  # the polite sandbox crowd, but the twin on loopback was called
            "reports/load/load.json called http://127.0.0.1:8765/v1, not the G2A sandbox "
            "(https://sandboxapi.g2a.com/v1)",
        ),
        (
            "live",
            "https://api.g2a.com/v1",
            {},
            "reports/load/load.json was run against 'live'; the load profile runs on the twin "
            "or the sandbox",
        ),
        (
            "twin",
            "http://127.0.0.1:8765/v1",
            {"envelope_host": "sandboxapi.g2a.com"},
            "reports/load/load.json: its envelope's host and base_url disagree (edited by hand?)",
        ),
    ],
)
def test_a_load_run_is_judged_by_the_host_it_called(
    clean: Evidence, label: str, base_url: str, overrides: dict[str, Any], reason: str
) -> None:
    extra = {k: v for k, v in overrides.items() if k != "envelope_host"}
    host = {"host": overrides["envelope_host"]} if "envelope_host" in overrides else {}
    data = load_report(
        **extra, envelope=envelope(target=label, base_url=base_url, suite="smoke", **host)
    )
    result = check_load(with_load(clean, data))
    assert (result.status, result.reason) == (Status.NO_GO, reason)
