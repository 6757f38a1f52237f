"""The gate's result types: one `CheckResult` per evidence item, one `GateReport` overall.

Decisions and exit codes: `GO` (0) every item proven for this commit (on the sandbox where
it can run there); `NO-GO` (1) any item not proven; `REHEARSAL` (3) a twin run where every item
the twin can prove passed; it is never a go. Usage errors exit 2 before a report exists.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Status(enum.Enum):
    GO = "go"
    NO_GO = "no-go"
    # only in a twin rehearsal: an item only the sandbox run (or the live settings) can prove
    FOR_SANDBOX = "for sandbox"


class Decision(enum.Enum):
    GO = ("GO", 0)
    NO_GO = ("NO-GO", 1)
    REHEARSAL = ("REHEARSAL", 3)

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def exit_code(self) -> int:
        return self.value[1]


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one piece of evidence.

    `reason` says what is wrong (or what was confirmed), `fix` the command or change that makes it
    go; `evidence` names the file, URL or setting the verdict was drawn from.
    """

    id: str
    title: str
    status: Status
    reason: str
    evidence: str
    fix: str = ""
    details: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.status is Status.NO_GO

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "fix": self.fix,
            "evidence": self.evidence,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class GateReport:
    target: str
    generated_at: datetime
    checks: tuple[CheckResult, ...]
    live_base_url: str | None = None
    max_age_hours: float = 24.0
    # Commands `--run-missing` ran: {"evidence", "command", "exit_code"} each.
    produced: tuple[dict[str, Any], ...] = ()
    head: str | None = None  # the commit judged
    signed: bool = False  # G2A_EVIDENCE_KEY was set: every report's HMAC was checked
    evidence_key: str = "unset"  # G2A_EVIDENCE_KEY: `set`, `empty` (set to "") or `unset`
    unsigned_allowed: bool = False  # --allow-unsigned-evidence was passed
    confirmed_live_host: str | None = None  # --confirm-live-host: the operator's word
    files: tuple[tuple[str, str], ...] = ()  # (path, sha256) of every file judged

    @property
    def decision(self) -> Decision:
        if not self.checks or any(check.blocks for check in self.checks):
            return Decision.NO_GO
        if self.target != "sandbox":
            return Decision.REHEARSAL
        proven = all(check.status is Status.GO for check in self.checks)
        return Decision.GO if proven else Decision.NO_GO

    @property
    def go(self) -> bool:
        return self.decision is Decision.GO

    def blocking(self) -> list[CheckResult]:
        return [check for check in self.checks if check.blocks]

    def next_steps(self) -> list[str]:
        """What to run, in order, to turn a no-go into a go: each distinct fix once."""
        if self.decision is not Decision.NO_GO:
            return []
        fixes = [check.fix for check in self.blocking() if check.fix]
        return list(dict.fromkeys(fixes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "gate",
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "target": self.target,
            "decision": self.decision.label,
            "go": self.go,
            "exit_code": self.decision.exit_code,
            "head": self.head,
            "signed": self.signed,
            "evidence_key": self.evidence_key,
            "unsigned_allowed": self.unsigned_allowed,
            "confirmed_live_host": self.confirmed_live_host,
            "live_base_url": self.live_base_url,
            "max_age_hours": self.max_age_hours,
            "next_steps": self.next_steps(),
            "checks": [check.to_dict() for check in self.checks],
            "produced": list(self.produced),
            "files": [{"path": path, "sha256": digest} for path, digest in self.files],
        }
