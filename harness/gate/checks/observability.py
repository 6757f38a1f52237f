"""Health is green against the target; the dashboards are fed (names exposed, queries answered).

The dashboards' evidence is the `dashboards` section `g2a-harness run` writes into
`checklist.json`: every panel query of ops/grafana and what a Prometheus answered to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

from harness.dashboards.proof import panel_shortfall
from harness.gate.checks.reports import check_checklist, run_command, stopped_problem
from harness.gate.evidence import Evidence, Probe
from harness.gate.model import CheckResult, Status
from harness.gate.provenance import (
    SANDBOX_API_URL,
    SANDBOX_API_URL_ENV,
    is_sandbox,
    report_problem,
)

# The names an operator's dashboard and alert rules are built on (ops/grafana, ops/prometheus;
# g2a_adapter.Metrics; the table in specs/011-g2a-integration-audit/data-model.md §5). A name
# missing here would leave a panel empty, or an alert that can never fire, without a NO-GO.
DASHBOARD_METRICS: dict[str, str] = {
    "g2a_requests_total": "counter",
    "g2a_request_retries_total": "counter",
    "g2a_request_duration_seconds": "histogram",
    "g2a_token_ttl_seconds": "gauge",
    "g2a_key_delivery_lost_total": "counter",
    "g2a_purchase_orders_abandoned_total": "counter",
    "g2a_purchases_total": "counter",
    "g2a_webhook_events_total": "counter",
    "g2a_webhook_validation_failures_total": "counter",
    "g2a_webhook_handler_threads": "gauge",
    "g2a_webhook_handler_threads_busy": "gauge",
    "g2a_webhook_deliveries_waiting": "gauge",
}
# Names a panel reads that not every receiver exports, so the gate cannot require them (their
# panels read 0 without them: `or on() vector(0)`).
OPTIONAL_DASHBOARD_METRICS: dict[str, str] = {
    "g2a_seller_calls_total": "only a receiver serving declared stock (a seller_stock) has it",
}
_HEALTHY_WORDS = {"ok", "pass", "passed", "up", "healthy", "green"}


def _unreachable(check_id: str, title: str, probe: Probe, fix: str) -> CheckResult:
    return CheckResult(
        check_id,
        title,
        Status.NO_GO,
        f"{probe.url} could not be asked: {probe.error}",
        probe.url,
        fix,
    )


def _is_healthy(value: object) -> bool:
    if isinstance(value, Mapping):
        if "ok" in value:
            return value["ok"] is True
        return str(value.get("status", "")).lower() in _HEALTHY_WORDS
    return str(value).lower() in _HEALTHY_WORDS


def _describe(name: str, value: object) -> str:
    if isinstance(value, Mapping):
        detail = value.get("error") or value.get("detail") or value.get("status")
        return f"{name} ({detail})" if detail else name
    return f"{name} ({value})"


def _sandbox_api_fix(probe: Probe) -> str:
    """Point a sandbox gate's probe back at the sandbox: undo what named the API it called."""
    if probe.api_source == "--target-url":
        undo = "drop --target-url"
    else:  # the only other source of a sandbox gate's API URL
        undo = f"unset {SANDBOX_API_URL_ENV}"
    return f"probe the real sandbox: {undo} (it calls {SANDBOX_API_URL})"


def _sandbox_probe_problem(probe: Probe) -> tuple[str, str] | None:
    """(reason, fix) when a sandbox gate's probe did not ask the sandbox and the real store."""
    if not is_sandbox(probe.api_url):
        reason = f"{probe.url}: {probe.api_url} is not the G2A sandbox ({SANDBOX_API_URL})"
        return reason, _sandbox_api_fix(probe)
    if probe.error is not None:  # no store was pinged: the probe could not be asked at all
        return None
    fix = "give the production store: --store-url URL or G2A_IDEMPOTENCY_URL in the live settings"
    if probe.store in ("", "memory"):
        reason = f"{probe.url}: only an in-memory store was pinged, not the one live will use"
        return reason, fix
    if probe.store_source != "live":
        reason = (
            f"{probe.url}: the {probe.store} store of {probe.store_source} was pinged, "
            "not the one live will use"
        )
        if probe.store_source.startswith("--store-url"):
            fix = "set G2A_IDEMPOTENCY_URL in the live settings to the production store"
        return reason, fix
    return None


def check_health(evidence: Evidence) -> CheckResult:
    check_id, title = "health", f"Health against {evidence.target}"
    probe = evidence.health
    fix = f"make `GET /healthz` green against {evidence.target}: check the credentials, "
    fix += "the token endpoint and G2A_IDEMPOTENCY_URL"
    if evidence.target == "sandbox" and (wrong := _sandbox_probe_problem(probe)):
        reason, where_fix = wrong
        return CheckResult(check_id, title, Status.NO_GO, reason, probe.url, where_fix)
    if probe.error is not None:
        return _unreachable(check_id, title, probe, fix)
    try:
        body = json.loads(probe.body)
    except ValueError:
        body = None
    checks = body.get("checks") if isinstance(body, Mapping) else None
    checks = checks if isinstance(checks, Mapping) else {}
    failing = [_describe(n, v) for n, v in checks.items() if not _is_healthy(v)]
    healthy = probe.status_code == 200 and isinstance(body, Mapping) and _is_healthy(body)
    if not healthy or failing:
        listed = ", ".join(failing) if failing else "no check named"
        reason = f"{probe.url} answered {probe.status_code}: failing {listed}"
        return CheckResult(check_id, title, Status.NO_GO, reason, probe.url, fix)
    names = ", ".join(sorted(checks)) or "overall status"
    reason = f"200 ok ({names}; {probe.store or 'unknown'} store)"
    return CheckResult(check_id, title, Status.GO, reason, probe.url)


_TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)\s*$", re.MULTILINE)


def exposed_metrics(exposition: str) -> dict[str, str]:
    """Metric name → type, exactly as declared by the `# TYPE` lines.

    The exposition must parse as Prometheus text (ValueError otherwise).
    """
    for _ in text_string_to_metric_families(exposition):
        pass
    return dict(_TYPE_LINE.findall(exposition))


def _shortfall(query: Mapping[str, object]) -> str | None:
    """Why a recorded panel query does not prove its panel fed (the harness's own rule), or
    None; a "proven" status alone is not trusted."""
    values = query.get("values")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return "no sample values recorded"
    try:
        return panel_shortfall(str(query.get("panel")), str(query.get("expr")), values)
    except ValueError:
        return "a sample value is not a number"


def _dashboards_problem(evidence: Evidence) -> tuple[str, tuple[str, ...]] | str:
    """What the checklist's dashboards evidence lacks, or (what it proves, its panel lines)."""
    report = evidence.checklist
    problem = report_problem(report, "checklist", evidence.binding)
    if problem is not None or report.data is None:
        return problem or f"{report.path} is {report.error}"
    proof = report.data.get("dashboards")
    if not isinstance(proof, Mapping):
        return f"{report.path} holds no dashboards evidence"
    listed = proof.get("queries")
    queries = [q for q in listed if isinstance(q, Mapping)] if isinstance(listed, list) else []
    raw = proof.get("prometheus")
    prometheus: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
    url, source = prometheus.get("url") or "no Prometheus", prometheus.get("source")
    if proof.get("status") != "proven":
        return f"dashboards {proof.get('status', 'not proven')}: {proof.get('reason', '')}"
    if not queries:
        return f"dashboards: no data from {url} for any panel"
    short = [f"{q.get('panel')} ({why})" for q in queries if (why := _shortfall(q)) is not None]
    if short:
        return f"dashboards: no data from {url} for {'; '.join(short)}"
    if evidence.target != "twin" and source != "prometheus-url":
        return (
            f"dashboards were proven on a Prometheus the harness started, not on one that "
            f"scrapes the {evidence.target} service"
        )
    details = tuple(f"{q.get('panel')}: {q.get('series')} series" for q in queries)
    return f"{len(queries)} panel queries answered by {url} ({source})", details


def _dashboards_fix(evidence: Evidence) -> str:
    """The checklist's own command (when both checks fail, one next step runs it: the
    checklist's fix), with what the run lacked: its end (--max-time stopped it) or, on the
    twin, a Prometheus to start. A report missing or stale, or a proof that failed, is mended
    by the run alone."""
    fix = f"run `{run_command(evidence)}`"
    report = evidence.checklist
    if report_problem(report, "checklist", evidence.binding) is not None:
        return fix
    if stopped_problem(report) is not None:
        return f"{fix} without --max-time"
    proof = (report.data or {}).get("dashboards")
    unasked = isinstance(proof, Mapping) and proof.get("status") == "not proven"
    if evidence.target == "twin" and unasked:
        return f"{fix} with `prometheus` on PATH (apt-get install -y prometheus)"
    # a checklist with failed items (the dashboards' own among them) is run again by its step
    return check_checklist(evidence).fix or fix


def check_metrics(evidence: Evidence) -> CheckResult:
    check_id, title = "metrics", "Dashboards fed"
    probe = evidence.metrics
    fix = "expose g2a_adapter.Metrics on the receiver's GET /metrics unchanged"
    if probe.error is not None:
        return _unreachable(check_id, title, probe, fix)
    if probe.status_code != 200:
        reason = f"{probe.url} answered {probe.status_code}"
        return CheckResult(check_id, title, Status.NO_GO, reason, probe.url, fix)
    try:
        exposed = exposed_metrics(probe.body)
    except ValueError as exc:
        reason = f"{probe.url} is not Prometheus text exposition ({exc})"
        return CheckResult(check_id, title, Status.NO_GO, reason, probe.url, fix)
    missing = [name for name in DASHBOARD_METRICS if name not in exposed]
    mistyped = [
        f"{name} is a {exposed[name]}, expected {kind}"
        for name, kind in DASHBOARD_METRICS.items()
        if name in exposed and exposed[name] != kind
    ]
    if missing or mistyped:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + mistyped
        reason = f"{probe.url}: {'; '.join(parts)}"
        return CheckResult(check_id, title, Status.NO_GO, reason, probe.url, fix)
    names = f"all {len(DASHBOARD_METRICS)} documented names"
    dashboards = _dashboards_problem(evidence)
    if isinstance(dashboards, str):
        fix = _dashboards_fix(evidence)
        reason = f"{names} at {probe.url}, but {dashboards}"
        return CheckResult(check_id, title, Status.NO_GO, reason, evidence.checklist.path, fix)
    proven, details = dashboards
    evidence_text = f"{probe.url}; {evidence.checklist.path}"
    reason = f"{names}; {proven}"
    return CheckResult(check_id, title, Status.GO, reason, evidence_text, details=details)
