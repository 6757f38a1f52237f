"""The live settings pass the adapter's own URL and credential rules for `live`."""

from __future__ import annotations

from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult, Status

ID = "config"
TITLE = "Live configuration"
EXAMPLE = (
    "G2A_ENV=live G2A_API_URL=https://api.g2a.com/v1 "
    "G2A_API_HASH=<live hash> G2A_API_KEY=<live key>"
)


def for_sandbox(check_id: str, title: str, evidence: Evidence) -> CheckResult | None:
    """In a twin rehearsal without live settings: the item is left to the sandbox gate."""
    if evidence.target == "sandbox" or evidence.live.given:
        return None
    reason = f"no live settings in {evidence.live.source}: the sandbox gate checks them"
    return CheckResult(check_id, title, Status.FOR_SANDBOX, reason, evidence.live.source)


def check_live_config(evidence: Evidence) -> CheckResult:
    live = evidence.live
    if skipped := for_sandbox(ID, TITLE, evidence):
        return skipped
    if live.declared_env is not None and live.declared_env.strip().lower() != "live":
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"G2A_ENV is '{live.declared_env}' in {live.source}, not 'live'",
            evidence=live.source,
            fix="the deployment must set G2A_ENV=live (or leave it unset in the live env file)",
        )
    if live.error is not None or live.base_url is None:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"live settings from {live.source} are refused: {live.error}",
            evidence=live.source,
            fix=f"fix the live settings, e.g. {EXAMPLE}",
        )
    return CheckResult(
        ID,
        TITLE,
        Status.GO,
        f"valid for live; base URL {live.base_url} (confirm this is G2A production)",
        evidence=live.source,
    )
