"""`g2a-harness gate` end to end: real settings, a real git repository, a served twin.

A clean twin run is a REHEARSAL (exit 3, never a go). Each no-go case breaks exactly one
piece of evidence of it and asserts the exact reason the gate gives (exit 1).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gate_support import (
    ALL_GO,
    GateRun,
    commit,
    git,
    head,
    tox_result,
    write_ci,
    write_reports,
)

from harness.contracts.report import COMMITTED_FOLDERS, folder_record
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.server import running_twin

Run = Callable[..., GateRun]


def read_from(checkout: Path, contracts: dict[str, Any]) -> dict[str, Any]:
    """contracts.json as if both parts had read `checkout`'s committed contract folders."""
    folders = {name: folder_record(checkout / folder) for name, folder in COMMITTED_FOLDERS.items()}
    return {**contracts, "sources": {"verify": {"pacts": folders["pacts"]}, "drift": folders}}


def only_failing(run: GateRun, check_id: str, *also: str) -> dict[str, str]:
    assert run.code == 1
    assert run.report["decision"] == "NO-GO"
    assert run.verdicts() == {**ALL_GO, check_id: "no-go", **dict.fromkeys(also, "no-go")}
    return run.check(check_id)


def test_a_clean_twin_run_is_a_rehearsal_never_a_go(
    run_gate: Run, live_env: dict[str, str], repo: Path, evidence: Path
) -> None:
    run = run_gate()
    assert run.code == 3
    assert (run.report["decision"], run.report["go"]) == ("REHEARSAL", False)
    assert run.verdicts() == ALL_GO
    assert run.report["live_base_url"] == "https://api.g2a.com/v1"
    assert "live base URL: https://api.g2a.com/v1" in run.out
    assert run.out.startswith(
        "decision: REHEARSAL (exit 3): every item the twin can prove passed; "
        "a rehearsal is never a go"
    )
    assert run.markdown.startswith("# Live switchover gate: **REHEARSAL**")
    assert run.check("health")["reason"].startswith("200 ok (")
    assert run.check("ci")["reason"].startswith("all 8 layers green (lint, type, build, ")
    judged = {f["path"] for f in run.report["files"]}
    assert {f"{evidence}/checklist.json", f"{repo}/reports/ci/tox.json"} <= judged
    for secret in (live_env["G2A_API_KEY"], live_env["G2A_WEBHOOK_SECRET"]):
        assert secret not in run.out + json.dumps(run.report) + run.markdown


def rebind(evidence: Path, repo: Path) -> None:
    """Fresh evidence for the repository's new HEAD, as a new CI run would produce."""
    write_reports(evidence, datetime.now(UTC), commit=head(repo))


def test_secret_committed_to_history(
    run_gate: Run, live_env: dict[str, str], repo: Path, evidence: Path
) -> None:
    leaked = commit(repo, {"deploy/live.env": f"G2A_API_KEY={live_env['G2A_API_KEY']}\n"}, "oops")
    commit(repo, {"deploy/live.env": None}, "remove the env file")
    rebind(evidence, repo)
    check = only_failing(run_gate(), "secrets")
    assert check["reason"] == (
        f"1 secret(s) found in {repo}: commit {leaked} deploy/live.env: "
        "the configured G2A_API_KEY value"
    )  # found once: the key-shape match on the same value is not counted twice
    assert "git filter-repo" in check["fix"]


def test_key_shaped_string_in_the_tree(
    run_gate: Run, live_env: dict[str, str], repo: Path, evidence: Path
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9" + "Qk9HVVNUT0tFTg" * 2
    commit(repo, {"client.py": f'HEADERS = {{"Authorization": "Bearer {token}"}}\n'}, "client")
    rebind(evidence, repo)
    check = only_failing(run_gate(), "secrets")
    assert check["details"] == [
        "client.py:1: bearer token",
        f"commit {_head(repo)} client.py: bearer token",
    ]


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "--short", "HEAD")


@pytest.mark.parametrize(
    ("name", "ignore"),
    [(".env", ".env\n"), ("deploy/.env.live", ".env.*\n"), ("notes.txt", "*.log\n")],
)
def test_a_secret_only_on_disk_is_a_no_go(
    run_gate: Run,
    live_env: dict[str, str],
    repo: Path,
    evidence: Path,
    name: str,
    ignore: str,
) -> None:
    """An untracked .env (ignored or not) or any file git would not ignore counts too."""
    commit(repo, {".gitignore": f"reports/\n{ignore}"}, "ignore rules")
    rebind(evidence, repo)
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(f"G2A_API_KEY={live_env['G2A_API_KEY']}\n")
    untracked = ("checkout",) if name == "notes.txt" else ()  # not ignored: a dirty checkout
    check = only_failing(run_gate(), "secrets", *untracked)
    assert check["details"] == [f"{name}:1: the configured G2A_API_KEY value"]


