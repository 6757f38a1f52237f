"""This checkout's operator files (ops/), read through the harness's one reader."""

from __future__ import annotations

from pathlib import Path

from harness.dashboards.files import OpsFiles

OPS = OpsFiles(Path(__file__).resolve().parents[3] / "ops")
RULES, RULE_TESTS, DASHBOARD = OPS.rules, OPS.rule_tests, OPS.dashboard
load_rules, load_dashboard = OPS.load_rules, OPS.load_dashboard
dashboard_queries, rule_names = OPS.dashboard_queries, OPS.rule_names
