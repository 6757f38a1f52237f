"""One pure check per evidence item: `(Evidence) -> CheckResult`, in the order the gate shows."""

from __future__ import annotations

from collections.abc import Callable

from harness.gate.checks.ci import check_ci
from harness.gate.checks.config import check_live_config
from harness.gate.checks.credentials import check_credentials_distinct
from harness.gate.checks.observability import check_health, check_metrics
from harness.gate.checks.reports import check_checklist, check_contracts, check_load
from harness.gate.checks.secrets import check_repository_secrets
from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult

CHECKS: tuple[Callable[[Evidence], CheckResult], ...] = (
    check_live_config,
    check_credentials_distinct,
    check_repository_secrets,
    check_ci,
    check_checklist,
    check_contracts,
    check_load,
    check_health,
    check_metrics,
)


def evaluate(evidence: Evidence) -> tuple[CheckResult, ...]:
    return tuple(check(evidence) for check in CHECKS)
