"""Health against the target and the dashboard's metric names, from the receiver's answers."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from gate_support import checklist_report, dashboards_proof

from g2a_adapter import Metrics
from harness.gate.checks.observability import (
    DASHBOARD_METRICS,
    OPTIONAL_DASHBOARD_METRICS,
    check_health,
    check_metrics,
)
from harness.gate.checks.reports import check_checklist
from harness.gate.evidence import Evidence, Probe, ReportFile
from harness.gate.model import Status

OPS = Path(__file__).resolve().parents[3] / "ops"


def with_health(
    evidence: Evidence, status: int | None, body: object, error: str | None = None
) -> Evidence:
    text = body if isinstance(body, str) else json.dumps(body)
    probe = Probe("receiver: GET /healthz", status, text, error)
    return dataclasses.replace(evidence, health=probe)


def with_metrics(evidence: Evidence, exposition: str, status: int = 200) -> Evidence:
    return dataclasses.replace(
        evidence, metrics=Probe("receiver: GET /metrics", status, exposition)
    )


def test_green_health(clean: Evidence) -> None:
    result = check_health(clean)
    assert (result.status, result.reason) == (Status.GO, "200 ok (store, token; memory store)")


@pytest.mark.parametrize(
    ("source", "undo"),
    [
        ("--target-url", "drop --target-url"),
        # found by the gate's audit: the fix said "drop --target-url" when none was given
        ("G2A_SANDBOX_API_URL", "unset G2A_SANDBOX_API_URL"),
    ],
)
def test_a_sandbox_gate_must_probe_the_sandbox_host(
    sandbox_clean: Evidence, source: str, undo: str
) -> None:
    """The fix undoes what pointed the probe elsewhere (`Probe.api_source`)."""
    twin = dataclasses.replace(
        sandbox_clean.health, api_url="http://127.0.0.1:8765/v1", api_source=source
    )
    result = check_health(dataclasses.replace(sandbox_clean, health=twin))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "receiver: GET /healthz: http://127.0.0.1:8765/v1 is not the G2A sandbox "
        "(https://sandboxapi.g2a.com/v1)",
    )
    assert result.fix == f"probe the real sandbox: {undo} (it calls https://sandboxapi.g2a.com/v1)"


def test_a_sandbox_probe_that_could_not_be_asked_says_so(sandbox_clean: Evidence) -> None:
    """Not "is not the G2A sandbox" nor "only an in-memory store was pinged": the probe of the
    sandbox failed before it asked anything (found by the gate's audit)."""
    failed = Probe(
        "sandbox: GET /healthz",
        error="ConnectError: no route",
        api_url="https://sandboxapi.g2a.com/v1",
    )
    result = check_health(dataclasses.replace(sandbox_clean, health=failed))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "sandbox: GET /healthz could not be asked: ConnectError: no route",
    )


def test_a_sandbox_gate_must_ping_the_production_store(sandbox_clean: Evidence) -> None:
    memory = dataclasses.replace(sandbox_clean.health, store="memory")
    result = check_health(dataclasses.replace(sandbox_clean, health=memory))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "receiver: GET /healthz: only an in-memory store was pinged, not the one live will use",
    )
    assert result.fix == (
        "give the production store: --store-url URL or G2A_IDEMPOTENCY_URL in the live settings"
    )
    green = check_health(sandbox_clean)
    assert (green.status, green.reason) == (Status.GO, "200 ok (store, token; redis store)")


def test_failing_store_is_named(clean: Evidence) -> None:
    body = {
        "status": "fail",
        "checks": {"token": {"status": "ok"}, "store": {"status": "fail", "error": "timeout"}},
    }
    result = check_health(with_health(clean, 503, body))
    assert result.status is Status.NO_GO
    assert result.reason == "receiver: GET /healthz answered 503: failing store (timeout)"
    assert result.fix.startswith("make `GET /healthz` green against twin")


def test_boolean_style_checks(clean: Evidence) -> None:
    body = {"status": "degraded", "checks": {"token": {"ok": False, "detail": "AUTH02"}}}
    result = check_health(with_health(clean, 503, body))
    assert result.reason == "receiver: GET /healthz answered 503: failing token (AUTH02)"


def test_unhealthy_status_without_named_checks(clean: Evidence) -> None:
    result = check_health(with_health(clean, 500, "Internal Server Error"))
    assert result.reason == "receiver: GET /healthz answered 500: failing no check named"


def test_unreachable_target(clean: Evidence) -> None:
    result = check_health(with_health(clean, None, "", "ConnectError: refused"))
    assert result.reason == "receiver: GET /healthz could not be asked: ConnectError: refused"


def with_dashboards(
    evidence: Evidence, proof: dict[str, Any] | None, target: str = "twin"
) -> Evidence:
    """The checklist report with this `dashboards` section (None: without one)."""
    report = checklist_report(target=target, dashboards=proof)
    if proof is None:
        del report["dashboards"]
    return dataclasses.replace(
        evidence, target=target, checklist=ReportFile("reports/checklist.json", report)
    )