def test_ignored_files_other_than_env_files_are_not_scanned(
    run_gate: Run, live_env: dict[str, str], repo: Path, evidence: Path
) -> None:
    commit(repo, {".gitignore": "reports/\n*.log\n"}, "ignore logs")
    rebind(evidence, repo)
    (repo / "debug.log").write_text(f"G2A_API_KEY={live_env['G2A_API_KEY']}\n")
    assert run_gate().check("secrets")["status"] == "go"


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
    run_gate: Run, live_env: dict[str, str], evidence: Path, repo: Path
) -> None:
    write_reports(evidence, datetime.now(UTC) - timedelta(hours=31), commit=head(repo))
    run = run_gate()
    assert run.check("checklist")["reason"] == f"{evidence}/checklist.json is 31 h old (max 24 h)"
    assert run.check("load")["reason"] == f"{evidence}/load/load.json is 31 h old (max 24 h)"
    assert run_gate("--max-age", "48").code == 3


def test_wrong_target(run_gate: Run, live_env: dict[str, str], evidence: Path) -> None:
    run = run_gate("--target-url", "http://127.0.0.1:9/v1", target="sandbox")
    assert run.check("checklist")["reason"] == (
        f"{evidence}/checklist.json was run against 'twin', the gate target is 'sandbox'"
    )


