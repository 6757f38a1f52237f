"""A clean `Evidence` (every check go) that each test breaks in exactly one place."""

from __future__ import annotations

import pytest
from gate_support import (
    NOW,
    TOX_LAYER_COMMANDS,
    checklist_report,
    contracts_report,
    live_environment,
    load_report,
    tox_result,
)

from g2a_adapter import Metrics
from harness.gate.collect import live_config, sandbox_credentials
from harness.gate.evidence import CiRun, Evidence, Probe, ReportFile, RepoScan, TextSource
from harness.gate.sources import DEFAULT_ALLOWLIST, read_allowlist

HEAD = "3f2a9c1e" * 5
HEALTHY = '{"status": "ok", "checks": {"token": {"status": "ok"}, "store": {"status": "ok"}}}'


@pytest.fixture
def live_env() -> dict[str, str]:
    return live_environment()


@pytest.fixture
def clean(live_env: dict[str, str]) -> Evidence:
    return Evidence(
        target="twin",
        now=NOW,
        max_age_hours=24.0,
        evidence_dir="reports",
        checklist=ReportFile("reports/checklist.json", checklist_report()),
        contracts=ReportFile("reports/contracts.json", contracts_report()),
        load=ReportFile("reports/load/load.json", load_report()),
        live=live_config(live_env, "the environment", None),
        sandbox_credentials=sandbox_credentials({}),
        repo=RepoScan(
            "/repo",
            (TextSource("README.md", "export G2A_API_KEY=...\n"),),
            allowlist=read_allowlist(DEFAULT_ALLOWLIST),
            allowlist_path="harness/gate/allowlist.txt",
        ),
        health=Probe("receiver: GET /healthz", 200, HEALTHY),
        metrics=Probe("receiver: GET /metrics", 200, Metrics().exposition().decode()),
        ci=CiRun(
            "reports/tox.json",
            tox_result(),
            commit_path="reports/tox.commit",
            commit=HEAD,
            head=HEAD,
            layer_commands=TOX_LAYER_COMMANDS,
        ),
    )