def test_documented_metrics_and_answered_panels_are_go(clean: Evidence) -> None:
    result = check_metrics(clean)
    assert (result.status, result.reason) == (
        Status.GO,
        "all 12 documented names; 2 panel queries answered by http://127.0.0.1:9090 (harness)",
    )
    assert result.details == ("Requests: 3 series", "Token TTL: 1 series")
    assert result.evidence == "receiver: GET /metrics; reports/checklist.json"


def test_on_sandbox_the_operators_prometheus_must_answer(clean: Evidence) -> None:
    harness = with_dashboards(clean, dashboards_proof(source="harness"), "sandbox")
    result = check_metrics(harness)
    assert result.status is Status.NO_GO
    assert result.reason == (
        "all 12 documented names at receiver: GET /metrics, but dashboards were proven on a "
        "Prometheus the harness started, not on one that scrapes the sandbox service"
    )
    assert result.fix == (  # the checklist's own fix: one next step for both
        "run `g2a-harness run --target sandbox --suite full --report-dir reports "
        "--prometheus-url URL`"
    )
    missing = ReportFile("reports/checklist.json", error="missing")
    assert result.fix == check_checklist(dataclasses.replace(harness, checklist=missing)).fix
    operators = with_dashboards(clean, dashboards_proof(source="prometheus-url"), "sandbox")
    assert check_metrics(operators).status is Status.GO


@pytest.mark.parametrize(
    ("proof", "problem"),
    [
        (None, "reports/checklist.json holds no dashboards evidence"),
        (
            {"status": "not proven", "reason": "not proven: no `prometheus` binary on PATH"},
            "dashboards not proven: not proven: no `prometheus` binary on PATH",
        ),
        (
            {"status": "failed", "reason": "1 of 2 panel queries returned no data: Token TTL"},
            "dashboards failed: 1 of 2 panel queries returned no data: Token TTL",
        ),
        (
            dashboards_proof(series=0),
            "dashboards: no data from http://127.0.0.1:9090 for Requests (no finite value for "
            "sum(rate(g2a_requests_total[5m])))",
        ),
        (  # a "proven" status is not trusted: the values are read again
            {
                **dashboards_proof(),
                "queries": [{"panel": "Requests", "expr": "e", "values": ["NaN"]}],
            },
            "dashboards: no data from http://127.0.0.1:9090 for Requests (no finite value for e)",
        ),
        (
            {
                **dashboards_proof(),
                "queries": [{"panel": "Failed order steps", "expr": "f", "values": ["0", "0"]}],
            },
            "dashboards: no data from http://127.0.0.1:9090 for Failed order steps (only zeros "
            "for f: a failure panel needs a failure counted)",
        ),
        (
            {**dashboards_proof(), "queries": [{"panel": "Requests", "expr": "e", "series": 2}]},
            "dashboards: no data from http://127.0.0.1:9090 for Requests (no sample values "
            "recorded)",
        ),
        (
            {
                **dashboards_proof(),
                "queries": [{"panel": "Requests", "expr": "e", "values": ["x"]}],
            },
            "dashboards: no data from http://127.0.0.1:9090 for Requests (a sample value is not "
            "a number)",
        ),
        (
            {**dashboards_proof(), "queries": []},
            "dashboards: no data from http://127.0.0.1:9090 for any panel",
        ),
        (
            {**dashboards_proof(), "queries": 5},  # malformed: read as no queries, no crash
            "dashboards: no data from http://127.0.0.1:9090 for any panel",
        ),
    ],
)
def test_missing_or_unproven_dashboards_are_no_go(
    clean: Evidence, proof: dict[str, Any] | None, problem: str
) -> None:
    result = check_metrics(with_dashboards(clean, proof))
    assert result.status is Status.NO_GO
    assert result.reason == f"all 12 documented names at receiver: GET /metrics, but {problem}"
    assert result.evidence == "reports/checklist.json"
    # Prometheus is named only where the run could ask none; a failed proof is a regression
    unasked = proof is not None and proof.get("status") == "not proven"
    hint = " with `prometheus` on PATH (apt-get install -y prometheus)" if unasked else ""
    assert result.fix == (
        "run `g2a-harness run --target twin --suite full --report-dir reports`" + hint
    )


RUN_AGAIN = "run `g2a-harness run --target twin --suite full --report-dir reports`"


