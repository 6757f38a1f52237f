"""The `handoff-dashboards` evidence: which dashboard queries returned data, from which Prometheus.

Against a real target the operator names the Prometheus that scrapes the service
(`g2a-harness run --prometheus-url URL`); on the twin the harness starts one itself, scraping a
service it drives through faults (`drill`). Without either the item is "not proven", never passed.
The proof is written into `checklist.json` (`dashboards`) and read by the gate.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from g2a_adapter import G2AError
from harness.checklist import RunResult
from harness.dashboards.drill import DrillError, deliver, drill_services, drive
from harness.dashboards.files import OpsFiles
from harness.dashboards.prometheus import (
    INSTALL_HINT,
    PrometheusError,
    eventually,
    fast_rules,
    find_prometheus,
    prometheus_version,
    query,
    running_prometheus,
    scraped_jobs,
)
from harness.twin.server import running_twin

ProofStatus = Literal["proven", "failed", "not proven"]
Source = Literal["harness", "prometheus-url"]
NODE = "prometheus:dashboards"
_SOURCE_WORDS = {
    "harness": "a Prometheus started by g2a-harness scraping a service that drives the twin",
    "prometheus-url": "the Prometheus given with --prometheus-url",
}
_TWIN_WAIT_S = 30.0


@dataclass(frozen=True)
class QueryOutcome:
    panel: str
    expr: str
    series: int = 0
    error: str | None = None


@dataclass(frozen=True)
class DashboardProof:
    status: ProofStatus
    reason: str
    prometheus_url: str = ""
    source: Source | None = None
    version: str = ""
    scraped_jobs: tuple[str, ...] = ()
    queries: tuple[QueryOutcome, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "prometheus": {
                "url": self.prometheus_url,
                "source": self.source,
                "version": self.version,
            },
            "scraped_jobs": list(self.scraped_jobs),
            "queries": [
                {"panel": q.panel, "expr": q.expr, "series": q.series, "error": q.error}
                for q in self.queries
            ],
        }

    def run_results(self) -> list[RunResult]:
        """The proof as results the checklist judges (selector `prometheus:dashboards`)."""
        if self.status == "not proven":
            return [RunResult(NODE, "dashboards", "skipped", frozenset(), self.reason)]
        if not self.queries:
            return [RunResult(NODE, "dashboards", "failed", frozenset(), self.reason)]
        where = f"{self.prometheus_url} ({_SOURCE_WORDS[self.source or 'harness']})"
        return [
            RunResult(
                f"{NODE}::{q.panel}",
                f"panel {q.panel!r}: {q.series} series from {where}",
                "passed" if q.series else "failed",
                frozenset(),
                "" if q.series else (q.error or f"no data for {q.expr}"),
            )
            for q in self.queries
        ]


def not_proven(reason: str) -> DashboardProof:
    return DashboardProof("not proven", f"not proven: {reason}")


def ask(
    base_url: str, queries: Mapping[str, str], source: Source, wait_s: float, version: str = ""
) -> DashboardProof:
    """Run every query (polling up to `wait_s` until each has data) and judge the answers."""
    try:
        jobs = tuple(scraped_jobs(base_url))
    except PrometheusError as exc:
        return DashboardProof("failed", str(exc), base_url, source, version)
    outcomes: dict[str, QueryOutcome] = {}

    def empty_panels() -> list[str]:
        for panel, expr in queries.items():
            if panel in outcomes and outcomes[panel].series:
                continue
            try:
                outcomes[panel] = QueryOutcome(panel, expr, len(query(base_url, expr)))
            except PrometheusError as exc:
                outcomes[panel] = QueryOutcome(panel, expr, error=str(exc))
        return [panel for panel, outcome in outcomes.items() if not outcome.series]

    empty = eventually(empty_panels, wait_s)
    answered = tuple(outcomes[panel] for panel in queries)
    if empty:
        reason = f"{len(empty)} of {len(queries)} panel queries returned no data: "
        reason += ", ".join(empty)
        return DashboardProof("failed", reason, base_url, source, version, jobs, answered)
    reason = f"all {len(queries)} panel queries returned data from {_SOURCE_WORDS[source]}"
    return DashboardProof("proven", reason, base_url, source, version, jobs, answered)


def prove_with(prometheus_url: str, ops: OpsFiles) -> DashboardProof:
    """Ask the operator's Prometheus once: the service it scrapes must already feed every panel."""
    return ask(prometheus_url.rstrip("/"), ops.dashboard_queries(), "prometheus-url", wait_s=0)


def prove_on_twin(ops: OpsFiles, wait_s: float = _TWIN_WAIT_S) -> DashboardProof:
    """Start Prometheus (shipped rules, 1 s intervals) scraping the drill's service and receiver."""
    binary = find_prometheus()
    if binary is None:
        return not_proven(
            f"no `prometheus` binary on PATH to start (install it: `{INSTALL_HINT}`), "
            "or pass --prometheus-url"
        )
    version = prometheus_version(binary)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="g2a-prometheus-") as tmp,
            running_twin() as twin,
            drill_services(twin) as services,
        ):
            rules = fast_rules(ops.load_rules(), "1s", Path(tmp) / "rules.yml")
            with running_prometheus(binary, services.jobs, Path(tmp), (rules,)) as base:
                unscraped = eventually(
                    lambda: sorted(set(services.jobs) - set(scraped_jobs(base))), wait_s
                )
                if unscraped:
                    reason = f"{base} never scraped {', '.join(unscraped)}"
                    return DashboardProof("failed", reason, base, "harness", version)
                drive(services.client, twin)
                deliver(services.receiver_url)
                return ask(base, ops.dashboard_queries(), "harness", wait_s, version)
    except (PrometheusError, DrillError, G2AError, OSError) as exc:
        reason = f"the dashboard drill on the twin failed: {type(exc).__name__}: {exc}"
        return DashboardProof("failed", reason, source="harness", version=version)
