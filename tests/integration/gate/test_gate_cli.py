"""`g2a-harness gate` end to end: real settings, a real git repository, a served twin.

Each no-go case breaks exactly one piece of evidence of an otherwise clean twin run and
asserts the exact reason the gate gives.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gate_support import GateRun, commit, git, tox_result, write_reports

from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.server import running_twin

ALL_GO = {
    "config": "go",
    "credentials": "go",
    "secrets": "go",
    "ci": "go",
    "checklist": "go",
    "contracts": "go",
    "load": "go",
    "health": "go",
    "metrics": "go",
}
Run = Callable[..., GateRun]
REPO_ROOT = Path(__file__).resolve().parents[3]


def only_failing(run: GateRun, check_id: str) -> dict[str, str]:
    assert run.code == 1
    assert run.report["decision"] == "no-go"
    assert run.verdicts() == {**ALL_GO, check_id: "no-go"}
    return run.check(check_id)


def test_go_on_a_clean_twin_run(run_gate: Run, live_env: dict[str, str]) -> None:
    run = run_gate()
    assert run.code == 0
    assert run.verdicts() == ALL_GO
    assert run.report["live_base_url"] == "https://api.g2a.com/v1"
    assert "live base URL: https://api.g2a.com/v1" in run.out
    assert "decision: GO" in run.out
    assert run.markdown.startswith("# Live switchover gate: **GO**")
    assert run.check("health")["reason"].startswith("200 ok (")
    for secret in (live_env["G2A_API_KEY"], live_env["G2A_WEBHOOK_SECRET"]):
        assert secret not in run.out + json.dumps(run.report) + run.markdown


def test_secret_committed_to_history(run_gate: Run, live_env: dict[str, str], repo: Path) -> None:
    leaked = commit(repo, {"deploy/live.env": f"G2A_API_KEY={live_env['G2A_API_KEY']}\n"}, "oops")
    commit(repo, {"deploy/live.env": None}, "remove the env file")
    check = only_failing(run_gate(), "secrets")
    assert check["reason"] == (
        f"1 secret(s) found in {repo}: commit {leaked} deploy/live.env: "
        "the configured G2A_API_KEY value"
    )  # found once: the key-shape match on the same value is not counted twice
    assert "git filter-repo" in check["fix"]


def test_key_shaped_string_in_the_tree(run_gate: Run, live_env: dict[str, str], repo: Path) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9" + "Qk9HVVNUT0tFTg" * 2
    commit(repo, {"client.py": f'HEADERS = {{"Authorization": "Bearer {token}"}}\n'}, "client")
    check = only_failing(run_gate(), "secrets")
    assert check["details"] == [
        "client.py:1: bearer token",
        f"commit {_head(repo)} client.py: bearer token",
    ]


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "--short", "HEAD")


def test_live_url_pointing_at_the_sandbox_host(run_gate: Run, live_env: dict[str, str]) -> None:
    run = run_gate("--live-url", "https://sandboxapi.g2a.com/v1")
    check = only_failing(run, "config")
    assert check["reason"] == (
        "live settings from the environment with --live-url are refused: "
        "G2A_ENV=live but G2A_API_URL points at the sandbox host"
    )
    assert run.report["live_base_url"] is None


def test_same_credentials_for_sandbox_and_live(
    run_gate: Run, live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "live.env"
    env_file.write_text(
        f"G2A_ENV=live\nG2A_API_URL=https://api.g2a.com/v1\nG2A_API_HASH=TeamHash2026\n"
        f"G2A_API_KEY={live_env['G2A_API_KEY']}\n"
    )
    monkeypatch.setenv("G2A_SANDBOX_API_HASH", "TeamHash2026")
    monkeypatch.setenv("G2A_SANDBOX_API_KEY", live_env["G2A_API_KEY"])
    check = only_failing(run_gate("--env-file", str(env_file)), "credentials")
    assert check["reason"] == (
        "live G2A_API_HASH and G2A_API_KEY equal the sandbox credentials (G2A_SANDBOX_API_HASH/KEY)"
    )
    assert check["evidence"] == f"env file {env_file}"


def test_published_sandbox_credentials_configured_as_live(
    run_gate: Run, live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_API_HASH", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_API_KEY", SANDBOX_API_KEY)
    check = only_failing(run_gate(), "credentials")
    assert check["reason"] == (
        "live G2A_API_HASH and G2A_API_KEY equal the published G2A sandbox credentials"
    )


def test_missing_evidence(run_gate: Run, live_env: dict[str, str], evidence: Path) -> None:
    for name in ("checklist.json", "contracts.json", "load/load.json"):
        (evidence / name).unlink()
    run = run_gate()
    assert run.code == 1
    reasons = {c["id"]: c["reason"] for c in run.report["checks"] if c["status"] == "no-go"}
    assert reasons.pop("metrics").endswith(f"but {evidence}/checklist.json is missing")
    assert reasons == {
        "checklist": f"{evidence}/checklist.json is missing",
        "contracts": f"{evidence}/contracts.json is missing",
        "load": f"{evidence}/load/load.json is missing",
    }
    assert (
        f"run `g2a-harness run --target twin --suite full --report-dir {evidence}`" in run.markdown
    )


def test_stale_evidence_against_max_age(
    run_gate: Run, live_env: dict[str, str], evidence: Path
) -> None:
    write_reports(evidence, datetime.now(UTC) - timedelta(hours=31))
    run = run_gate()
    assert run.check("checklist")["reason"] == f"{evidence}/checklist.json is 31 h old (max 24 h)"
    assert run.check("load")["reason"] == f"{evidence}/load/load.json is 31 h old (max 24 h)"
    assert run_gate("--max-age", "48").code == 0


def test_wrong_target(run_gate: Run, live_env: dict[str, str], evidence: Path) -> None:
    run = run_gate("--target-url", "http://127.0.0.1:9/v1", target="sandbox")
    assert run.check("checklist")["reason"] == (
        f"{evidence}/checklist.json was run against 'twin', the gate target is 'sandbox'"
    )


def test_health_failing_when_the_store_is_down(
    run_gate: Run, live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_SANDBOX_IDEMPOTENCY_URL", "redis://127.0.0.1:1/0")
    check = only_failing(run_gate(), "health")
    assert re.fullmatch(
        r"receiver on http://127\.0\.0\.1:\d+/v1: GET /healthz could not be asked: "
        r"StoreUnavailableError: idempotency store 'redis' unavailable: ConnectionError: "
        r"Error 111 connecting to 127\.0\.0\.1:1\. Connection refused\.",
        check["reason"],
    ), check["reason"]


def test_health_failing_when_the_target_refuses_the_token(
    run_gate: Run, live_env: dict[str, str]
) -> None:
    with running_twin() as twin:
        twin.admin.add_fault(
            route="/oauth/token",
            method="POST",
            kind="status",
            status=401,
            code="AUTH02",
            message="Authorization failed",
            times=None,
        )
        check = only_failing(run_gate("--target-url", twin.export_url), "health")
    assert check["reason"] == (
        f"receiver on {twin.export_url}: GET /healthz answered 503: failing token "
        "(OAuth token request refused: AUTH02 (HTTP 401))"
    )


def test_run_missing_keeps_fresh_evidence_and_completes_a_partial_report(
    run_gate: Run, live_env: dict[str, str], evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the absent drift part of contracts.json is produced, by the real command."""
    monkeypatch.chdir(REPO_ROOT)
    contracts = json.loads((evidence / "contracts.json").read_text())
    contracts.update(drift_checked=False, passed=False)
    (evidence / "contracts.json").write_text(json.dumps(contracts))
    kept = {n: (evidence / n).read_bytes() for n in ("checklist.json", "load/load.json")}

    run = run_gate("--run-missing")

    assert run.code == 0, run.out
    assert run.report["produced"] == [
        {
            "evidence": "contracts",
            "command": f"g2a-harness contracts drift --report-dir {evidence}",
            "exit_code": 0,
        }
    ]
    assert {n: (evidence / n).read_bytes() for n in kept} == kept
    written = json.loads((evidence / "contracts.json").read_text())
    assert (written["drift_checked"], written["drift"], written["passed"]) == (True, [], True)
    assert written["drift_sources"]["openapi_documents"] > 0
    assert run_gate("--run-missing").report["produced"] == []  # now all fresh: nothing runs