@pytest.mark.parametrize(
    ("checklist", "fix"),
    [
        (ReportFile("reports/checklist.json", error="missing"), RUN_AGAIN),
        (
            ReportFile("reports/checklist.json", checklist_report(commit="feedc0de" * 5)),
            RUN_AGAIN,
        ),
        (
            ReportFile(
                "reports/checklist.json",
                checklist_report(
                    passed=False,
                    stopped_after_max_time=25.0,
                    dashboards={"status": "not run", "reason": "not reached (the run stopped)"},
                ),
            ),
            f"{RUN_AGAIN} without --max-time",
        ),
        (  # found walking the sandbox gate: "2. fix the failing items, then run X" "3. run X"
            ReportFile(
                "reports/checklist.json",
                checklist_report(
                    passed=False,
                    items=[
                        {**item, "status": "failed"} if item["id"] == "handoff-dashboards" else item
                        for item in checklist_report()["items"]
                    ],
                    dashboards={**dashboards_proof(), "status": "failed", "reason": "7 of 21"},
                ),
            ),
            f"fix the failing items, then {RUN_AGAIN}",
        ),
    ],
)
def test_a_checklist_to_run_again_is_one_step_not_a_prometheus_to_install(
    clean: Evidence, checklist: ReportFile, fix: str
) -> None:
    """The dashboards' fix read "... with `prometheus` on PATH (apt-get install -y prometheus)"
    for a checklist missing, of another commit or stopped at --max-time, where Prometheus is no
    cause: a second next step beside the checklist's own, which runs the same command."""
    evidence = dataclasses.replace(clean, checklist=checklist)
    result = check_metrics(evidence)
    assert (result.status, result.fix) == (Status.NO_GO, fix)
    assert result.fix == check_checklist(evidence).fix


def _exposition_without(name: str) -> str:
    """The real Metrics exposition with one family's lines removed."""
    lines = Metrics().exposition().decode().splitlines(keepends=True)
    return "".join(line for line in lines if name not in line.split("{")[0].split(" ")[:3])


def test_a_missing_metric_is_named(clean: Evidence) -> None:
    exposition = _exposition_without("g2a_key_delivery_lost_total")
    assert "g2a_requests_total" in exposition
    result = check_metrics(with_metrics(clean, exposition))
    assert result.status is Status.NO_GO
    assert result.reason == "receiver: GET /metrics: missing g2a_key_delivery_lost_total"


def test_a_metric_of_the_wrong_type(clean: Evidence) -> None:
    exposition = _exposition_without("g2a_token_ttl_seconds")
    exposition += "# HELP g2a_token_ttl_seconds x\n# TYPE g2a_token_ttl_seconds counter\n"
    result = check_metrics(with_metrics(clean, exposition))
    assert result.reason == (
        "receiver: GET /metrics: g2a_token_ttl_seconds is a counter, expected gauge"
    )


def test_metrics_endpoint_errors(clean: Evidence) -> None:
    result = check_metrics(with_metrics(clean, "not found", status=404))
    assert result.reason == "receiver: GET /metrics answered 404"
    garbage = check_metrics(with_metrics(clean, "g2a_requests_total{ 1 2 3\n"))
    assert garbage.reason.startswith("receiver: GET /metrics is not Prometheus text exposition")
    assert set(DASHBOARD_METRICS) <= set(Metrics().exposition().decode().split())


def _queried_metrics() -> set[str]:
    """The adapter's metric names that the dashboard's panels and the rules' expressions read
    (a histogram's `_bucket`/`_sum`/`_count` series under its own name)."""
    dashboard = json.loads((OPS / "grafana" / "g2a-dashboard.json").read_text())
    rules = yaml.safe_load((OPS / "prometheus" / "g2a-rules.yml").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    expressions += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    names = (re.findall(r"(?<![:\w])g2a_\w+", expr) for expr in expressions)
    return {re.sub(r"_(bucket|sum|count)$", "", name) for found in names for name in found}


def test_the_gate_requires_every_metric_the_dashboard_and_the_alerts_read() -> None:
    """But those not every receiver exports, whose panels read 0 without them."""
    assert _queried_metrics() == set(DASHBOARD_METRICS) | set(OPTIONAL_DASHBOARD_METRICS)
    assert not set(DASHBOARD_METRICS) & set(OPTIONAL_DASHBOARD_METRICS)


def test_a_probe_that_could_not_be_built_keeps_the_api_it_would_have_called(
    monkeypatch: pytest.MonkeyPatch, sandbox_clean: Evidence
) -> None:
    """Its health item says it could not be asked, not that its (unknown) API is not the
    sandbox's."""
    from harness.gate import collect

    def broken(*args: object) -> object:
        raise OSError("no free port")

    monkeypatch.setattr(collect, "probe_target", broken)
    health, metrics = collect._probe(collect.GateOptions(target="sandbox"), {}, {})

    assert (health.api_url, health.api_source) == (
        "https://sandboxapi.g2a.com/v1",
        "G2A_SANDBOX_API_URL",
    )
    assert metrics.url == "sandbox: GET /metrics"
    result = check_health(dataclasses.replace(sandbox_clean, health=health))
    assert result.reason == "sandbox: GET /healthz could not be asked: OSError: no free port"
