"""The example CI workflow: the gate guards the only job that sets G2A_ENV=live."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).parents[3] / ".github" / "workflows" / "live-switchover.yml"


def test_deploy_needs_the_gate_and_alone_sets_live() -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    assert jobs["deploy"]["needs"] == "gate"
    assert jobs["gate"]["needs"] == ["layers", "sandbox"]
    assert jobs["deploy"]["env"]["G2A_ENV"] == "live"
    assert jobs["sandbox"]["env"]["G2A_ENV"] == "sandbox"
    gate_steps = [s.get("run", "") for s in jobs["gate"]["steps"]]
    assert any(
        s.startswith("g2a-harness gate --target sandbox --evidence reports") for s in gate_steps
    )
    checkout = next(
        s for s in jobs["gate"]["steps"] if s.get("uses", "").startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0


def test_credentials_come_from_secrets_only() -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    for job in jobs.values():
        for name, value in job.get("env", {}).items():
            if name.endswith(("_HASH", "_KEY", "_SECRET")):
                assert value.startswith("${{ secrets."), f"{name} must come from a secret"


def test_every_layer_runs_with_its_commit_for_the_gate() -> None:
    """handoff-green's evidence: tox --result-json plus the commit, where the gate reads them."""
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    script = next(
        s["run"] for s in jobs["layers"]["steps"] if "tox --result-json" in s.get("run", "")
    )
    assert script.splitlines() == [
        "mkdir -p reports",
        "git rev-parse HEAD > reports/tox.commit",
        "tox --result-json reports/tox.json",
    ]
    assert jobs["layers"]["env"]["CI"] == "true"
    assert set(jobs["layers"]["services"]) == {"redis", "postgres"}
    downloads = [
        s["with"] for s in jobs["gate"]["steps"] if "download-artifact" in s.get("uses", "")
    ]
    assert {(d["name"], d["path"]) for d in downloads} == {
        ("sandbox-evidence", "reports/"),
        ("ci-evidence", "reports/"),
    }