def test_health_failing_when_the_live_store_is_down(
    run_gate: Run, live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_IDEMPOTENCY_URL", "redis://127.0.0.1:1/0")  # the live settings'
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
    run_gate: Run,
    live_env: dict[str, str],
    evidence: Path,
    snapshot: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the absent drift part of contracts.json is produced, by the real command."""
    monkeypatch.chdir(snapshot)
    write_reports(evidence, datetime.now(UTC), commit=head(snapshot))
    contracts = json.loads((evidence / "contracts.json").read_text())
    contracts.update(drift_checked=False, passed=False)
    del contracts["parts"]["drift"]
    contracts = read_from(snapshot, contracts)
    del contracts["sources"]["drift"]
    (evidence / "contracts.json").write_text(json.dumps(contracts))
    kept = {n: (evidence / n).read_bytes() for n in ("checklist.json", "load/load.json")}

    run = run_gate("--run-missing", in_repo=snapshot)

    assert run.code == 3, run.out
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
    drift = written["parts"]["drift"]
    assert (drift["commit"], drift["dirty"], drift["suite"]) == (head(snapshot), False, "drift")
    assert written["parts"]["verify"] == contracts["parts"]["verify"]  # kept as it was
    assert run_gate("--run-missing", in_repo=snapshot).report["produced"] == []  # all fresh


def test_no_ci_record_is_a_no_go_naming_the_command(
    run_gate: Run, live_env: dict[str, str], repo: Path
) -> None:
    check = only_failing(run_gate(ci=False), "ci")
    assert check["reason"] == (f"handoff-green is not proven: {repo}/reports/ci/ci.json is missing")
    assert check["fix"] == (
        "run `CI=true bash .ci/run` on a clean checkout of this commit (CI: the `layers` job)"
    )


def test_evidence_of_one_commit_judged_at_the_next_names_both(
    run_gate: Run, live_env: dict[str, str], evidence: Path, repo: Path
) -> None:
    produced_at = head(repo)
    write_ci(repo / "reports" / "ci", produced_at)
    commit(repo, {"app.py": "print('changed')\n"}, "change after the evidence")
    run = run_gate(ci=False)
    assert run.code == 1
    now = head(repo)
    assert run.check("checklist")["reason"] == (
        f"{evidence}/checklist.json was produced at commit {produced_at[:12]}, "
        f"the repository is at {now[:12]}"
    )
    assert run.check("ci")["reason"] == (
        f"handoff-green is not proven: {repo}/reports/ci/ci.json was produced at commit "
        f"{produced_at[:12]}, the repository is at {now[:12]}"
    )
    assert {c["id"] for c in run.report["checks"] if c["status"] == "no-go"} == {
        "ci",
        "checklist",
        "contracts",
        "load",
        "metrics",  # its dashboards evidence is in the checklist report
    }


def test_ci_result_with_a_red_layer_given_by_path(
    run_gate: Run, live_env: dict[str, str], tmp_path: Path, repo: Path
) -> None:
    elsewhere = write_ci(
        tmp_path / "ci", head(repo), tox=tox_result(exit_codes={"bdd": 1}, commit=head(repo))
    )
    check = only_failing(run_gate("--ci-report", str(elsewhere)), "ci")
    assert check["reason"] == (
        f"{elsewhere}: 1 problem(s) (bdd: failed (exit 1): "
        "/ci/.tox/bdd/bin/pytest tests/bdd --junitxml=/ci/reports/ci/bdd.xml)"
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
    latin1 = tmp_path / "latin1.env"
    latin1.write_bytes(b"G2A_API_KEY=\xff\xfe\n")
    assert main(["gate", "--env-file", str(latin1)]) == 2
    assert (
        capsys.readouterr().err == f"g2a-harness gate: --env-file {latin1} is not UTF-8 (byte 12)\n"
    )
    for url, why in [
        ("https://sandboxapi.g2a.com:99999/v1", "is not a valid URL (Port out of range 0-65535)"),
    ]:
        assert main(["gate", "--target", "sandbox", "--target-url", url]) == 2
        assert capsys.readouterr().err == f"g2a-harness gate: --target-url {url!r} {why}\n"
    for url in ("ftp://sandboxapi.g2a.com/v1", "https:///v1"):
        assert main(["gate", "--target", "sandbox", "--target-url", url]) == 2
        assert capsys.readouterr().err == (
            f"g2a-harness gate: --target-url must be an http(s) URL with a host, not {url!r}\n"
        )
    for refused in ("0", "-1", "nan", "inf", "8761", "1e400", "soon"):
        with pytest.raises(SystemExit) as exited:
            main(["gate", "--max-age", refused])
        assert exited.value.code == 2
        assert capsys.readouterr().err.endswith(
            f"error: argument --max-age: not a number of hours: {refused!r}\n"
            if refused == "soon"
            else "error: argument --max-age: --max-age must be more than 0 and at most 8760 hours\n"
        )


def test_a_sandbox_run_missing_proves_the_dashboards_on_the_prometheus_given(
    run_gate: Run,
    live_env: dict[str, str],
    evidence: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox run --run-missing starts gets --prometheus-url (without one it would leave
    the dashboards item unproven), and the twin run the twin-only items need is produced too."""
    from harness.cli import main
    from harness.gate.steps import Step, StepOutcome

    assert main(["gate", "--target", "sandbox", "--run-missing", "--evidence", str(evidence)]) == 2
    assert capsys.readouterr().err == (
        "g2a-harness gate: --target sandbox --run-missing needs --prometheus-url URL, the "
        "Prometheus that scrapes your service: the sandbox run proves the dashboards item on it\n"
    )
    assert main(["gate", "--prometheus-url", "http://prometheus.internal:9090"]) == 2
    assert capsys.readouterr().err == (
        "g2a-harness gate: --prometheus-url is passed to the run --run-missing starts: add it\n"
    )
    ran: list[Step] = []

    def run_steps(steps: list[Step], environ: object) -> tuple[StepOutcome, ...]:
        ran.extend(steps)
        return tuple(StepOutcome(step, 1) for step in steps)

    monkeypatch.setattr("harness.gate.collect.run_steps", run_steps)
    prometheus = ("--prometheus-url", "http://prometheus.internal:9090")
    run = run_gate(
        "--run-missing", *prometheus, "--target-url", "http://127.0.0.1:9/v1", target="sandbox"
    )
    assert [step.command for step in ran] == [
        f"g2a-harness run --target sandbox --suite full --report-dir {evidence} "
        "--prometheus-url http://prometheus.internal:9090",
        f"g2a-harness run --target twin --suite full --report-dir {evidence}/twin",
    ]
    assert run.check("twin-items")["reason"] == f"{evidence}/twin/checklist.json is missing"


def test_an_evidence_dir_git_would_see_in_the_checkout_is_refused(
    live_env: dict[str, str], repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reports written there would make every envelope dirty (new files), a no-go nothing
    clears: removing them deletes the evidence, committing them moves HEAD."""
    from harness.cli import main

    evidence = repo / "evidence" / "sandbox"
    assert main(["gate", "--evidence", str(evidence), "--repo", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"g2a-harness gate: --evidence {evidence} is inside the checkout {repo.resolve()} and git "
        "does not ignore it: every report written there makes the tree dirty; ignore it (add "
        "'evidence/sandbox/' to .git/info/exclude or .gitignore) or choose a folder outside\n"
    )
    assert not evidence.exists()
    (repo / ".git" / "info" / "exclude").write_text("evidence/\n")
    assert main(["gate", "--evidence", str(evidence), "--repo", str(repo)]) == 1  # judged
    ignored = repo / "reports" / "sandbox" / "full"  # the repository's .gitignore: reports/
    assert main(["gate", "--evidence", str(ignored), "--repo", str(repo)]) == 1
    for folder in (evidence, ignored):
        checks = json.loads((folder / "gate.json").read_text())["checks"]
        assert next(c["status"] for c in checks if c["id"] == "checkout") == "go"


def relabel(evidence: Path, old: str, new: str) -> None:
    """What a hand edit does: `sed -i s/old/new/` over the three evidence files."""
    for name in ("checklist.json", "contracts.json", "load/load.json"):
        path = evidence / name
        path.write_text(path.read_text().replace(old, new))


def own_sandbox_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_SANDBOX_API_HASH", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SANDBOX_API_KEY", SANDBOX_API_KEY)


def test_twin_evidence_relabelled_as_sandbox_is_never_a_go(
    run_gate: Run, live_env: dict[str, str], evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_sandbox_credentials(monkeypatch)
    relabel(evidence, '"twin"', '"sandbox"')
    with running_twin() as twin:
        run = run_gate("--target-url", twin.export_url, target="sandbox")
    assert run.code == 1
    sandbox = "not the G2A sandbox (https://sandboxapi.g2a.com/v1)"
    assert run.check("checklist")["reason"] == (
        f"{evidence}/checklist.json called http://127.0.0.1:8765, {sandbox}"
    )
    assert run.check("health")["reason"] == (
        f"receiver on {twin.export_url}: GET /healthz: {twin.export_url} is {sandbox}"
    )
    relabel(evidence, "127.0.0.1", "sandboxapi.g2a.com")  # the host too, by hand
    run = run_gate("--target-url", "http://127.0.0.1:9/v1", target="sandbox")
    assert run.code == 1
    assert run.check("checklist")["reason"] == (
        f"{evidence}/checklist.json called http://sandboxapi.g2a.com:8765, {sandbox}"
    )


def test_the_health_fix_names_what_pointed_the_probe_away_from_the_sandbox(
    run_gate: Run, live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the gate's audit: the fix said "drop --target-url" when none was given and
    G2A_SANDBOX_API_URL had pointed the probe at a local twin."""
    with running_twin() as twin:
        by_option = run_gate("--target-url", twin.export_url, target="sandbox").check("health")
        monkeypatch.setenv("G2A_SANDBOX_API_URL", twin.export_url)
        by_variable = run_gate(target="sandbox").check("health")
    sandbox = "https://sandboxapi.g2a.com/v1"
    not_sandbox = f"{twin.export_url} is not the G2A sandbox ({sandbox})"
    reason = f"receiver on {twin.export_url}: GET /healthz: {not_sandbox}"
    assert (by_option["reason"], by_variable["reason"]) == (reason, reason)
    assert by_option["fix"] == f"probe the real sandbox: drop --target-url (it calls {sandbox})"
    assert by_variable["fix"] == (
        f"probe the real sandbox: unset G2A_SANDBOX_API_URL (it calls {sandbox})"
    )


def test_relabelled_signed_evidence_names_the_broken_signature(
    run_gate: Run,
    live_env: dict[str, str],
    evidence: Path,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_EVIDENCE_KEY", "ci-key")
    write_reports(evidence, datetime.now(UTC), commit=head(repo), key="ci-key")
    write_ci(repo / "reports" / "ci", head(repo), key="ci-key")
    assert run_gate(ci=False).code == 3  # signed and untouched: the rehearsal passes
    relabel(evidence, '"twin"', '"sandbox"')
    run = run_gate("--target-url", "http://127.0.0.1:9/v1", target="sandbox", ci=False)
    assert run.code == 1
    broken = "has a broken signature (edited after it was written, or signed with another key)"
    for check_id, name in (
        ("checklist", "checklist.json"),
        ("contracts", "contracts.json"),
        ("load", "load/load.json"),
    ):
        assert run.check(check_id)["reason"] == f"{evidence}/{name} {broken}"
    assert run.report["signed"] is True


def test_unsigned_evidence_when_the_key_is_set(
    run_gate: Run, live_env: dict[str, str], evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_EVIDENCE_KEY", "ci-key")
    run = run_gate()
    assert run.code == 1
    assert run.check("load")["reason"] == (
        f"{evidence}/load/load.json has no signature "
        "(G2A_EVIDENCE_KEY is set: every report must be signed)"
    )


def test_real_smoke_run_is_read_but_is_not_enough(
    run_gate: Run,
    live_env: dict[str, str],
    evidence: Path,
    snapshot: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`g2a-harness run --suite smoke` really runs; the gate reads its report and wants full."""
    write_reports(evidence, datetime.now(UTC), commit=head(snapshot))
    (evidence / "checklist.json").unlink()
    contracts = json.loads((evidence / "contracts.json").read_text())
    (evidence / "contracts.json").write_text(json.dumps(read_from(snapshot, contracts)))
    smoke = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--suite", "smoke", "--report-dir", str(evidence)],
        cwd=snapshot,
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
    assert (written["envelope"]["commit"], written["envelope"]["suite"]) == (
        head(snapshot),
        "smoke",
    )
    gate = run_gate(in_repo=snapshot)
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
