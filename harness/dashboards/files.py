"""The operator files shipped in the repository's `ops/` folder and the PromQL they hold."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.project import project_root


@dataclass(frozen=True)
class OpsFiles:
    """`ops/` of a checkout: Prometheus rules (+ their promtool tests) and the Grafana dashboard."""

    root: Path = field(default_factory=lambda: project_root() / "ops")

    @property
    def rules(self) -> Path:
        return self.root / "prometheus" / "g2a-rules.yml"

    @property
    def rule_tests(self) -> Path:
        return self.root / "prometheus" / "g2a-rules.test.yml"

    @property
    def dashboard(self) -> Path:
        return self.root / "grafana" / "g2a-dashboard.json"

    def load_rules(self) -> dict[str, Any]:
        rules: dict[str, Any] = yaml.safe_load(self.rules.read_text(encoding="utf-8"))
        return rules

    def load_dashboard(self) -> dict[str, Any]:
        dashboard: dict[str, Any] = json.loads(self.dashboard.read_text(encoding="utf-8"))
        return dashboard

    def dashboard_queries(self) -> dict[str, str]:
        """Every panel's PromQL, by panel title."""
        return {
            panel["title"]: target["expr"]
            for panel in self.load_dashboard()["panels"]
            if panel["type"] != "row"
            for target in panel["targets"]
        }

    def rule_names(self, kind: str) -> list[str]:
        """The names of every `record` or `alert` rule, in file order."""
        return [
            rule[kind]
            for group in self.load_rules()["groups"]
            for rule in group["rules"]
            if kind in rule
        ]
