"""`g2a-harness gate --run-missing` from an empty evidence dir: the rehearsal runs the real
commands (the checklist, the contract verification and drift check, the smoke load run) as
child processes, as an operator's first gate run does.

Apart from the gate's other end-to-end tests (test_gate_cli.py): it lasts about 100 s, and
alone in its module, marked `longest`, one pytest-xdist worker starts with it while the others
run the rest of the layer.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from gate_support import ALL_GO, GateRun, full_junit, head, write_ci

Run = Callable[..., GateRun]
pytestmark = pytest.mark.longest


def test_run_missing_produces_every_report_from_an_empty_evidence_dir(
    run_gate: Run,
    evidence: Path,
    snapshot: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rehearsal: the real commands, as child processes, into an empty dir, signed with
    the evidence key; no live settings given. Exit 3, REHEARSAL, never a go."""
    import os

    for name in [n for n in os.environ if n.startswith("G2A_")]:
        monkeypatch.delenv(name)
    key = secrets.token_hex(16)  # never a value in the repository: the gate searches for it
    monkeypatch.setenv("G2A_EVIDENCE_KEY", key)
    monkeypatch.chdir(snapshot)
    for path in sorted(evidence.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    write_ci(snapshot / "reports" / "ci", head(snapshot), key=key, junit=full_junit(snapshot))

    run = run_gate("--run-missing", in_repo=snapshot, ci=False)

    shown = str(evidence)
    assert [(p["command"], p["exit_code"]) for p in run.report["produced"]] == [
        (f"g2a-harness run --target twin --suite full --report-dir {shown}", 0),
        (f"g2a-harness contracts verify --report-dir {shown}", 0),
        (f"g2a-harness contracts drift --report-dir {shown}", 0),
        (f"g2a-harness load --profile smoke --target twin --report-dir {shown}", 0),
    ]
    assert run.code == 3, run.markdown
    assert (run.report["decision"], run.report["go"], run.report["signed"]) == (
        "REHEARSAL",
        False,
        True,
    )
    assert run.verdicts() == {
        **ALL_GO,
        "signing": "go",  # the rehearsal signed and checked its evidence
        "config": "for sandbox",
        "credentials": "for sandbox",
    }
    checklist = json.loads((evidence / "checklist.json").read_text())
    contracts = json.loads((evidence / "contracts.json").read_text())
    load = json.loads((evidence / "load" / "load.json").read_text())
    assert (checklist["target"], checklist["suite"], checklist["passed"]) == ("twin", "full", True)
    for envelope in (checklist["envelope"], load["envelope"], *contracts["parts"].values()):
        assert (envelope["commit"], envelope["dirty"]) == (head(snapshot), False)
    assert (checklist["envelope"]["host"], checklist["envelope"]["suite"]) == ("127.0.0.1", "full")
    assert all(r["signature"]["alg"] == "hmac-sha256" for r in (checklist, contracts, load))
    assert (contracts["pacts_verified"], contracts["drift_checked"], contracts["passed"]) == (
        True,
        True,
        True,
    )
    assert (load["profile"], load["target"], load["passed"]) == ("smoke", "twin", True)
    assert run.check("checklist")["reason"].endswith(
        "decided by this gate: handoff-green (ci), handoff-live-switch (live-switch); "
        "left for the sandbox run: handoff-sandbox-smoke"
    )
    verdict = run.out[run.out.rindex("gate --run-missing: ") :].split("\n", 1)[1]
    assert verdict.startswith("decision: REHEARSAL (exit 3)")  # after the steps it announced
