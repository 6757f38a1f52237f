"""A clean `Evidence` (every check go) that each test breaks in exactly one place."""

from __future__ import annotations

import dataclasses

import pytest
from gate_support import (
    HEAD,
    NOW,
    REPO_ROOT,
    SANDBOX_URL,
    checklist_report,
    ci_run,
    committed_contracts,
    contracts_report,
    live_environment,
    load_report,
    run_checklist,
)

from g2a_adapter import Metrics
from harness.checklist import load_checklist
from harness.gate.collect import (
    gate_items,
    live_config,
    sandbox_credentials,
    sandbox_only,
    twin_only_items,
)
from harness.gate.evidence import Binding, Evidence, Probe, ReportFile, RepoScan, TextSource
from harness.gate.sources import DEFAULT_ALLOWLIST, read_allowlist

TWIN_API = "http://127.0.0.1:8765/v1"
HEALTHY = '{"status": "ok", "checks": {"token": {"status": "ok"}, "store": {"status": "ok"}}}'


@pytest.fixture
def live_env() -> dict[str, str]:
    return live_environment()


@pytest.fixture
def clean(live_env: dict[str, str]) -> Evidence:
    return Evidence(
        target="twin",
        binding=Binding(HEAD, NOW, 24.0),
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
        health=Probe("receiver: GET /healthz", 200, HEALTHY, api_url=TWIN_API, store="memory"),
        metrics=Probe("receiver: GET /metrics", 200, Metrics().exposition().decode()),
        ci=ci_run(),
        checklist_ids=tuple(item.id for item in load_checklist()),
        gate_items=gate_items(),
        sandbox_only=sandbox_only(load_checklist()),
        committed_contracts=committed_contracts(),
        evidence_key="set",  # G2A_EVIDENCE_KEY given (the reports' signatures: see sources.py)
    )


@pytest.fixture
def sandbox_clean(clean: Evidence, live_env: dict[str, str]) -> Evidence:
    """Sandbox-shaped evidence where every item is proven: the only way to a GO. The sandbox
    run skips the items only twin scenarios prove; the full twin run proves them."""
    own_sandbox = {"G2A_SANDBOX_API_HASH": "TeamSandbox1", "G2A_SANDBOX_API_KEY": "5b" * 32}
    from_twin, error = twin_only_items(load_checklist(), REPO_ROOT / "features")
    assert error is None
    return dataclasses.replace(
        clean,
        target="sandbox",
        checklist=ReportFile("reports/checklist.json", run_checklist(target="sandbox")),
        twin_only=from_twin,
        twin_checklist=ReportFile("reports/twin/checklist.json", run_checklist(target="twin")),
        sandbox_credentials=sandbox_credentials(own_sandbox),
        health=dataclasses.replace(clean.health, api_url=SANDBOX_URL, store="redis"),
    )
