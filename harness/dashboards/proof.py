"""The `handoff-dashboards` evidence: which dashboard queries returned data, from which Prometheus.

Against a real target the operator names the Prometheus that scrapes the service
(`g2a-harness run --prometheus-url URL`); on the twin the harness starts one itself, scraping a
service it drives through faults (`drill`). Without either the item is "not proven", never passed.
The proof is written into `checklist.json` (`dashboards`) and read by the gate.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from g2a_adapter import G2AError
from harness.cassettes import redacted_url
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
from harness.run_results import NOT_REACHED
from harness.twin.server import running_twin

ProofStatus = Literal["proven", "failed", "not proven", "not run"]  # not run: the run stopped
Source = Literal["harness", "prometheus-url"]
NODE = "prometheus:dashboards"
_SOURCE_WORDS = {
    "harness": "a Prometheus started by g2a-harness scraping a service that drives the twin",
    "prometheus-url": "the Prometheus given with --prometheus-url",
}
_TWIN_WAIT_S = 30.0
# The panels that show only failures (ops/grafana/g2a-dashboard.json titles): a zero there is
# what a service that never failed shows, so only a non-zero value proves the panel is fed.
FAILURE_PANELS = frozenset(
    {
        "Error ratio by route",
        "Retry ratio by route",
        "Failed order steps",
        "Rejected deliveries by reason",
        "Events failed in the handler or store",
    }
)


def panel_shortfall(panel: str, expr: str, values: Iterable[str]) -> str | None:
    """Why the sample values a query returned (as Prometheus writes them: "0.25", "NaN") do not
    prove its panel fed, or None: any panel needs a finite value, a failure panel a non-zero one.

    The gate can judge a checklist's `dashboards.queries` entries with it.
    """
    finite = [number for number in map(float, values) if math.isfinite(number)]
    if not finite:
        return f"no finite value for {expr}"
    if panel in FAILURE_PANELS and not any(finite):
        return f"only zeros for {expr}: a failure panel needs a failure counted"
    return None


@dataclass(frozen=True)
class QueryOutcome:
    panel: str
    expr: str
    values: tuple[str, ...] = ()  # one sample value per series, as Prometheus answered it
    error: str | None = None

    @property
    def series(self) -> int:
        return len(self.values)

    @property
    def shortfall(self) -> str | None:
        """Why this answer does not prove the panel, or None."""
        if self.error is not None:
            return self.error
        if not self.values:
            return f"no data for {self.expr}"
        return panel_shortfall(self.panel, self.expr, self.values)


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
                {
                    "panel": q.panel,
                    "expr": q.expr,
                    "series": q.series,
                    "values": list(q.values),
                    "error": q.error,
                }
                for q in self.queries
            ],
        }

    def run_results(self) -> list[RunResult]:
        """The proof as results the checklist judges (selector `prometheus:dashboards`)."""
        if self.status == "not proven":
            return [RunResult(NODE, "dashboards", "skipped", frozenset(), self.reason)]
        if self.status == "not run":
            return [RunResult(NODE, "dashboards", "not run", frozenset(), self.reason)]
        if not self.queries:
            return [RunResult(NODE, "dashboards", "failed", frozenset(), self.reason)]
        where = f"{self.prometheus_url} ({_SOURCE_WORDS[self.source or 'harness']})"
        return [
            RunResult(
                f"{NODE}::{q.panel}",
                f"panel {q.panel!r}: {q.series} series from {where}",
                "failed" if q.shortfall else "passed",
                frozenset(),
                q.shortfall or "",
            )
            for q in self.queries
        ]


def not_proven(reason: str) -> DashboardProof:
    return DashboardProof("not proven", f"not proven: {reason}")


def not_reached() -> DashboardProof:
    """The proof of a run stopped (`--max-time`) before it: nothing asked of Prometheus."""
    return DashboardProof("not run", NOT_REACHED)


def ask(
    base_url: str, queries: Mapping[str, str], source: Source, wait_s: float, version: str = ""
) -> DashboardProof:
    """Run every query (polling up to `wait_s` until each proves its panel) and judge them.

    The proof (kept in the checklist report) shows `base_url` without its login details."""
    shown_url = redacted_url(base_url)
    try:
        jobs = tuple(scraped_jobs(base_url))
    except PrometheusError as exc:
        return DashboardProof("failed", str(exc), shown_url, source, version)
    outcomes: dict[str, QueryOutcome] = {}

    def unproven_panels() -> list[str]:
        for panel, expr in queries.items():
            if panel in outcomes and not outcomes[panel].shortfall:
                continue
            try:
                values = tuple(series["value"][1] for series in query(base_url, expr))
                outcomes[panel] = QueryOutcome(panel, expr, values)
            except PrometheusError as exc:
                outcomes[panel] = QueryOutcome(panel, expr, error=str(exc))
        return [panel for panel, outcome in outcomes.items() if outcome.shortfall]

    unproven = eventually(unproven_panels, wait_s)
    answered = tuple(outcomes[panel] for panel in queries)
    if unproven:
        reason = f"{len(unproven)} of {len(queries)} panel queries returned no usable data: "
        reason += ", ".join(unproven)
        return DashboardProof("failed", reason, shown_url, source, version, jobs, answered)
    reason = f"all {len(queries)} panel queries returned data from {_SOURCE_WORDS[source]}"
    return DashboardProof("proven", reason, shown_url, source, version, jobs, answered)


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
                # That first scrape is the baseline: the receiver exports its counters at 0, so
                # its failure panels' increase() counts the faults driven from here on.
                drive(services.client, twin)
                deliver(services.receiver_url)
                return ask(base, ops.dashboard_queries(), "harness", wait_s, version)
    except (PrometheusError, DrillError, G2AError, OSError) as exc:
        reason = f"the dashboard drill on the twin failed: {type(exc).__name__}: {exc}"
        return DashboardProof("failed", reason, source="harness", version=version)
