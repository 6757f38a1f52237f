"""The only way to a GO: sandbox-shaped evidence of this commit, signed, every item proven.

The sandbox is out of reach here: the evidence is built as the harness writes it (signed with
the evidence key) and the health probe's G2A traffic goes to a stub transport that answers as
the sandbox's token endpoint would. Each refusal breaks one thing of that GO.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from gate_support import (
    CONTRACT_FILES,
    TESTED_LAYERS,
    checklist_report,
    commit,
    contract_folders,
    contracts_report,
    envelope,
    git,
    head,
    junit_xml,
    live_environment,
    load_report,
    run_checklist,
    write_ci,
    write_json,
    write_reports,
)

from g2a_adapter.idempotency import open_store
from harness.gate import GateOptions, GateReport, run_gate
from harness.gate.model import Decision
from harness.gate.probe import store_kind
from harness.gate.sources import MAX_FILE_BYTES

KEY = "ci-evidence-key-" + "7" * 16
TEAM_HASH = "TeamSandbox2026"


class SandboxStub:
    """G2A's sandbox token endpoint, as far as the health probe needs it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/oauth/token":
            token = {"access_token": "sandbox-token", "token_type": "bearer", "expires_in": 3600}
            return httpx.Response(200, json=token)
        return httpx.Response(404, json={"code": "NOT_FOUND"})


@pytest.fixture
def stub() -> SandboxStub:
    return SandboxStub()


def existing_sqlite_store(path: Path) -> str:
    """The URL of a SQLite store at `path` that exists, as a deployed service's does."""
    url = f"sqlite:///{path}"
    open_store(url).close()
    return url


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {
        **live_environment(),
        "G2A_IDEMPOTENCY_URL": existing_sqlite_store(tmp_path / "live-store.sqlite3"),
        "G2A_SANDBOX_API_HASH": TEAM_HASH,
        "G2A_SANDBOX_API_KEY": secrets.token_hex(32),
        "G2A_EVIDENCE_KEY": KEY,
        "PATH": "/usr/bin:/bin",
    }


@pytest.fixture
def sandbox_evidence(tmp_path: Path, repo: Path) -> Path:
    write_ci(repo / "reports" / "ci", head(repo), key=KEY)
    return write_reports(
        tmp_path / "evidence", datetime.now(UTC), target="sandbox", commit=head(repo), key=KEY
    )


Gate = Callable[..., GateReport]


@pytest.fixture
def gate(repo: Path, sandbox_evidence: Path, environ: dict[str, str], stub: SandboxStub) -> Gate:
    def judge(**changes: Any) -> GateReport:
        options = {
            "target": "sandbox",
            "evidence_dir": sandbox_evidence,
            "repo": repo,
            "environ": environ,
            "probe_transport": httpx.MockTransport(stub),
            **changes,
        }
        return run_gate(GateOptions(**options))

    return judge


def verdicts(report: GateReport) -> dict[str, str]:
    return {c.id: c.status.value for c in report.checks}


def reason(report: GateReport, check_id: str) -> str:
    return next(c.reason for c in report.checks if c.id == check_id)


def test_sandbox_evidence_of_this_commit_every_item_proven_is_a_go(
    gate: Gate, stub: SandboxStub, sandbox_evidence: Path, repo: Path
) -> None:
    report = gate()
    assert set(verdicts(report).values()) == {"go"}, report.to_dict()["checks"]
    assert (report.decision, report.decision.exit_code, report.go) == (Decision.GO, 0, True)
    assert reason(report, "health") == "200 ok (store, token; sqlite store)"
    assert reason(report, "credentials") == (
        "distinct from the published G2A sandbox credentials, "
        "sandbox credentials (G2A_SANDBOX_API_HASH/KEY)"
    )
    assert {(r.url.host, r.url.path) for r in stub.requests} == {
        ("sandboxapi.g2a.com", "/oauth/token")
    }
    assert f"client_id={TEAM_HASH}" in stub.requests[0].content.decode()
    written = json.loads((sandbox_evidence / "gate.json").read_text())
    assert (written["decision"], written["go"], written["signed"]) == ("GO", True, True)
    assert written["head"] == head(repo)
    judged = {f["path"] for f in written["files"]}
    reports = ("checklist.json", "twin/checklist.json", "contracts.json")
    assert {str(sandbox_evidence / n) for n in reports} <= judged
    assert str(repo / "reports" / "ci" / "tox.json") in judged


