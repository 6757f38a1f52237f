"""The checkout the gate judges is HEAD as committed: every report is bound to HEAD, so an
uncommitted change (or an edit git was told not to look at) is not what the evidence proved."""

from __future__ import annotations

from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult, Status
from harness.gate.provenance import short

ID = "checkout"
TITLE = "Checkout clean at HEAD"


def check_checkout(evidence: Evidence) -> CheckResult:
    head, where = evidence.binding.head, evidence.repo.root or "the working directory"
    if head is None:
        reason = f"{where} has no commit to judge (not a git repository, or git failed)"
        fix = "run the gate in the repository checkout (git available)"
        return CheckResult(ID, TITLE, Status.NO_GO, reason, where, fix)
    if evidence.binding.dirty:
        reason = (
            f"{where} has uncommitted changes at {short(head)} (git status; with "
            "assume-unchanged or skip-worktree files: git ls-files -v): HEAD is not what is judged"
        )
        fix = "commit or remove the changes, then run the gate on the clean checkout"
        return CheckResult(ID, TITLE, Status.NO_GO, reason, where, fix)
    return CheckResult(ID, TITLE, Status.GO, f"no uncommitted change at {short(head)}", where)
