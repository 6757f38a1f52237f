"""The shipped operator files (ops/) and the PromQL they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

OPS = Path(__file__).resolve().parents[3] / "ops"
RULES = OPS / "prometheus" / "g2a-rules.yml"
RULE_TESTS = OPS / "prometheus" / "g2a-rules.test.yml"
DASHBOARD = OPS / "grafana" / "g2a-dashboard.json"


def load_rules() -> dict[str, Any]:
    rules: dict[str, Any] = yaml.safe_load(RULES.read_text())
    return rules


def load_dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return dashboard


def dashboard_queries() -> dict[str, str]:
    """Every panel's PromQL, by panel title."""
    return {
        panel["title"]: target["expr"]
        for panel in load_dashboard()["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    }


def rule_names(kind: str) -> list[str]:
    """The names of every `record` or `alert` rule, in file order."""
    return [
        rule[kind] for group in load_rules()["groups"] for rule in group["rules"] if kind in rule
    ]