# The items whose scenarios are all @twin (the admin surface, faults) as a real sandbox run
# skips them: harness.targets over the feature files, as the bdd plugin deselects them.
TWIN_ONLY = (
    "ops-health, ops-metrics-counters, ops-metrics-latency, ops-metrics-webhook-failures, "
    "ops-webhook-validation, test-e2e, test-unit-retry-policy"
)


def test_a_real_sandbox_run_and_the_full_twin_run_of_the_commit_are_a_go(
    gate: Gate, sandbox_evidence: Path
) -> None:
    """checklist.json as `run --target sandbox` writes it skips the items no sandbox scenario
    proves: the full twin run of the same commit proves them, the sandbox run all others."""
    sandbox_run = json.loads((sandbox_evidence / "checklist.json").read_text())
    skipped = {i["id"] for i in sandbox_run["items"] if i["status"] == "skipped"}
    assert skipped == {*TWIN_ONLY.split(", "), "handoff-green", "handoff-live-switch"}
    report = gate()
    assert report.decision is Decision.GO, report.to_dict()["checks"]
    assert reason(report, "checklist") == (
        "22 of 31 items passed on sandbox; decided by this gate: handoff-green (ci), "
        "handoff-live-switch (live-switch); no sandbox scenario proves (see the twin run): "
        "ops-metrics-counters, ops-metrics-latency, ops-metrics-webhook-failures, ops-health, "
        "ops-webhook-validation, test-unit-retry-policy, test-e2e"
    )
    assert reason(report, "twin-items") == (
        f"7 item(s) no sandbox scenario proves passed on the twin run: {TWIN_ONLY}"
    )


def test_without_the_full_twin_run_of_this_commit_the_twin_only_items_are_a_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    twin = sandbox_evidence / "twin" / "checklist.json"
    fix = f"run `g2a-harness run --target twin --suite full --report-dir {sandbox_evidence}/twin`"
    twin.unlink()
    report = gate()
    assert [c.id for c in report.blocking()] == ["twin-items"]
    assert (reason(report, "twin-items"), report.next_steps()) == (f"{twin} is missing", [fix])
    before = head(repo)
    commit(repo, {"app.py": "print('next')\n"}, "next commit")
    _evidence_of_head(repo, sandbox_evidence)
    write_json(twin, run_checklist(datetime.now(UTC), "twin", before), KEY)  # the last one
    report = gate()
    assert [c.id for c in report.blocking()] == ["twin-items"]
    assert reason(report, "twin-items") == (
        f"{twin} was produced at commit {before[:12]}, the repository is at {head(repo)[:12]}"
    )


def test_a_twin_run_that_did_not_prove_a_twin_only_item_is_a_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    twin_run = run_checklist(datetime.now(UTC), "twin", head(repo))
    next(i for i in twin_run["items"] if i["id"] == "test-e2e")["status"] = "skipped"
    write_json(sandbox_evidence / "twin" / "checklist.json", twin_run, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["twin-items"]
    assert reason(report, "twin-items") == (
        f"{sandbox_evidence}/twin/checklist.json: 1 item(s) no sandbox scenario proves did not "
        "pass on the twin either (test-e2e)"
    )


def test_a_sandbox_run_relabelled_as_the_twin_run_is_a_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    sandbox_run = run_checklist(datetime.now(UTC), "sandbox", head(repo))
    write_json(sandbox_evidence / "twin" / "checklist.json", sandbox_run, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["twin-items"]
    assert reason(report, "twin-items") == (
        f"{sandbox_evidence}/twin/checklist.json was run against 'sandbox', the gate target is "
        "'twin'"
    )


def test_twin_evidence_relabelled_breaks_its_signature(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    write_reports(sandbox_evidence, datetime.now(UTC), target="twin", commit=head(repo), key=KEY)
    for name in ("checklist.json", "contracts.json", "load/load.json"):
        path = sandbox_evidence / name
        path.write_text(path.read_text().replace('"twin"', '"sandbox"'))
    report = gate()
    assert report.decision is Decision.NO_GO
    assert reason(report, "checklist") == (
        f"{sandbox_evidence}/checklist.json has a broken signature "
        "(edited after it was written, or signed with another key)"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"dirty": True}, "checklist.json was produced from a dirty tree"),
        ({"suite": "smoke"}, "checklist.json is a 'smoke' run; the gate needs the full suite"),
        (
            {"base_url": "http://127.0.0.1:8765"},
            "checklist.json called http://127.0.0.1:8765, not the G2A sandbox",
        ),
    ],
)
def test_one_defect_in_a_signed_checklist_is_a_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path, change: dict[str, Any], expected: str
) -> None:
    now = datetime.now(UTC)
    fields = {"target": "sandbox", "base_url": "https://sandboxapi.g2a.com/v1", **change}
    data = checklist_report(now, "sandbox", envelope=envelope(now, head(repo), **fields))
    write_json(sandbox_evidence / "checklist.json", data, KEY)
    report = gate()
    assert report.decision is Decision.NO_GO
    assert expected in reason(report, "checklist")
    assert report.blocking()[0].id == "checklist"


