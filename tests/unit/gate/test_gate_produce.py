"""`--run-missing`: which commands produce the missing or stale evidence, and with what env."""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from typing import Any

import pytest
from gate_support import (
    HEAD,
    NOW,
    checklist_report,
    contracts_report,
    envelope,
    live_environment,
    load_report,
)

from harness.gate.evidence import Binding, ReportFile
from harness.gate.produce import (
    OnDisk,
    checklist_needs_run,
    child_environment,
    contracts_parts_needed,
    missing_steps,
    run_steps,
)
from harness.gate.steps import Step, StepOutcome
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

STALE = NOW - timedelta(hours=30)
MISSING = ReportFile("x", error="missing")
BINDING = Binding(HEAD, NOW, 24.0)
OTHER_COMMIT = "feedc0de" * 5


def on_disk(
    checklist: ReportFile | None = None,
    contracts: ReportFile | None = None,
    load: ReportFile | None = None,
) -> OnDisk:
    return OnDisk(
        checklist or ReportFile("reports/checklist.json", checklist_report()),
        contracts or ReportFile("reports/contracts.json", contracts_report()),
        load or ReportFile("reports/load/load.json", load_report()),
    )


def commands(reports: OnDisk, target: str = "twin", load_target: str = "twin") -> list[str]:
    steps = missing_steps(
        reports, target=target, load_target=load_target, report_dir="ev", binding=BINDING
    )
    return [step.command for step in steps]


def test_fresh_evidence_is_kept() -> None:
    assert commands(on_disk()) == []


def test_empty_evidence_dir_runs_every_producer_in_order() -> None:
    assert commands(OnDisk(MISSING, MISSING, MISSING)) == [
        "g2a-harness run --target twin --suite full --report-dir ev",
        "g2a-harness contracts verify --report-dir ev",
        "g2a-harness contracts drift --report-dir ev",
        "g2a-harness load --profile smoke --target twin --report-dir ev",
    ]


def test_sandbox_target_runs_the_checklist_there_and_load_where_chosen() -> None:
    reports = on_disk(checklist=MISSING, load=MISSING)
    assert commands(reports, target="sandbox", load_target="sandbox") == [
        "g2a-harness run --target sandbox --suite full --report-dir ev",
        "g2a-harness load --profile smoke --target sandbox --report-dir ev",
    ]


def test_a_sandbox_gate_produces_the_sandbox_run_with_prometheus_and_the_twin_run() -> None:
    """Exactly the evidence a sandbox GO needs: the dashboards proven on the operator's
    Prometheus, and the full twin run for the items no sandbox scenario proves."""
    reports = OnDisk(MISSING, MISSING, MISSING, twin_checklist=MISSING)
    steps = missing_steps(
        reports,
        target="sandbox",
        load_target="twin",
        report_dir="ev",
        binding=BINDING,
        prometheus_url="https://prometheus.example.net",
    )
    assert [(step.evidence, step.target, step.command) for step in steps[:2]] == [
        (
            "checklist",
            "sandbox",
            "g2a-harness run --target sandbox --suite full --report-dir ev "
            "--prometheus-url https://prometheus.example.net",
        ),
        (
            "twin checklist",
            "twin",
            "g2a-harness run --target twin --suite full --report-dir ev/twin",
        ),
    ]
    fresh_twin = ReportFile("ev/twin/checklist.json", checklist_report(target="twin"))
    kept = on_disk(ReportFile("ev/checklist.json", checklist_report(target="sandbox")))
    both = OnDisk(kept.checklist, kept.contracts, kept.load, twin_checklist=fresh_twin)
    assert commands(both, target="sandbox") == []


@pytest.mark.parametrize("scheme", ["https", "HTTPS"])
def test_login_details_in_the_prometheus_url_reach_the_child_but_not_the_report(
    scheme: str,
) -> None:
    """gate.json records each command it ran: a password in `--prometheus-url` is not kept."""
    reports = OnDisk(MISSING, MISSING, MISSING)
    url = f"{scheme}://ops:s3cret-pw@prometheus.example.net/"
    (step, *_) = missing_steps(
        reports,
        target="sandbox",
        load_target="twin",
        report_dir="ev",
        binding=BINDING,
        prometheus_url=url,
    )
    assert step.args[-2:] == ("--prometheus-url", url)
    assert StepOutcome(step, 0).to_dict()["command"] == (
        "g2a-harness run --target sandbox --suite full --report-dir ev "
        "--prometheus-url 'https://<scrubbed>@prometheus.example.net/'"
    )


