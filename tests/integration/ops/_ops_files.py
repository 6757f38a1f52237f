"""This checkout's operator files (ops/), read through the harness's one reader."""

from __future__ import annotations

from pathlib import Path

from harness.dashboards.files import OpsFiles

OPS = OpsFiles(Path(__file__).resolve().parents[3] / "ops")
RULES, RULE_TESTS, DASHBOARD = OPS.rules, OPS.rule_tests, OPS.dashboard
RECEIVER_RULES, RECEIVER_RULE_TESTS = OPS.receiver_rules, OPS.receiver_rule_tests
load_rules, load_dashboard = OPS.load_rules, OPS.load_dashboard
dashboard_queries, rule_names = OPS.dashboard_queries, OPS.rule_names
