"""The gate's result types: one `CheckResult` per evidence item, one `GateReport` overall."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Status(enum.Enum):
    GO = "go"
    NO_GO = "no-go"
    WARN = "warn"  # worth reading, does not block the switch


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

    @property
    def go(self) -> bool:
        return bool(self.checks) and not any(check.blocks for check in self.checks)

    @property
    def decision(self) -> str:
        return Status.GO.value if self.go else Status.NO_GO.value

    def blocking(self) -> list[CheckResult]:
        return [check for check in self.checks if check.blocks]

    def warnings(self) -> list[CheckResult]:
        return [check for check in self.checks if check.status is Status.WARN]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "gate",
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "target": self.target,
            "passed": self.go,
            "decision": self.decision,
            "live_base_url": self.live_base_url,
            "max_age_hours": self.max_age_hours,
            "checks": [check.to_dict() for check in self.checks],
            "produced": list(self.produced),
        }
