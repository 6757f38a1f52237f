"""Live credentials are not any sandbox credentials (published or the team's own)."""

from __future__ import annotations

import hmac

from harness.gate.checks.config import for_sandbox
from harness.gate.evidence import Evidence
from harness.gate.model import CheckResult, Status

ID = "credentials"
TITLE = "Live credentials differ from sandbox"


def _same(a: str, b: str) -> bool:
    """Equal but for surrounding blanks and letter case: G2A does not say whether its keys
    are case-sensitive, so a live key that differs from a sandbox one only in case is not
    trusted to be another key (docs/g2a-api.md)."""
    return bool(a) and hmac.compare_digest(
        a.strip().casefold().encode(), b.strip().casefold().encode()
    )


def check_credentials_distinct(evidence: Evidence) -> CheckResult:
    live = evidence.live
    if skipped := for_sandbox(ID, TITLE, evidence):
        return skipped
    if not live.api_hash or not live.api_key:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"G2A_API_HASH and G2A_API_KEY must both be set in {live.source}",
            evidence=live.source,
            fix="set the live G2A_API_HASH and G2A_API_KEY (from the production G2A dashboard)",
        )
    clashes = []
    for sandbox in evidence.sandbox_credentials:
        names = [
            name
            for name, same in (
                ("G2A_API_HASH", _same(live.api_hash, sandbox.api_hash)),
                ("G2A_API_KEY", _same(live.api_key, sandbox.api_key)),
                ("G2A_OAUTH_CLIENT_SECRET", _same(live.oauth_client_secret, sandbox.api_key)),
            )
            if same
        ]
        if names:
            clashes.append(f"{' and '.join(names)} equal the {sandbox.label}")
    if clashes:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"live {'; '.join(clashes)}",
            evidence=live.source,
            fix="configure the production credentials from the live G2A dashboard, "
            "not the sandbox ones",
        )
    labels = ", ".join(s.label for s in evidence.sandbox_credentials)
    own = [s for s in evidence.sandbox_credentials if not s.published and s.complete]
    if evidence.target == "sandbox" and not own:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"distinct from the {labels}, but the sandbox run's own credentials were not given",
            evidence=live.source,
            fix="set G2A_SANDBOX_API_HASH and G2A_SANDBOX_API_KEY so the gate compares them too",
        )
    return CheckResult(ID, TITLE, Status.GO, f"distinct from the {labels}", evidence=live.source)
