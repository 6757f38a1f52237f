"""The shipped rules pass promtool; the dashboard is well-formed and only queries real series."""

from __future__ import annotations

import re
import subprocess

from _ops_files import (
    RULE_TESTS,
    RULES,
    dashboard_queries,
    load_dashboard,
    load_rules,
    rule_names,
)

from g2a_adapter import Metrics

# Adapter metrics added by other parts of the project that a fresh `Metrics()` may not register.
_KNOWN_ELSEWHERE = {"g2a_key_delivery_lost_total", "up"}
_RUNBOOK = re.compile(r"^specs/011-g2a-integration-audit/backend-audit\.md#runbook-[a-z0-9-]+$")


def test_promtool_checks_the_rules(promtool: str) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 15 rules found" in done.stdout


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