def test_a_skipped_required_item_is_a_no_go(gate: Gate, sandbox_evidence: Path, repo: Path) -> None:
    data = checklist_report(datetime.now(UTC), "sandbox", head(repo))
    next(i for i in data["items"] if i["id"] == "test-int-order-create")["status"] = "skipped"
    write_json(sandbox_evidence / "checklist.json", data, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["checklist"]
    assert reason(report, "checklist").endswith(
        "1 required item(s) skipped (test-int-order-create)"
    )


def test_a_signed_checklist_of_some_items_is_a_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    """The gate compares the report with the project's own checklist.toml, not with itself."""
    data = checklist_report(datetime.now(UTC), "sandbox", head(repo))
    data["items"] = [i for i in data["items"] if i["id"] != "test-e2e"]
    write_json(sandbox_evidence / "checklist.json", data, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["checklist"]
    assert reason(report, "checklist") == (
        f"{sandbox_evidence}/checklist.json lacks 1 of the checklist's 31 items (test-e2e)"
    )


def test_evidence_of_the_previous_commit_is_a_no_go(gate: Gate, repo: Path) -> None:
    before = head(repo)
    commit(repo, {"app.py": "print('next')\n"}, "next commit")
    report = gate()
    assert report.decision is Decision.NO_GO
    blocking = {c.id for c in report.blocking()}
    assert blocking == {"ci", "checklist", "twin-items", "contracts", "load", "metrics"}
    assert f"commit {before[:12]}, the repository is at {head(repo)[:12]}" in reason(report, "load")


def test_a_probe_of_a_twin_never_counts_as_the_sandbox(gate: Gate, stub: SandboxStub) -> None:
    from harness.twin.server import running_twin

    with running_twin() as twin:
        report = gate(target_url=twin.export_url)
    assert [c.id for c in report.blocking()] == ["health"]
    assert reason(report, "health").endswith(
        f"{twin.export_url} is not the G2A sandbox (https://sandboxapi.g2a.com/v1)"
    )


def test_an_in_memory_store_is_not_the_production_store(
    gate: Gate, environ: dict[str, str]
) -> None:
    report = gate(environ={**environ, "G2A_IDEMPOTENCY_URL": "memory://"})
    assert [c.id for c in report.blocking()] == ["health"]
    assert "only an in-memory store was pinged" in reason(report, "health")
    flagged = gate(
        environ={**environ, "G2A_IDEMPOTENCY_URL": "memory://"},
        store_url=environ["G2A_IDEMPOTENCY_URL"],
    )  # --store-url pings a production store the live settings do not name
    assert [c.id for c in flagged.blocking()] == ["health"]
    kind = store_kind(environ["G2A_IDEMPOTENCY_URL"])
    assert reason(flagged, "health").endswith(
        f"the {kind} store of --store-url (the live settings name a memory store) was pinged, "
        "not the one live will use"
    )


def test_store_url_may_reach_the_live_store_by_another_address_not_another_store(
    gate: Gate, environ: dict[str, str], tmp_path: Path
) -> None:
    """A CI machine may reach the production store by another URL (a tunnel): a store of the
    kind the live settings name. Without a store in the live settings the service would use
    its default SQLite file (found by review: --store-url made a Redis stand in for it)."""
    other_address = existing_sqlite_store(tmp_path / "tunnelled-store.sqlite3")
    assert gate(store_url=other_address).decision is Decision.GO
    unset = {k: v for k, v in environ.items() if k != "G2A_IDEMPOTENCY_URL"}
    report = gate(environ=unset, store_url="redis://127.0.0.1:6379/15")
    assert [c.id for c in report.blocking()] == ["health"]
    assert reason(report, "health").endswith(
        "the redis store of --store-url (the live settings name a sqlite store) was pinged, "
        "not the one live will use"
    )


@pytest.mark.parametrize("given_as", ["G2A_IDEMPOTENCY_URL", "--store-url"])
def test_a_sqlite_store_file_absent_here_is_no_go_and_is_not_created(
    gate: Gate, environ: dict[str, str], tmp_path: Path, given_as: str
) -> None:
    """Found by the sandbox walkthrough: a live SQLite URL naming no file on the gate's machine
    (a typo, or a store that lives on the service's host) was opened, which created an empty
    store, and the health check said `200 ok (store, token; sqlite store)`."""
    absent = tmp_path / "typo-store.sqlite3"
    url = f"sqlite:///{absent}"
    if given_as == "--store-url":
        report = gate(store_url=url)
    else:
        report = gate(environ={**environ, "G2A_IDEMPOTENCY_URL": url})

    assert [c.id for c in report.blocking()] == ["health"]
    assert reason(report, "health").endswith(
        f"idempotency store 'sqlite' unavailable: no file {absent} on this machine; the gate "
        "pings the store live will use and creates none: run it where that file is, or give "
        "--store-url"
    )
    assert not absent.exists()


def test_without_the_key_the_same_evidence_is_unsigned_and_said_so(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path
) -> None:
    """Without the key no signature is checked: a no-go, unless the operator accepts unsigned
    evidence by name, which gate.json and gate.md record."""
    unsigned = {k: v for k, v in environ.items() if k != "G2A_EVIDENCE_KEY"}
    report = gate(environ=unsigned)
    assert (report.decision, report.signed) == (Decision.NO_GO, False)
    assert [c.id for c in report.blocking()] == ["signing"]
    report = gate(environ=unsigned, allow_unsigned=True)
    assert (report.decision, report.signed) == (Decision.GO, False)
    written = json.loads((sandbox_evidence / "gate.json").read_text())
    assert (written["evidence_key"], written["unsigned_allowed"]) == ("unset", True)
    markdown = (sandbox_evidence / "gate.md").read_text()
    assert (
        "- evidence: unsigned (G2A_EVIDENCE_KEY is not set: signatures were not checked; "
        "accepted by --allow-unsigned-evidence)"
    ) in markdown
    assert gate(environ={**environ, "G2A_EVIDENCE_KEY": "another-key"}).decision is (Decision.NO_GO)


def test_an_empty_key_is_no_signature_at_all_and_said_so(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path
) -> None:
    """GitHub passes "" for a secret the job cannot read: that must not read as unsigned-OK,
    even over hand-edited evidence."""
    path = sandbox_evidence / "load" / "load.json"
    data = json.loads(path.read_text())
    data["slos"][0]["actual"] = 9999.0  # a breach hidden after signing
    path.write_text(json.dumps(data))
    report = gate(environ={**environ, "G2A_EVIDENCE_KEY": ""})
    assert report.decision is Decision.NO_GO
    assert [c.id for c in report.blocking()] == ["signing"]
    assert reason(report, "signing") == (
        "G2A_EVIDENCE_KEY is set but empty (a CI secret the job cannot read?): "
        "no signature was checked"
    )
    assert (
        "- evidence: unsigned (G2A_EVIDENCE_KEY is set but empty"
        in (sandbox_evidence / "gate.md").read_text()
    )


def test_unsigned_twin_evidence_relabelled_is_refused_even_with_a_healthy_sandbox(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path, repo: Path
) -> None:
    """No key, no --target-url (the probe reaches the stubbed sandbox and is green): the
    envelope still names the twin's loopback URL the run called."""
    write_reports(sandbox_evidence, datetime.now(UTC), target="twin", commit=head(repo))
    for name in ("checklist.json", "contracts.json", "load/load.json"):
        path = sandbox_evidence / name
        path.write_text(path.read_text().replace('"twin"', '"sandbox"'))
    unsigned = {k: v for k, v in environ.items() if k != "G2A_EVIDENCE_KEY"}
    report = gate(environ=unsigned)
    assert report.decision is Decision.NO_GO
    assert verdicts(report)["health"] == "go"
    assert reason(report, "checklist") == (
        f"{sandbox_evidence}/checklist.json called http://127.0.0.1:8765, "
        "not the G2A sandbox (https://sandboxapi.g2a.com/v1)"
    )


# Found by review: evidence that looked like a GO and was not one ---------------------------
@pytest.mark.parametrize("store", [" memory://", "sqlite:///:memory:", "MEMORY://"])
def test_a_store_that_keeps_nothing_is_not_the_production_store(
    gate: Gate, environ: dict[str, str], store: str
) -> None:
    report = gate(environ={**environ, "G2A_IDEMPOTENCY_URL": store})
    assert [c.id for c in report.blocking()] == ["health"]
    assert "only an in-memory store was pinged" in reason(report, "health")
    assert [c.id for c in gate(store_url=store).blocking()] == ["health"]


def test_the_sandbox_store_never_stands_in_for_the_production_store(
    gate: Gate, environ: dict[str, str], tmp_path: Path
) -> None:
    live = {k: v for k, v in environ.items() if k != "G2A_IDEMPOTENCY_URL"}
    sandbox_store = existing_sqlite_store(tmp_path / "sandbox-store.sqlite3")
    report = gate(environ={**live, "G2A_SANDBOX_IDEMPOTENCY_URL": sandbox_store})
    assert [c.id for c in report.blocking()] == ["health"]
    assert reason(report, "health").endswith(
        "the sqlite store of G2A_SANDBOX_IDEMPOTENCY_URL was pinged, not the one live will use"
    )


def test_a_layer_whose_tests_were_all_skipped_is_not_green(gate: Gate, repo: Path) -> None:
    junit = {
        layer: junit_xml(layer, passed=0, skipped=50, backends=2 if layer == "integration" else 0)
        for layer in TESTED_LAYERS
    }
    write_ci(repo / "reports" / "ci", head(repo), key=KEY, junit=junit)
    report = gate()
    assert [c.id for c in report.blocking()] == ["ci"]
    assert "unit: 50 of 50 test(s) skipped (a CI=true run skips none: was CI=true set?)" in next(
        c["details"] for c in report.to_dict()["checks"] if c["id"] == "ci"
    )


def test_a_live_key_added_in_a_merge_commit_is_found(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path, repo: Path
) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"feature.py": "x = 1\n"}, "feature")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"other.py": "y = 2\n"}, "other")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "feature")
    commit(repo, {"settings.py": f"LIVE = '{environ['G2A_API_KEY']}'\n"}, "merge feature")
    commit(repo, {"settings.py": None}, "remove the key")  # the tree is clean again
    _evidence_of_head(repo, sandbox_evidence)
    report = gate()
    assert [c.id for c in report.blocking()] == ["secrets"]
    assert "settings.py" in reason(report, "secrets")


