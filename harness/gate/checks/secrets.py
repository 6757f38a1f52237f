"""No secret in the repository: configured values and key-shaped strings, tree and history.

Findings name the place and the kind of secret, never the value.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.gate.evidence import Allowlist, Evidence, TextSource
from harness.gate.model import CheckResult, Status

ID = "secrets"
TITLE = "No secrets in the repository"
_MIN_DISTINCT_CHARS = 8  # "000…0" or "abab…" are placeholders, not keys
_MIN_CONFIGURED_LENGTH = 8  # shorter configured values would match ordinary text

# Key-shaped strings, each with the kind named in findings. Group "value" is the candidate.
_CREDENTIAL_WORDS = r"(?:key|secret|token|passw(?:or)?d|authorization|credential)"
ASSIGNED_IN_G2A_VARIABLE = "credential assigned in a G2A_* variable"
KEY_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "64-hex key next to a credential name",
        re.compile(
            rf"(?i){_CREDENTIAL_WORDS}[^\n]{{0,80}}?(?<![0-9a-f])(?P<value>[0-9a-f]{{64}})(?![0-9a-f])"
        ),
    ),
    (
        "bearer token",
        re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9\-._~+/]{20,}=*)"),
    ),
    (
        ASSIGNED_IN_G2A_VARIABLE,
        re.compile(
            r"(?m)^[ \t]*(?:export[ \t]+)?G2A_\w*(?:KEY|SECRET)[ \t]*[:=][ \t]*[\"']?"
            r"(?P<value>[^\s\"'$<>{}()\[\],]{12,})"
        ),
    ),
    (
        ASSIGNED_IN_G2A_VARIABLE,
        re.compile(
            r"G2A_\w*(?:KEY|SECRET)[\"']?[ \t]*[:=][ \t]*[\"'](?P<value>[^\s\"'$<>{}]{12,})[\"']"
        ),
    ),
    ("private key block", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?P<value>)")),
)


@dataclass(frozen=True)
class Finding:
    location: str
    kind: str
    in_history: bool = False

    def __str__(self) -> str:
        return f"{self.location}: {self.kind}"


def configured_kind(name: str) -> str:
    """The kind of a finding of the configured value called `name`."""
    return f"the configured {name}"


def _placeholder(value: str) -> bool:
    """Low-entropy fillers (`000…`, `abab…`) and words (`live-key-value`): keys mix in digits."""
    if not value:
        return False  # shapes without a value part (private key blocks) always count
    has_digit = any(c.isdigit() for c in value)
    has_letter = any(c.isalpha() for c in value)
    return len(set(value.lower())) < _MIN_DISTINCT_CHARS or not (has_digit and has_letter)


def _where(source: TextSource, index: int) -> str:
    """`path:line` in the tree; history sources hold only added lines, so no line number."""
    if source.commit is not None:
        return source.location
    return f"{source.location}:{source.text.count(chr(10), 0, index) + 1}"


def scan(source: TextSource, configured: Mapping[str, str], allowlist: Allowlist) -> list[Finding]:
    """Every secret-looking thing in one source.

    Configured values are searched everywhere: neither allowlisted values nor `path:` globs
    exclude them. The globs only exempt their files from the key-shape patterns.
    """
    in_history = source.commit is not None
    findings: list[Finding] = []
    for name, value in configured.items():
        index = source.text.find(value) if len(value) >= _MIN_CONFIGURED_LENGTH else -1
        if index >= 0:
            findings.append(Finding(_where(source, index), configured_kind(name), in_history))
    if any(fnmatch.fnmatch(source.path, g) for g in allowlist.path_globs):
        return findings
    configured_values = set(configured.values())
    reported: set[int] = set()  # value positions already reported by an earlier shape
    for kind, pattern in KEY_SHAPES:
        for match in pattern.finditer(source.text):
            value = match.group("value")
            if value in allowlist.values or value in configured_values or _placeholder(value):
                continue
            if match.start("value") in reported:
                continue
            reported.add(match.start("value"))
            findings.append(Finding(_where(source, match.start("value")), kind, in_history))
    return findings


def scan_all(
    sources: Iterable[TextSource], configured: Mapping[str, str], allowlist: Allowlist
) -> list[Finding]:
    return [f for source in sources for f in scan(source, configured, allowlist)]


def configured_secrets(evidence: Evidence) -> dict[str, str]:
    """Every secret value the gate was given, named by the setting it came from (for
    findings): the live ones, the team's own sandbox key, the evidence key. G2A's published
    sandbox set is public by design."""
    live = evidence.live
    public = {c.api_key for c in evidence.sandbox_credentials if c.published}
    own_sandbox = next((c.api_key for c in evidence.sandbox_credentials if not c.published), "")
    named = {
        "G2A_API_KEY value": live.api_key,
        "G2A_OAUTH_CLIENT_SECRET value": live.oauth_client_secret,
        **{f"{name} value": value for name, value in evidence.other_secrets.items()},
        "G2A_SANDBOX_API_KEY value": "" if own_sandbox in public else own_sandbox,
    }
    values = {k: v for k, v in named.items() if v}
    known = set(values.values())
    for index, value in enumerate(v for v in live.secret_values if v and v not in known):
        values[f"live secret #{index + 1} of Settings.secret_values()"] = value
    return values


def check_repository_secrets(evidence: Evidence) -> CheckResult:
    repo = evidence.repo
    where = repo.root or "the working directory"
    if repo.error is not None:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"cannot scan {where}: {repo.error}",
            evidence=where,
            fix="run the gate inside the repository checkout (git available)",
        )
    if repo.shallow:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"{where} is a shallow clone: history cannot be scanned",
            evidence=where,
            fix="fetch the full history: `git fetch --unshallow` "
            "(actions/checkout: fetch-depth: 0)",
        )
    if repo.too_large:
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"{len(repo.too_large)} new or changed file(s) too large to scan in {where}: "
            + ", ".join(repo.too_large[:3])
            + (" ..." if len(repo.too_large) > 3 else ""),
            evidence=where,
            fix="remove them, ignore them in .gitignore, or commit them (history is scanned)",
            details=repo.too_large,
        )
    findings = scan_all(repo.sources, configured_secrets(evidence), repo.allowlist)
    if findings:
        in_history = any(f.in_history for f in findings)
        fix = "remove them and rotate the exposed credentials"
        if in_history:
            fix += "; they are in git history, so rewrite it (git filter-repo) after rotating"
        fix += f"; values public by design go in {repo.allowlist_path}"
        return CheckResult(
            ID,
            TITLE,
            Status.NO_GO,
            f"{len(findings)} secret(s) found in {where}: {findings[0]}"
            + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""),
            evidence=where,
            fix=fix,
            details=tuple(str(f) for f in findings),
        )
    files = sum(1 for s in repo.sources if s.commit is None)
    commits = len({s.commit for s in repo.sources if s.commit is not None})
    return CheckResult(
        ID,
        TITLE,
        Status.GO,
        f"none found in {files} files (tracked, new, .env) and {commits} commits",
        evidence=where,
    )
