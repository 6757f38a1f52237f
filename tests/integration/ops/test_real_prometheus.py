"""A real Prometheus scrapes a receiver and a service driving the twin through faults; every
dashboard query and recording rule returns data, the 503 burst's error-ratio alert goes pending
and its calls, each retried until it gives up, raise G2ARetriesExhausted.

The server, the drill and the query runner are the harness's (`harness.dashboards`): the same
pieces prove the `handoff-dashboards` checklist item in `g2a-harness run`.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from _ops_files import OPS

from harness.dashboards.drill import PRODUCTS, burst, deliver, drill_services, drive
from harness.dashboards.prometheus import (
    eventually,
    fast_rules,
    prometheus_version,
    query,
    running_prometheus,
    scraped_jobs,
)
from harness.dashboards.proof import ask, prove_on_twin
from harness.twin import RunningTwin

_WAIT_S = 30.0


def _alert_states(base: str) -> set[tuple[str, str, str]]:
    """(alertname, route or "", state) of every pending or firing alert."""
    alerts = httpx.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return {(a["labels"]["alertname"], a["labels"].get("route", ""), a["state"]) for a in alerts}


def test_dashboard_and_rules_return_data_and_the_burst_alerts_go_off(
    twin: RunningTwin, prometheus_binary: str, tmp_path: Path
) -> None:
    rules = fast_rules(OPS.load_rules(), "1s", tmp_path / "rules.yml")
    with (
        drill_services(twin) as services,
        running_prometheus(prometheus_binary, services.jobs, tmp_path, (rules,)) as base,
    ):
        unscraped = eventually(
            lambda: sorted(set(services.jobs) - set(scraped_jobs(base))), _WAIT_S
        )
        assert unscraped == []
        drive(services.client, twin)
        deliver(services.receiver_url)
        time.sleep(2.5)  # two scrapes see the baseline before the burst moves the counters
        burst(services.client, twin, calls=10)
        queries = {**OPS.dashboard_queries(), **{r: r for r in OPS.rule_names("record")}}
        proof = ask(base, queries, "harness", _WAIT_S)
        assert [(q.panel, q.shortfall) for q in proof.queries if q.shortfall] == []
        assert (proof.status, proof.scraped_jobs) == ("proven", ("g2a-receiver", "g2a-service"))

        def not_raised() -> list[str]:
            states = _alert_states(base)
            wanted = [
                {("G2AErrorRatioHigh", "", "pending")},  # `for: 5m`: pending in this test
                {("G2ARetriesExhausted", PRODUCTS, s) for s in ("pending", "firing")},
            ]
            return [] if all(states & one for one in wanted) else [str(states)]

        assert eventually(not_raised, _WAIT_S) == []
        errors = f'route:g2a_request_errors:ratio_rate5m{{route="{PRODUCTS}"}} > 0.05'
        assert eventually(lambda: [] if query(base, errors) else [errors], _WAIT_S) == []


def test_the_checklist_proof_on_the_twin_starts_its_own_prometheus(prometheus_binary: str) -> None:
    proof = prove_on_twin(OPS)
    assert (proof.status, proof.source) == ("proven", "harness"), proof.reason
    assert proof.reason.startswith(f"all {len(OPS.dashboard_queries())} panel queries returned")
    assert [(q.panel, q.expr) for q in proof.queries] == list(OPS.dashboard_queries().items())
    assert [(q.panel, q.shortfall) for q in proof.queries if q.shortfall] == []
    assert proof.scraped_jobs == ("g2a-receiver", "g2a-service")
    assert proof.version == prometheus_version(prometheus_binary) != "unknown"
    assert proof.prometheus_url.startswith("http://127.0.0.1:")