def test_a_live_key_in_a_stash_is_found(gate: Gate, environ: dict[str, str], repo: Path) -> None:
    (repo / "app.py").write_text(f"KEY = '{environ['G2A_API_KEY']}'\n")
    git(repo, "stash", "-q")
    report = gate()
    assert [c.id for c in report.blocking()] == ["secrets"]
    assert "app.py" in reason(report, "secrets")


@pytest.mark.parametrize(
    ("name", "committed"),
    [
        # the HMAC key every signature depends on; a word-only value no key shape catches
        ("G2A_EVIDENCE_KEY", "export G2A_EVIDENCE_KEY={value}\n"),
        # the team's own sandbox key, under a name no key shape knows
        ("G2A_SANDBOX_API_KEY", '{{"account": "team", "sbx": "{value}"}}\n'),
    ],
)
def test_the_evidence_key_and_the_team_s_sandbox_key_are_secrets_too(
    gate: Gate,
    environ: dict[str, str],
    sandbox_evidence: Path,
    repo: Path,
    name: str,
    committed: str,
) -> None:
    if name == "G2A_EVIDENCE_KEY":
        environ[name] = "correct-horse-battery-staple-gate"
    commit(repo, {"ops/settings.txt": committed.format(value=environ[name])}, "settings")
    _evidence_of_head(repo, sandbox_evidence, key=environ["G2A_EVIDENCE_KEY"])
    report = gate()
    assert [c.id for c in report.blocking()] == ["secrets"]
    assert reason(report, "secrets").startswith(
        f"2 secret(s) found in {repo}: ops/settings.txt:1: the configured {name} value"
    )