@pytest.mark.parametrize(
    ("dashboards", "runs"),
    [
        (None, True),
        ({"status": "not proven", "reason": "not proven: pass --prometheus-url"}, True),
        ({"status": "failed", "reason": "1 of 2 panel queries returned no data"}, False),
        ({"status": "proven"}, False),
    ],
)
def test_a_checklist_whose_dashboards_were_not_proven_is_missing(
    dashboards: dict[str, Any] | None, runs: bool
) -> None:
    """No Prometheus was asked: run again (with --prometheus-url); a proof that failed is a
    failure, kept like any other."""
    data = checklist_report(target="sandbox", dashboards=dashboards)
    reports = on_disk(ReportFile("ev/checklist.json", data))
    expected = ["g2a-harness run --target sandbox --suite full --report-dir ev"] if runs else []
    assert commands(reports, target="sandbox") == expected


@pytest.mark.parametrize(
    ("data", "error", "target", "expected"),
    [
        (None, "missing", "twin", True),
        (checklist_report(at=STALE), None, "twin", True),
        (checklist_report(envelope=envelope(suite="smoke")), None, "twin", True),
        (checklist_report(commit=OTHER_COMMIT), None, "twin", True),
        (checklist_report(envelope=envelope(dirty=True)), None, "twin", True),
        (checklist_report(), None, "sandbox", True),
        (checklist_report(), None, "twin", False),
        (checklist_report(passed=False), None, "twin", False),  # failures are kept, not re-run
    ],
)
def test_checklist_needs_run(
    data: dict[str, Any] | None, error: str | None, target: str, expected: bool
) -> None:
    report = ReportFile("reports/checklist.json", data, error)
    assert checklist_needs_run(report, target, BINDING) is expected


def test_a_sandbox_checklist_that_did_not_call_the_sandbox_is_run_again() -> None:
    """Found by the gate's audit: a sandbox run made with G2A_SANDBOX_API_URL on a local twin
    is no evidence for the sandbox (the checklist check's NO-GO), yet --run-missing kept it
    until the operator deleted it. A fresh sandbox run that called the sandbox and failed is
    still kept."""
    on_twin = envelope(target="sandbox", base_url="http://127.0.0.1:8765/v1")
    loopback = ReportFile("ev/checklist.json", checklist_report(target="sandbox", envelope=on_twin))
    assert commands(on_disk(loopback), target="sandbox") == [
        "g2a-harness run --target sandbox --suite full --report-dir ev"
    ]
    failed = ReportFile("ev/checklist.json", checklist_report(target="sandbox", passed=False))
    assert commands(on_disk(failed), target="sandbox") == []


def test_a_run_stopped_at_max_time_is_run_again() -> None:
    """Its `not run` items are no failures to keep: like a load run cut short, --run-missing
    produces the full run. A sandbox gate's twin run stopped so was kept (no dashboards proof
    is asked of it) and its NO-GO stood however often the gate ran."""
    not_run = [dict(item, status="not run") for item in checklist_report()["items"]]
    stopped = checklist_report(passed=False, stopped_after_max_time=25.0, items=not_run)
    twin = ReportFile("ev/twin/checklist.json", stopped)
    kept = on_disk(ReportFile("ev/checklist.json", checklist_report(target="sandbox")))
    reports = OnDisk(kept.checklist, kept.contracts, kept.load, twin_checklist=twin)
    assert commands(reports, target="sandbox") == [
        "g2a-harness run --target twin --suite full --report-dir ev/twin"
    ]
    assert checklist_needs_run(ReportFile("ev/checklist.json", stopped), "twin", BINDING) is True


def test_a_sandbox_load_run_that_did_not_call_the_sandbox_is_run_again() -> None:
    """The load check's NO-GO for it (`load_target_problem`) is what --run-missing mends."""
    on_twin = envelope(target="sandbox", base_url="http://127.0.0.1:8765/v1", suite="smoke")
    loopback = ReportFile("ev/load/load.json", load_report(target="sandbox", envelope=on_twin))
    sandbox = ReportFile("ev/checklist.json", checklist_report(target="sandbox"))
    assert commands(on_disk(sandbox, load=loopback), "sandbox", load_target="sandbox") == [
        "g2a-harness load --profile smoke --target sandbox --report-dir ev"
    ]


