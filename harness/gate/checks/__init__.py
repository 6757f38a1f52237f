"""One pure check per evidence item: `(Evidence) -> CheckResult`, in the order the gate shows."""

from __future__ import annotations

from collections.abc import Callable

from harness.gate.checks.checkout import check_checkout
from harness.gate.checks.ci import check_ci
from harness.gate.checks.config import check_live_config
from harness.gate.checks.credentials import check_credentials_distinct
from harness.gate.checks.observability import check_health, check_metrics
from harness.gate.checks.reports import (
    check_checklist,
    check_contracts,
    check_load,
    check_twin_items,
)
from harness.gate.checks.secrets import check_repository_secrets
from harness.gate.checks.signing import check_signing
from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult, Status

Check = Callable[[Evidence], CheckResult]
CHECKS: tuple[tuple[str, Check], ...] = (
    ("signing", check_signing),
    ("config", check_live_config),
    ("credentials", check_credentials_distinct),
    ("secrets", check_repository_secrets),
    ("checkout", check_checkout),
    ("ci", check_ci),
    ("checklist", check_checklist),
    ("twin-items", check_twin_items),
    ("contracts", check_contracts),
    ("load", check_load),
    ("health", check_health),
    ("metrics", check_metrics),
)


def evaluate(evidence: Evidence) -> tuple[CheckResult, ...]:
    return tuple(_judged(check_id, check, evidence) for check_id, check in CHECKS)


def _judged(check_id: str, check: Check, evidence: Evidence) -> CheckResult:
    """The check's verdict. Evidence it cannot read (a signed report of an unexpected shape,
    say) is that check's no-go, never a crash that leaves an older gate.json in place."""
    try:
        return check(evidence)
    except Exception as exc:
        return CheckResult(
            check_id,
            f"The {check_id} check",
            Status.NO_GO,
            f"the evidence could not be judged ({type(exc).__name__}: {exc})",
            evidence="",
            fix="regenerate the evidence with g2a-harness; if it is fresh, this is a gate bug",
        )