def test_run_missing_produces_every_report_from_an_empty_evidence_dir(
    run_gate: Run, live_env: dict[str, str], evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real commands, as child processes, into an empty dir; the gate then says go."""
    monkeypatch.chdir(REPO_ROOT)
    for path in sorted(evidence.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()

    run = run_gate("--run-missing", ci_commit=None)

    shown = str(evidence)
    assert [(p["command"], p["exit_code"]) for p in run.report["produced"]] == [
        (f"g2a-harness run --target twin --suite full --report-dir {shown}", 0),
        (f"g2a-harness contracts verify --report-dir {shown}", 0),
        (f"g2a-harness contracts drift --report-dir {shown}", 0),
        (f"g2a-harness load --profile smoke --target twin --report-dir {shown}", 0),
    ]
    assert run.code == 0, run.markdown
    assert run.verdicts() == {**ALL_GO, "ci": "warn", "checklist": "warn"}
    checklist = json.loads((evidence / "checklist.json").read_text())
    contracts = json.loads((evidence / "contracts.json").read_text())
    load = json.loads((evidence / "load" / "load.json").read_text())
    assert (checklist["target"], checklist["suite"], checklist["passed"]) == ("twin", "full", True)
    assert (contracts["pacts_verified"], contracts["drift_checked"], contracts["passed"]) == (
        True,
        True,
        True,
    )
    assert (load["profile"], load["target"], load["passed"]) == ("smoke", "twin", True)
    assert run.check("checklist")["reason"].endswith(
        "decided by this gate: handoff-green (ci), handoff-live-switch (live-switch); "
        "1 skipped on this target (handoff-sandbox-smoke)"
    )
    assert run.check("ci")["reason"] == (
        f"handoff-green is not proven: {shown}/tox.json is missing, no CI result was given"
    )
    assert "decision: GO with 2 warning(s) (ci, checklist)" in run.out
    assert live_env["G2A_API_KEY"] not in (evidence / "pytest.log").read_text()


def test_no_ci_result_is_a_warning_not_a_silent_pass(
    run_gate: Run, live_env: dict[str, str], evidence: Path
) -> None:
    (evidence / "tox.json").unlink()
    run = run_gate()
    assert run.code == 0
    assert run.verdicts() == {**ALL_GO, "ci": "warn"}
    assert "decision: GO with 1 warning(s) (ci): not proven" in run.out
    assert "## Warnings (not blocking: read them before the switch)" in run.markdown


def test_ci_result_of_another_commit(
    run_gate: Run, live_env: dict[str, str], evidence: Path, repo: Path
) -> None:
    before = _head(repo)
    commit(repo, {"app.py": "print('changed')\n"}, "change after CI")
    check = only_failing(run_gate(ci_commit=git(repo, "rev-parse", before)), "ci")
    assert check["reason"] == (
        f"{evidence}/tox.json is the run of commit {git(repo, 'rev-parse', before)[:12]}, "
        f"HEAD is {git(repo, 'rev-parse', 'HEAD')[:12]}"
    )


def test_ci_result_with_a_red_layer_given_by_path(
    run_gate: Run, live_env: dict[str, str], tmp_path: Path, repo: Path
) -> None:
    elsewhere = tmp_path / "ci" / "tox.json"
    elsewhere.parent.mkdir()
    elsewhere.write_text(json.dumps(tox_result(exit_codes={"bdd": 1})))
    elsewhere.with_suffix(".commit").write_text(git(repo, "rev-parse", "HEAD"))
    check = only_failing(run_gate("--ci-report", str(elsewhere)), "ci")
    assert check["reason"] == (
        f"{elsewhere}: 1 layer(s) not green (bdd: failed (exit 1): "
        "/ci/.tox/bdd/bin/pytest tests/bdd)"
    )
    assert check["evidence"] == str(elsewhere)


def test_bad_invocations(
    live_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from harness.cli import main

    assert main(["gate", "--env-file", str(tmp_path / "nope.env")]) == 2
    assert (
        capsys.readouterr().err
        == f"g2a-harness gate: --env-file {tmp_path / 'nope.env'} does not exist\n"
    )
    with pytest.raises(SystemExit):
        main(["gate", "--max-age", "0"])


def test_go_on_a_sandbox_run_with_the_twin_standing_in_for_the_sandbox(
    run_gate: Run, live_env: dict[str, str], evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_reports(evidence, datetime.now(UTC), target="sandbox")
    monkeypatch.setenv("G2A_SANDBOX_API_HASH", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SANDBOX_API_KEY", SANDBOX_API_KEY)
    with running_twin() as twin:
        run = run_gate("--target-url", twin.export_url, target="sandbox")
        token_calls = twin.admin.requests(path="/oauth/token", method="POST")
    assert run.code == 0, run.out
    assert run.verdicts() == ALL_GO
    assert run.check("credentials")["reason"] == (
        "distinct from the published G2A sandbox credentials, "
        "sandbox credentials (G2A_SANDBOX_API_HASH/KEY)"
    )
    assert run.check("health")["evidence"] == f"receiver on {twin.export_url}: GET /healthz"
    assert len(token_calls) == 1  # health fetched a real token from the target


def test_real_smoke_run_is_read_but_is_not_enough_to_go(
    run_gate: Run, live_env: dict[str, str], evidence: Path
) -> None:
    """`g2a-harness run --suite smoke` really runs; the gate reads its report and wants full."""
    (evidence / "checklist.json").unlink()
    smoke = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--suite", "smoke", "--report-dir", str(evidence)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert smoke.returncode == 0, smoke.stdout[-2000:] + smoke.stderr[-2000:]
    written = json.loads((evidence / "checklist.json").read_text())
    assert (written["kind"], written["target"], written["suite"], written["passed"]) == (
        "checklist",
        "twin",
        "smoke",
        True,
    )
    gate = run_gate()
    assert gate.verdicts() == {**ALL_GO, "checklist": "no-go", "metrics": "no-go"}
    assert gate.check("metrics")["reason"].endswith(
        f"but {evidence}/checklist.json holds no dashboards evidence"
    )
    check = gate.check("checklist")
    assert check["reason"] == (
        f"{evidence}/checklist.json is a 'smoke' run; the gate needs the full suite"
    )
    assert (
        check["fix"] == f"run `g2a-harness run --target twin --suite full --report-dir {evidence}`"
    )
