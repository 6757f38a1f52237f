"""The evidence is signed: a sandbox gate without `G2A_EVIDENCE_KEY` checks no signature, so
any hand-edited report would pass. Only `--allow-unsigned-evidence` lets it through, and the
report says so."""

from __future__ import annotations

from harness.envelope import EVIDENCE_KEY_ENV
from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult, Status

ID = "signing"
TITLE = "Evidence signed"
ALLOW_UNSIGNED = "--allow-unsigned-evidence"
_KEY_STATES = {
    "unset": f"{EVIDENCE_KEY_ENV} is not set",
    "empty": f"{EVIDENCE_KEY_ENV} is set but empty (a CI secret the job cannot read?)",
}


def check_signing(evidence: Evidence) -> CheckResult:
    if evidence.evidence_key == "set":
        reason = "every report's HMAC was checked"
        return CheckResult(ID, TITLE, Status.GO, reason, EVIDENCE_KEY_ENV)
    reason = f"{_KEY_STATES[evidence.evidence_key]}: no signature was checked"
    if evidence.target != "sandbox":
        reason += "; the sandbox gate needs the key"
        return CheckResult(ID, TITLE, Status.FOR_SANDBOX, reason, EVIDENCE_KEY_ENV)
    if evidence.allow_unsigned:
        reason += f"; unsigned evidence accepted by the operator ({ALLOW_UNSIGNED})"
        return CheckResult(ID, TITLE, Status.GO, reason, EVIDENCE_KEY_ENV)
    fix = (
        f"set {EVIDENCE_KEY_ENV} to the key the evidence was signed with (or, knowingly, pass "
        f"{ALLOW_UNSIGNED})"
    )
    return CheckResult(ID, TITLE, Status.NO_GO, reason, EVIDENCE_KEY_ENV, fix)
