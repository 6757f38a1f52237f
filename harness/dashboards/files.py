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
    """`ops/` of a checkout: Prometheus rules (+ their promtool tests) and the Grafana dashboard.

    The rules are two files: `rules` for every service that embeds the adapter, and
    `receiver_rules`, the receiver's own alerts, loaded only where a receiver runs.
    """

    root: Path = field(default_factory=lambda: project_root() / "ops")

    @property
    def rules(self) -> Path:
        return self.root / "prometheus" / "g2a-rules.yml"

    @property
    def receiver_rules(self) -> Path:
        return self.root / "prometheus" / "g2a-receiver-rules.yml"

    @property
    def rule_tests(self) -> Path:
        return self.root / "prometheus" / "g2a-rules.test.yml"

    @property
    def receiver_rule_tests(self) -> Path:
        return self.root / "prometheus" / "g2a-receiver-rules.test.yml"

    @property
    def dashboard(self) -> Path:
        return self.root / "grafana" / "g2a-dashboard.json"

    def load_rules(self) -> dict[str, Any]:
        """The groups of both rule files: what a deployment running a receiver loads."""
        files = (self.rules, self.receiver_rules)
        loaded = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in files]
        return {"groups": [group for rules in loaded for group in rules["groups"]]}

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
