"""The live settings pass the adapter's own URL and credential rules for `live`, declare
`G2A_ENV=live` themselves, and call G2A's production host (or one the operator confirmed)."""

from __future__ import annotations

from g2a_adapter.wire import LIVE_HOST
from harness.envelope import host_of
from harness.gate.evidence import Evidence, LiveConfig
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


def _no_go(live: LiveConfig, reason: str, fix: str) -> CheckResult:
    return CheckResult(ID, TITLE, Status.NO_GO, reason, evidence=live.source, fix=fix)


def _env_problem(live: LiveConfig) -> str | None:
    """Why the settings do not start the adapter as live: it reads a missing G2A_ENV as
    sandbox, and refuses the live host at start-up."""
    if live.declared_env is None:
        return (
            f"G2A_ENV is not set in {live.source}: the adapter would start as sandbox "
            "(and refuse the live URL)"
        )
    if live.declared_env.strip().lower() != "live":
        return f"G2A_ENV is '{live.declared_env}' in {live.source}, not 'live'"
    return None


def check_live_config(evidence: Evidence) -> CheckResult:
    live = evidence.live
    if skipped := for_sandbox(ID, TITLE, evidence):
        return skipped
    if env_problem := _env_problem(live):
        return _no_go(live, env_problem, "the deployment must set G2A_ENV=live")
    if live.error is not None or live.base_url is None:
        reason = f"live settings from {live.source} are refused: {live.error}"
        return _no_go(live, reason, f"fix the live settings, e.g. {EXAMPLE}")
    urls = (("base URL", live.base_url, "/v1"), ("Import API URL", live.import_url, ""))
    for name, url, path in urls:
        if url is not None and (problem := _unconfirmed_host(live, name, url, path)):
            return problem
    host = host_of(live.base_url)
    if host == LIVE_HOST:
        reason = f"valid for live; base URL {live.base_url} (G2A production, {LIVE_HOST})"
        return CheckResult(ID, TITLE, Status.GO, reason, evidence=live.source)
    reason = (
        f"valid for live; base URL {live.base_url} on {host}, confirmed as G2A production by "
        f"the operator (--confirm-live-host {host})"
    )
    return CheckResult(ID, TITLE, Status.GO, reason, evidence=live.source)


def _unconfirmed_host(live: LiveConfig, name: str, url: str, path: str) -> CheckResult | None:
    """A NO-GO when `url` (the base URL, or the Import API URL, where the OAuth secret goes)
    is neither on G2A's production host nor on the host the operator confirmed."""
    host = host_of(url)
    if host in (LIVE_HOST, live.confirmed_host):
        return None
    confirmed = f" (--confirm-live-host {live.confirmed_host})" if live.confirmed_host else ""
    reason = (
        f"the live {name} {url} is not on G2A's production host {LIVE_HOST} "
        f"and the operator has not confirmed {host}{confirmed}"
    )
    fix = (
        f"use https://{LIVE_HOST}{path}, or, if {host} really is G2A production, "
        f"pass --confirm-live-host {host}"
    )
    return _no_go(live, reason, fix)
