"""Unsigned evidence: a sandbox gate without G2A_EVIDENCE_KEY checks no signature, so it is a
no-go unless the operator accepts it by name (`--allow-unsigned-evidence`), on the record."""

from __future__ import annotations

import dataclasses

import pytest

from harness.envelope import evidence_key, evidence_key_state
from harness.gate.checks.signing import check_signing
from harness.gate.evidence import Evidence
from harness.gate.model import Decision, Status
from harness.gate.render import signing_line, to_markdown
from harness.gate.runner import judge


def test_key_states() -> None:
    assert evidence_key_state({}) == "unset"
    assert evidence_key_state({"G2A_EVIDENCE_KEY": ""}) == "empty"
    assert evidence_key_state({"G2A_EVIDENCE_KEY": "k"}) == "set"
    assert evidence_key({"G2A_EVIDENCE_KEY": ""}) is None  # nothing is signed with ""


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ("unset", "G2A_EVIDENCE_KEY is not set"),
        ("empty", "G2A_EVIDENCE_KEY is set but empty (a CI secret the job cannot read?)"),
    ],
)
def test_a_sandbox_gate_without_the_key_is_no_go(
    sandbox_clean: Evidence, state: str, said: str
) -> None:
    evidence = dataclasses.replace(sandbox_clean, evidence_key=state)
    result = check_signing(evidence)
    assert (result.status, result.reason) == (Status.NO_GO, f"{said}: no signature was checked")
    assert "--allow-unsigned-evidence" in result.fix
    report = judge(evidence)
    assert report.decision is Decision.NO_GO
    assert [c.id for c in report.blocking()] == ["signing"]


def test_an_empty_key_is_reported_as_set_but_empty(sandbox_clean: Evidence) -> None:
    report = judge(dataclasses.replace(sandbox_clean, evidence_key="empty"))
    assert report.to_dict()["evidence_key"] == "empty"
    assert signing_line(report) == (
        "evidence: unsigned (G2A_EVIDENCE_KEY is set but empty: signatures were not checked)"
    )


def test_the_opt_out_is_explicit_and_recorded(sandbox_clean: Evidence) -> None:
    evidence = dataclasses.replace(sandbox_clean, evidence_key="unset", allow_unsigned=True)
    report = judge(evidence)
    assert report.decision is Decision.GO
    assert (report.to_dict()["unsigned_allowed"], report.to_dict()["signed"]) == (True, False)
    assert "accepted by --allow-unsigned-evidence" in to_markdown(report)


def test_a_rehearsal_without_the_key_leaves_it_to_the_sandbox(clean: Evidence) -> None:
    result = check_signing(dataclasses.replace(clean, evidence_key="unset"))
    assert result.status is Status.FOR_SANDBOX
    assert result.reason.endswith("; the sandbox gate needs the key")


def test_with_the_key_every_signature_is_checked(sandbox_clean: Evidence) -> None:
    result = check_signing(sandbox_clean)
    assert (result.status, result.reason) == (Status.GO, "every report's HMAC was checked")
