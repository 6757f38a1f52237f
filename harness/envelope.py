"""The evidence envelope: what a report proves it was produced from, and its HMAC.

Every report the switchover gate reads (`checklist.json`, `contracts.json`, `load/load.json`,
the CI record `reports/ci/ci.json`) carries an `envelope`: the commit and whether the tree was
dirty, the target, the base URL and host actually called, the suite, start and end time, tool
versions and the CI run id. When `G2A_EVIDENCE_KEY` is set the whole report is signed with
HMAC-SHA256 over its canonical JSON (sorted keys, no spaces, UTF-8), the `signature` field left
out. Standard library only: `.ci/run` uses it before anything is installed.

`python -m harness.envelope` prints the commit and dirty flag of the current directory as one
JSON line: each tox layer runs it first, so tox's own `--result-json` records what it ran on, and
`.ci/run` at its start, for CI's record (`read_checkout` reads the line back).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

EVIDENCE_KEY_ENV = "G2A_EVIDENCE_KEY"
ENVELOPE = "envelope"
SIGNATURE = "signature"
ALGORITHM = "hmac-sha256"
TOOLS = ("g2a-adapter", "g2a-harness", "pytest", "tox", "locust", "pact-python")
# CI systems' run ids, first found wins: GitHub Actions, GitLab CI.
CI_RUN_ID_VARIABLES = ("GITHUB_RUN_ID", "CI_PIPELINE_ID")
_GIT_TIMEOUT_S = 30


def utc_stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def git_state(repo: Path = Path()) -> tuple[str | None, bool]:
    """(HEAD's full commit id, whether tracked or new not-ignored files differ from it).

    A file marked `--assume-unchanged` or `--skip-worktree` counts as changed: `git status`
    does not look at it, so nothing proves it is as committed.
    Outside a git repository: (None, True): nothing can be bound to a commit.
    """
    head = _git(repo, "rev-parse", "--verify", "-q", "HEAD")
    status = _git(repo, "status", "--porcelain")
    tags = _git(repo, "ls-files", "-v", "-z", "--", ":/")  # the whole tree, from any folder
    if not head or status is None or tags is None:
        return None, True
    return head.strip(), bool(status.strip()) or _unwatched(tags)


def _unwatched(tags: str) -> bool:
    """Whether `git ls-files -v -z` tags a file git was told not to look at: lower case for
    assume-unchanged, `S` for skip-worktree."""
    return any(entry[:1].islower() or entry[:1] == "S" for entry in tags.split("\0"))


def ci_run_id(environ: Mapping[str, str]) -> str | None:
    for name in CI_RUN_ID_VARIABLES:
        if environ.get(name):
            return f"{name}={environ[name]}"
    return None


def tool_versions(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {**versions, **(extra or {})}


def host_of(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


@dataclass(frozen=True)
class RunStart:
    """When a run started and the checkout it started on (`git_state`)."""

    at: datetime
    checkout: tuple[str | None, bool]

    @classmethod
    def now(cls, repo: Path = Path()) -> RunStart:
        return cls(datetime.now(UTC), git_state(repo))


def capture(
    *,
    target: str,
    base_url: str | None,
    suite: str,
    start: RunStart,
    finished_at: datetime | None = None,
    repo: Path = Path(),
    environ: Mapping[str, str] | None = None,
    tools: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The envelope of a report written now, from the checkout in `repo`, of a run begun at
    `start`: a checkout dirty then, or on another commit, is recorded dirty though it was put
    back before the run ended (what ran was not the commit)."""
    commit, dirty = git_state(repo)
    return {
        "commit": commit,
        "dirty": dirty or start.checkout != (commit, False),
        "target": target,
        "base_url": base_url,
        "host": host_of(base_url),
        "suite": suite,
        "started_at": utc_stamp(start.at),
        "finished_at": utc_stamp(finished_at or datetime.now(UTC)),
        "tools": tool_versions(tools),
        "ci_run_id": ci_run_id(os.environ if environ is None else environ),
    }


def canonical(report: Mapping[str, Any]) -> bytes:
    """The signed bytes: the report without its signature, as canonical JSON."""
    content = {k: v for k, v in report.items() if k != SIGNATURE}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def evidence_key(environ: Mapping[str, str]) -> bytes | None:
    """The signing key; None when unset or empty (nothing is signed or checked)."""
    value = environ.get(EVIDENCE_KEY_ENV, "")
    return value.encode("utf-8") if value else None


def evidence_key_state(environ: Mapping[str, str]) -> str:
    """`set`, `empty` (set to "", as CI passes a secret the job cannot read) or `unset`."""
    if EVIDENCE_KEY_ENV not in environ:
        return "unset"
    return "set" if environ[EVIDENCE_KEY_ENV] else "empty"


def signature_of(report: Mapping[str, Any], key: bytes) -> str:
    return hmac.new(key, canonical(report), hashlib.sha256).hexdigest()


def signed(report: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report, with its `signature` when `G2A_EVIDENCE_KEY` is set (else as it is)."""
    content = {k: v for k, v in report.items() if k != SIGNATURE}
    key = evidence_key(os.environ if environ is None else environ)
    if key is None:
        return content
    return {**content, SIGNATURE: {"alg": ALGORITHM, "value": signature_of(content, key)}}


def signature_status(report: Mapping[str, Any], key: bytes | None) -> str:
    """`unsigned` (no key to check with), `valid`, `missing` or `invalid`."""
    if key is None:
        return "unsigned"
    stamp = report.get(SIGNATURE)
    if not isinstance(stamp, Mapping) or not isinstance(stamp.get("value"), str):
        return "missing"
    if stamp.get("alg") != ALGORITHM:
        return "invalid"
    expected = signature_of(report, key)
    return "valid" if hmac.compare_digest(expected, stamp["value"]) else "invalid"


def write_json(
    path: Path, report: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Path:
    """Write the report as indented JSON, signed when the evidence key is set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(signed(report, environ), indent=2) + "\n", encoding="utf-8")
    return path


def read_checkout(line: str) -> tuple[str | None, bool]:
    """The (commit, dirty flag) of a line `python -m harness.envelope` printed."""
    try:
        stamp = json.loads(line)
    except ValueError:
        stamp = None
    fields = stamp if isinstance(stamp, dict) else {}
    commit, dirty = fields.get("commit"), fields.get("dirty")
    if not isinstance(commit, str | None) or not isinstance(dirty, bool):
        raise ValueError(f"not a checkout line of python -m harness.envelope: {line!r}")
    return commit, dirty


def main() -> int:
    commit, dirty = git_state()
    print(json.dumps({"commit": commit, "dirty": dirty, "ci_run_id": ci_run_id(os.environ)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
