"""The shipped rules pass promtool; the dashboard is well-formed and only queries real series."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from _ops_files import (
    RULE_TESTS,
    RULES,
    dashboard_queries,
    load_dashboard,
    load_rules,
    rule_names,
)

from g2a_adapter import Metrics
from g2a_adapter.client import RETRYABLE_STATUSES
from g2a_adapter.receiver import DELIVERY_REJECTIONS
from harness.dashboards.proof import FAILURE_PANELS

# Adapter metrics added by other parts of the project that a fresh `Metrics()` may not register.
_KNOWN_ELSEWHERE = {"g2a_key_delivery_lost_total", "up"}
_RUNBOOK = re.compile(r"^specs/011-g2a-integration-audit/backend-audit\.md#runbook-[a-z0-9-]+$")


def test_promtool_checks_the_rules(promtool: str) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 16 rules found" in done.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    done = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_is_unit_tested_and_links_its_runbook() -> None:
    tests = RULE_TESTS.read_text()
    alerts = [r for g in load_rules()["groups"] for r in g["rules"] if "alert" in r]
    assert {a["alert"] for a in alerts} == set(rule_names("alert"))
    for alert in alerts:
        assert f"alertname: {alert['alert']}" in tests, alert["alert"]
        assert _RUNBOOK.match(alert["annotations"]["runbook_url"]), alert["alert"]


def test_runbook_anchors_exist_in_the_audit() -> None:
    audit = (RULES.parents[2] / "specs/011-g2a-integration-audit/backend-audit.md").read_text()
    anchors = set(re.findall(r'<a id="(runbook-[a-z0-9-]+)"></a>', audit))
    linked = {
        r["annotations"]["runbook_url"].split("#", 1)[1]
        for g in load_rules()["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert linked <= anchors, linked - anchors


def test_dashboard_has_one_row_per_area_and_a_query_per_panel() -> None:
    panels = load_dashboard()["panels"]
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Outbound calls to G2A", "Tokens", "Purchases", "Webhooks", "Idempotency store"]
    assert all(expr.strip() for expr in dashboard_queries().values())
    assert len(dashboard_queries()) == len(panels) - len(rows)
    assert len({p["id"] for p in panels}) == len(panels)


def test_queries_name_only_adapter_metrics_or_recording_rules() -> None:
    exported = {m.name for m in Metrics().registry.collect()}
    families = {f"{name}{suffix}" for name in exported for suffix in ("", "_total", "_bucket")}
    recorded = set(rule_names("record"))
    rule_exprs = [r["expr"] for g in load_rules()["groups"] for r in g["rules"]]
    for expr in [*dashboard_queries().values(), *rule_exprs]:
        for name in re.findall(r"\b(g2a_[a-z_]+|[a-z]+:g2a_[a-z0-9_:]+|up)\b(?=[{\[\s)])", expr):
            assert name in families | recorded | _KNOWN_ELSEWHERE, (name, expr)


def _alert_expr(name: str) -> str:
    rules = [rule for group in load_rules()["groups"] for rule in group["rules"]]
    return next(rule["expr"] for rule in rules if rule.get("alert") == name)


def test_retries_exhausted_matches_what_the_adapter_retries() -> None:
    expr = _alert_expr("G2ARetriesExhausted")
    (statuses,) = re.findall(r'status=~"([^"]+)"', expr)
    assert set(statuses.split("|")) == {str(status) for status in RETRYABLE_STATUSES} | {"none"}
    # Counted as the request panels count (first failures, resets, staleness-safe).
    assert "series:g2a_requests:increase5m{" in expr
    assert "g2a_requests_total" not in expr


def test_no_rule_uses_an_instant_offset_to_tell_new_series() -> None:
    """A failed scrape writes staleness markers: an instant `x offset W` is then empty and
    `x unless x offset W` counts lifetime values W later. Only range selectors may be offset."""
    for group in load_rules()["groups"]:
        for rule in group["rules"]:
            offsets = re.findall(r"(\S+)\s+offset\s+\d+[smhd]", rule["expr"])
            assert all(before.endswith("]") for before in offsets), (rule, offsets)


def test_webhook_rejections_alert_watches_deliveries_not_seller_tokens() -> None:
    (reasons,) = re.findall(r'reason=~"([^"]+)"', _alert_expr("G2AWebhookRejectionsSpiking"))
    assert reasons.split("|") == list(DELIVERY_REJECTIONS)


def test_failure_panels_are_dashboard_panels() -> None:
    assert set(dashboard_queries()) >= FAILURE_PANELS


# What the adapter exports: every `Metrics()` has handler-thread gauges at 0; the token TTL
# comes from clients that hold an Import API token (0 once it expired); a failed order create is
# a series born at 1.
_EXPORTED = {
    'g2a_token_ttl_seconds{job="g2a-service",instance="svc:1"}': "250x10",
    'g2a_token_ttl_seconds{job="g2a-service",instance="svc:2"}': "0x10",
    'g2a_webhook_handler_threads{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_webhook_handler_threads_busy{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_webhook_handler_threads{job="g2a-receiver",instance="rcv:1"}': "4x10",
    'g2a_webhook_handler_threads_busy{job="g2a-receiver",instance="rcv:1"}': "1x10",
    'g2a_requests_total{method="POST",route="/v1/order",status="500",outcome="outcome_unknown"}': (
        "_x3 1x7"
    ),
    'g2a_webhook_events_total{type="order.paid",result="handler_failed"}': "0x3 1x7",
    'g2a_webhook_events_total{type="order.paid",result="store_unavailable"}': "0x10",
}
_PANEL_ANSWERS = {
    "Token TTL left": [("{}", 0)],  # an expired token shows, as its runbook expects
    "Receiver handler threads busy": [('{instance="rcv:1"}', 0.25)],
    "Failed order steps": [('{route="/v1/order",outcome="outcome_unknown"}', 1)],
    "Events failed in the handler or store": [
        ('{result="handler_failed"}', 1),
        ('{result="store_unavailable"}', 0),
    ],
}


def test_panels_read_what_the_adapter_exports(promtool: str, tmp_path: Path) -> None:
    queries = dashboard_queries()
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in _EXPORTED.items()],
                "promql_expr_test": [
                    {
                        "expr": queries[panel],
                        "eval_time": "5m",
                        "exp_samples": [{"labels": ls, "value": v} for ls, v in answers],
                    }
                    for panel, answers in _PANEL_ANSWERS.items()
                ],
            }
        ],
    }
    path = tmp_path / "panels.test.yml"
    path.write_text(yaml.safe_dump(test), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