@pytest.mark.parametrize("hidden", [False, True])
def test_a_checkout_with_uncommitted_changes_is_a_no_go(
    gate: Gate, repo: Path, hidden: bool
) -> None:
    """The evidence proves HEAD; an edited checkout is not what it proved."""
    if hidden:  # an edit `git status` does not show
        git(repo, "update-index", "--skip-worktree", "tox.ini")
    (repo / "tox.ini").write_text("[tox]\n")
    report = gate()
    assert [c.id for c in report.blocking()] == ["checkout"]
    assert reason(report, "checkout") == (
        f"{repo} has uncommitted changes at {head(repo)[:12]} (git status; with "
        "assume-unchanged or skip-worktree files: git ls-files -v): HEAD is not what is judged"
    )


def test_new_files_too_large_to_scan_are_a_no_go(gate: Gate, repo: Path) -> None:
    (repo / "debug.log").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    report = gate()
    assert [c.id for c in report.blocking()] == ["secrets", "checkout"]  # new, untracked
    assert reason(report, "secrets").endswith("too large to scan in " + f"{repo}: debug.log")


def test_a_live_key_in_a_new_binary_file_is_found(
    gate: Gate, environ: dict[str, str], repo: Path
) -> None:
    (repo / "dump.bin").write_bytes(b"\0\1" + f"G2A_API_KEY={environ['G2A_API_KEY']}".encode())
    report = gate()
    assert [c.id for c in report.blocking()] == ["secrets", "checkout"]  # new, untracked
    assert "dump.bin" in reason(report, "secrets")


