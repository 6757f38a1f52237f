"""Is a report bound to what the gate judges? Kind, signature, commit, clean tree, age, target.

Pure functions over loaded reports (`harness/envelope.py` writes the envelopes they read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from g2a_adapter.wire import SANDBOX_HOST
from harness.envelope import host_of
from harness.gate.evidence import Binding, ReportFile

SANDBOX_API_URL = "https://sandboxapi.g2a.com/v1"
SANDBOX_API_URL_ENV = "G2A_SANDBOX_API_URL"  # another sandbox API for the gate's probe and runs
CLOCK_SKEW = timedelta(minutes=5)
_SIGNATURE_PROBLEMS = {
    "missing": "has no signature (G2A_EVIDENCE_KEY is set: every report must be signed)",
    "invalid": "has a broken signature (edited after it was written, or signed with another key)",
}


def hours(value: float) -> str:
    """`31 h`, `0.5 h`: one decimal at most, no trailing `.0`."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} h"


def parse_timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def short(commit: object) -> str:
    return str(commit)[:12]


def envelopes_of(report: ReportFile) -> dict[str, Any]:
    """label -> envelope: one per part for contracts.json (`verify`, `drift`), else one."""
    data = report.data or {}
    if data.get("kind") == "contracts":
        parts = data.get("parts")
        parts = parts if isinstance(parts, Mapping) else {}
        return {f" ({name} part)": parts.get(name) for name in ("verify", "drift")}
    return {"": data.get("envelope")}


def envelope_problem(envelope: object, where: str, binding: Binding) -> str | None:
    """Why an envelope does not bind its report to HEAD, a clean tree and a recent time."""
    if not isinstance(envelope, Mapping):
        return f"{where} has no evidence envelope (written by an older harness?)"
    commit = envelope.get("commit")
    if binding.head is None:
        return f"{where} cannot be bound to a commit: the repository's HEAD is unknown"
    if not isinstance(commit, str) or commit.lower() != binding.head.lower():
        return (
            f"{where} was produced at commit {short(commit)}, "
            f"the repository is at {short(binding.head)}"
        )
    if envelope.get("dirty") is not False:
        return f"{where} was produced from a dirty tree (uncommitted changes at {short(commit)})"
    finished = parse_timestamp(envelope.get("finished_at"))
    if finished is None:
        return f"{where} has no valid finished_at (ISO 8601 with a time zone)"
    age = binding.now - finished
    if age < -CLOCK_SKEW:
        return f"{where} is dated in the future ({envelope['finished_at']})"
    if age > timedelta(hours=binding.max_age_hours):
        old = hours(age.total_seconds() / 3600)
        return f"{where} is {old} old (max {hours(binding.max_age_hours)})"
    return None


def report_problem(report: ReportFile, kind: str, binding: Binding) -> str | None:
    """Why the report cannot be trusted at all, or None: missing, unreadable, another kind,
    a missing or broken signature, an envelope of another commit, a dirty tree, too old."""
    if report.data is None:
        return f"{report.path} is {report.error}"
    if report.data.get("kind") != kind:
        return f"{report.path} is not a {kind} report (kind={report.data.get('kind')!r})"
    if report.signature in _SIGNATURE_PROBLEMS:
        return f"{report.path} {_SIGNATURE_PROBLEMS[report.signature]}"
    for label, envelope in envelopes_of(report).items():
        problem = envelope_problem(envelope, f"{report.path}{label}", binding)
        if problem is not None:
            return problem
    return None


def envelope_of(report: ReportFile) -> Mapping[str, Any]:
    envelope = (report.data or {}).get("envelope")
    return envelope if isinstance(envelope, Mapping) else {}


def target_problem(report: ReportFile, target: str) -> str | None:
    """Why the report's envelope is not a run against `target`: the label and the host called."""
    ran_on = envelope_of(report).get("target")
    if ran_on != target:
        return f"{report.path} was run against '{ran_on}', the gate target is '{target}'"
    return called_problem(report)


def called_problem(report: ReportFile) -> str | None:
    """Why the host the envelope says was called is not what its target label claims.

    A sandbox run must have called the sandbox host; loopback or a twin never counts.
    """
    envelope = envelope_of(report)
    base_url = envelope.get("base_url")
    if not isinstance(base_url, str) or envelope.get("host") != _host(base_url):
        return f"{report.path}: its envelope's host and base_url disagree (edited by hand?)"
    if envelope.get("target") == "sandbox" and not is_sandbox(base_url):
        return f"{report.path} called {base_url}, not the G2A sandbox ({SANDBOX_API_URL})"
    return None


def is_sandbox(url: object) -> bool:
    """G2A's sandbox over HTTPS on its default port; loopback or a twin never counts."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # out of range
        return False
    return parts.scheme == "https" and parts.hostname == SANDBOX_HOST and port in (None, 443)


def _host(url: str) -> str | None:
    """The URL's host; None for one that does not parse (a bracket left open, say)."""
    try:
        return host_of(url)
    except ValueError:
        return None