def test_a_checklist_with_a_broken_signature_is_produced_again() -> None:
    report = ReportFile("reports/checklist.json", checklist_report(), signature="invalid")
    assert checklist_needs_run(report, "twin", BINDING) is True


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (contracts_report(at=STALE), ("verify", "drift")),
        (contracts_report(commit=OTHER_COMMIT), ("verify", "drift")),
        (contracts_report(kind="load"), ("verify", "drift")),
        (contracts_report(parts={"drift": envelope(suite="drift")}), ("verify",)),
        (contracts_report(parts={"verify": envelope(suite="verify")}), ("drift",)),
        (
            contracts_report(
                parts={"verify": envelope(STALE, suite="verify"), "drift": envelope()}
            ),
            ("verify",),
        ),
        (contracts_report(pacts_verified=False, passed=False), ()),  # a fresh failure is kept
        (contracts_report(drift=["GET /v1/x undocumented"], passed=False), ()),
    ],
)
def test_contract_parts_needed(data: dict[str, Any], expected: tuple[str, ...]) -> None:
    report = ReportFile("reports/contracts.json", data)
    assert contracts_parts_needed(report, BINDING) == expected


def test_contracts_with_a_broken_signature_are_produced_whole() -> None:
    report = ReportFile("reports/contracts.json", contracts_report(), signature="missing")
    assert contracts_parts_needed(report, BINDING) == ("verify", "drift")


@pytest.mark.parametrize(
    ("data", "runs"),
    [
        (load_report(at=STALE), True),
        (load_report(profile="soak"), True),
        (load_report(commit=OTHER_COMMIT), True),
        (load_report(passed=False), False),  # a fresh SLO breach is kept
    ],
)
def test_load_needs_run(data: dict[str, Any], runs: bool) -> None:
    reports = on_disk(load=ReportFile("reports/load/load.json", data))
    assert bool(commands(reports)) is runs


LIVE = {
    **live_environment(),  # random live credentials, as a deployment's gate job has them
    "G2A_TARGET": "live",
    "PATH": "/usr/bin",
}


def test_children_never_see_the_live_settings() -> None:
    assert child_environment("twin", LIVE) == {"PATH": "/usr/bin"}


def test_children_sign_with_the_evidence_key() -> None:
    signing = {**LIVE, "G2A_EVIDENCE_KEY": "k" * 32}
    assert child_environment("twin", signing) == {"PATH": "/usr/bin", "G2A_EVIDENCE_KEY": "k" * 32}


def test_sandbox_children_get_the_sandbox_settings() -> None:
    team_key = secrets.token_hex(32)
    own = {**LIVE, "G2A_SANDBOX_API_HASH": "TeamHash", "G2A_SANDBOX_API_KEY": team_key}
    assert child_environment("sandbox", own) == {
        "PATH": "/usr/bin",
        "G2A_API_URL": "https://sandboxapi.g2a.com/v1",
        "G2A_ENV": "sandbox",
        "G2A_API_HASH": "TeamHash",
        "G2A_API_KEY": team_key,
    }
    published = child_environment("sandbox", {**LIVE, "G2A_SANDBOX_API_URL": "https://sb/v1"})
    assert (published["G2A_API_URL"], published["G2A_API_HASH"], published["G2A_API_KEY"]) == (
        "https://sb/v1",
        SANDBOX_API_HASH,
        SANDBOX_API_KEY,
    )


def test_steps_run_as_python_m_harness_children_and_report_their_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def runner(argv: list[str], env: dict[str, str]) -> int:
        calls.append((argv, env))
        return 1 if argv[3] == "load" else 0

    steps = [
        Step("contracts", "twin", ("contracts", "drift", "--report-dir", "ev")),
        Step("load", "sandbox", ("load", "--profile", "smoke", "--target", "sandbox")),
    ]
    outcomes = run_steps(steps, LIVE, runner)

    assert [argv for argv, _ in calls] == [
        [sys.executable, "-m", "harness", "contracts", "drift", "--report-dir", "ev"],
        [sys.executable, "-m", "harness", "load", "--profile", "smoke", "--target", "sandbox"],
    ]
    assert calls[0][1] == {"PATH": "/usr/bin"}
    assert calls[1][1]["G2A_ENV"] == "sandbox"
    assert [o.to_dict() for o in outcomes] == [
        {
            "evidence": "contracts",
            "command": "g2a-harness contracts drift --report-dir ev",
            "exit_code": 0,
        },
        {
            "evidence": "load",
            "command": "g2a-harness load --profile smoke --target sandbox",
            "exit_code": 1,
        },
    ]
    assert capsys.readouterr().out == (
        "gate --run-missing: g2a-harness contracts drift --report-dir ev\n"
        "gate --run-missing: g2a-harness load --profile smoke --target sandbox\n"
    )