def test_signed_evidence_of_an_unexpected_shape_is_that_checks_no_go_and_gate_json_is_new(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    assert gate().decision is Decision.GO
    load = load_report(datetime.now(UTC), head(repo))
    load["invariants"][0]["name"] = ["no-double-charge"]  # a list where a name belongs
    write_json(sandbox_evidence / "load" / "load.json", load, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["load"]
    assert reason(report, "load").startswith("the evidence could not be judged (TypeError: ")
    written = json.loads((sandbox_evidence / "gate.json").read_text())
    assert (written["decision"], written["go"]) == ("NO-GO", False)


def test_an_envelope_base_url_that_is_not_a_url_is_refused(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    for base_url in (5, "https://sandboxapi.g2a.com:99999/v1"):
        checklist = checklist_report(datetime.now(UTC), "sandbox", head(repo))
        checklist["envelope"]["base_url"] = base_url
        write_json(sandbox_evidence / "checklist.json", checklist, KEY)
        report = gate()
        assert "checklist" in [c.id for c in report.blocking()], base_url


def _evidence_of_head(repo: Path, evidence: Path, key: str = KEY) -> None:
    """CI and reports again, for the commit HEAD is now."""
    write_ci(repo / "reports" / "ci", head(repo), key=key)
    write_reports(evidence, datetime.now(UTC), target="sandbox", commit=head(repo), key=key)


@pytest.mark.parametrize(
    ("cut", "shown"),
    [
        ({"run_time_s": 5}, "run_time_s 5, the profile's 20"),
        ({"users": 1}, "users 1, the profile's 6"),
        ({"run_time_s": None}, "run_time_s None, the profile's 20"),
    ],
)
def test_a_smoke_load_run_cut_short_is_not_the_smoke_profile(
    gate: Gate, sandbox_evidence: Path, repo: Path, cut: dict[str, Any], shown: str
) -> None:
    load = load_report(datetime.now(UTC), head(repo), **cut)
    write_json(sandbox_evidence / "load" / "load.json", load, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["load"]
    assert reason(report, "load").endswith(f"ran the smoke profile cut down ({shown})")


def test_contracts_verified_from_a_smaller_pact_set_are_no_go(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    """`contracts verify --pacts DIR` with one pact of two verifies green, signed and fresh:
    the gate compares what it read with the pacts committed at HEAD."""
    smaller = {k: v for k, v in CONTRACT_FILES.items() if "import-api" not in k}
    data = contracts_report(datetime.now(UTC), head(repo))
    data["sources"]["verify"]["pacts"] = {**contract_folders(smaller)["pacts"], "dir": "/tmp/p"}
    write_json(sandbox_evidence / "contracts.json", data, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["contracts"]
    assert reason(report, "contracts").endswith(
        "the verify part read the pacts of /tmp/p (1 file(s)), not those committed at HEAD in "
        "contracts/pacts"
    )
    commit(repo, {"contracts/pacts/g2a-adapter-g2a-import-api.json": None}, "one pact less")
    _evidence_of_head(repo, sandbox_evidence)  # the full set is no longer what HEAD holds
    assert [c.id for c in gate().blocking()] == ["contracts"]


def test_live_settings_without_g2a_env_are_no_go(gate: Gate, environ: dict[str, str]) -> None:
    report = gate(environ={k: v for k, v in environ.items() if k != "G2A_ENV"})
    assert [c.id for c in report.blocking()] == ["config"]
    assert reason(report, "config").startswith("G2A_ENV is not set in the environment")


def test_a_live_host_other_than_g2a_is_go_only_when_the_operator_confirms_it(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path
) -> None:
    host = "g2a-proxy.example.net"
    proxied = {**environ, "G2A_API_URL": f"https://{host}/v1", "G2A_ALLOWED_HOSTS": host}
    report = gate(environ=proxied)
    assert (report.decision, [c.id for c in report.blocking()]) == (Decision.NO_GO, ["config"])
    report = gate(environ=proxied, confirm_live_host=host)
    assert report.decision is Decision.GO
    written = json.loads((sandbox_evidence / "gate.json").read_text())
    assert written["confirmed_live_host"] == host
    assert (
        f"- live host confirmed by the operator: `{host}`"
        in (sandbox_evidence / "gate.md").read_text()
    )


def test_a_rehearsal_that_skipped_items_the_twin_proves_is_no_go(
    gate: Gate, environ: dict[str, str], sandbox_evidence: Path, repo: Path
) -> None:
    write_reports(sandbox_evidence, datetime.now(UTC), target="twin", commit=head(repo), key=KEY)
    data = checklist_report(datetime.now(UTC), "twin", head(repo))
    for entry in data["items"][2:]:
        entry["status"] = "skipped"
    write_json(sandbox_evidence / "checklist.json", data, KEY)
    twin_env = {k: v for k, v in environ.items() if not k.startswith("G2A_") or "EVIDENCE" in k}
    report = gate(target="twin", environ=twin_env, probe_transport=None)
    assert report.decision is Decision.NO_GO
    assert [c.id for c in report.blocking()] == ["checklist"]
    assert "required item(s) skipped (env-defaults, " in reason(report, "checklist")


def test_a_sandbox_run_without_prometheus_has_one_fix_with_everything_it_needs(
    gate: Gate, sandbox_evidence: Path, repo: Path
) -> None:
    """The dashboards item unproven (no --prometheus-url): the checklist and the dashboards
    checks name one command, writing where the gate reads and proving the dashboards."""
    data = run_checklist(datetime.now(UTC), "sandbox", head(repo))
    unproven = "not proven: pass --prometheus-url with the Prometheus that scrapes your service"
    data["dashboards"] = {"status": "not proven", "reason": unproven, "queries": []}
    dashboards = next(i for i in data["items"] if i["id"] == "handoff-dashboards")
    dashboards["status"] = "skipped"
    write_json(sandbox_evidence / "checklist.json", data, KEY)
    report = gate()
    assert [c.id for c in report.blocking()] == ["checklist", "metrics"]
    assert report.next_steps() == [
        "make the skipped items run on the sandbox, then run `g2a-harness run --target sandbox "
        f"--suite full --report-dir {sandbox_evidence} --prometheus-url URL`",
    ]
