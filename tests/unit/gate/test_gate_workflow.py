"""The example CI pipelines (GitHub Actions, GitLab CI): the gate guards the only job that sets
G2A_ENV=live, evidence is signed and moves between jobs of the same run only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "live-switchover.yml"
GITLAB = ROOT / "ops" / "ci" / "live-switchover.gitlab-ci.yml"
KEY_FROM_SECRETS = "${{ secrets.G2A_EVIDENCE_KEY }}"


def github() -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    return jobs


def gitlab() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(GITLAB.read_text())
    return config


def runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def test_github_job_graph_deploys_only_after_a_gate_exit_0() -> None:
    jobs = github()
    assert jobs["gate"]["needs"] == ["layers", "sandbox"]
    assert jobs["deploy"]["needs"] == "gate"
    assert jobs["deploy"]["if"] == "needs.gate.outputs.exit_code == '0'"
    assert jobs["gate"]["outputs"]["exit_code"] == "${{ steps.verdict.outputs.exit_code }}"
    verdict = next(s for s in jobs["gate"]["steps"] if s.get("id") == "verdict")
    script = verdict["run"].splitlines()
    assert script[0] == "set +e"
    assert script[1].startswith("g2a-harness gate --target sandbox --evidence reports/sandbox/full")
    assert script[2:] == [
        "code=$?",
        'echo "exit_code=$code" >> "$GITHUB_OUTPUT"',
        'exit "$code"',  # a no-go (1) or a rehearsal (3) fails the job as well
    ]
    assert [name for name, job in jobs.items() if job.get("env", {}).get("G2A_ENV") == "live"] == [
        "gate",
        "deploy",
    ]  # the gate only checks the live settings; deploy is the one job that deploys
    assert jobs["deploy"]["environment"] == "production"


def test_github_evidence_is_signed_and_passed_within_the_run() -> None:
    jobs = github()
    assert runs(jobs["layers"]) == ["bash .ci/run"]
    assert jobs["layers"]["env"]["CI"] == "true"
    for name in ("layers", "sandbox", "gate"):
        assert jobs[name]["env"]["G2A_EVIDENCE_KEY"] == KEY_FROM_SECRETS, name
    uploads = {
        job: [s["with"] for s in jobs[job]["steps"] if "upload-artifact" in s.get("uses", "")]
        for job in ("layers", "sandbox")
    }
    assert uploads["layers"][0]["name"] == "ci-evidence"
    assert uploads["layers"][0]["path"] == "reports/ci/"
    assert uploads["sandbox"][0]["name"] == "sandbox-evidence"
    assert uploads["sandbox"][0]["path"] == "reports/sandbox/full/"
    downloads = [
        s["with"] for s in jobs["gate"]["steps"] if "download-artifact" in s.get("uses", "")
    ]
    assert [(d["name"], d["path"]) for d in downloads] == [
        ("ci-evidence", "reports/ci/"),  # where the gate reads the CI record by default
        ("sandbox-evidence", "reports/sandbox/full/"),
    ]
    assert all(set(d) == {"name", "path"} for d in downloads)  # no run-id: this run's only
    checkout = next(
        s for s in jobs["gate"]["steps"] if s.get("uses", "").startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0


def test_github_sandbox_job_writes_where_the_gate_reads() -> None:
    steps = "\n".join(runs(github()["sandbox"]))
    assert "g2a-harness run --target sandbox --suite full --report-dir reports/sandbox/full" in (
        steps
    )
    assert "--target twin --report-dir reports/sandbox/full" in steps  # load never hits G2A


def test_credentials_come_from_secrets_only() -> None:
    for name, job in github().items():
        for variable, value in job.get("env", {}).items():
            if variable.endswith(("_HASH", "_KEY", "_SECRET", "_IDEMPOTENCY_URL")):
                assert value.startswith("${{ secrets."), f"{name}: {variable} must be a secret"
    for name, job in gitlab().items():
        if isinstance(job, dict):
            for variable in job.get("variables", {}):
                assert not variable.endswith(("_HASH", "_KEY", "_SECRET")), f"{name}: {variable}"


def test_gitlab_job_graph_deploys_only_after_the_gate() -> None:
    config = gitlab()
    assert config["stages"] == ["test", "sandbox", "gate", "deploy"]
    assert config["gate"]["needs"] == [
        {"job": "layers", "artifacts": True},
        {"job": "sandbox", "artifacts": True},
    ]
    assert config["deploy"]["needs"] == ["gate"]
    assert config["deploy"]["when"] == "manual"  # never `always`: a failed gate stops it
    assert config["deploy"]["environment"] == "production"
    assert config["gate"]["script"][-1] == (
        "g2a-harness gate --target sandbox --evidence reports/sandbox/full"
    )
    assert config["gate"]["variables"]["GIT_DEPTH"] == "0"
    live = [
        n
        for n, j in config.items()
        if isinstance(j, dict) and j.get("variables", {}).get("G2A_ENV") == "live"
    ]
    assert live == ["gate", "deploy"]


def test_gitlab_evidence_moves_as_artefacts_of_the_pipeline() -> None:
    config = gitlab()
    assert config["layers"]["script"][0].startswith("bash .ci/run")
    assert config["layers"]["variables"]["CI"] == "true"
    assert config["layers"]["artifacts"]["paths"] == ["reports/ci/"]
    assert config["sandbox"]["artifacts"]["paths"] == ["reports/sandbox/full/"]
    assert "G2A_EVIDENCE_KEY" not in yaml.safe_dump(
        {n: j.get("variables", {}) for n, j in config.items() if isinstance(j, dict)}
    )  # a masked CI/CD variable, never in the file


def test_both_pipelines_prove_the_dashboards_on_the_operators_prometheus() -> None:
    """Without --prometheus-url a sandbox run leaves the dashboards unproven, and the gate's
    metrics check is a NO-GO: the pipeline could never deploy."""
    sandbox_run = next(r for r in runs(github()["sandbox"]) if r.startswith("g2a-harness run"))
    assert sandbox_run.endswith('--prometheus-url "${{ vars.G2A_PROMETHEUS_URL }}"')
    gitlab_run = next(s for s in gitlab()["sandbox"]["script"] if s.startswith("g2a-harness run"))
    assert gitlab_run.endswith('--prometheus-url "$G2A_PROMETHEUS_URL"')


def test_both_pipelines_run_the_twin_checklist_where_the_sandbox_gate_reads_it() -> None:
    """The items no sandbox scenario can prove come from the full twin run of the commit, in
    twin/ of the evidence folder: without it the sandbox gate is a NO-GO."""
    twin_run = "g2a-harness run --target twin --suite full --report-dir reports/sandbox/full/twin"
    assert twin_run in runs(github()["sandbox"])
    assert twin_run in gitlab()["sandbox"]["script"]
