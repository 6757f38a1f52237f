"""What the gate judges, already loaded: plain data, no I/O.

`collect.py` fills these from files, git, the environment and the target; the checks in
`checks/` are pure functions over them, so every verdict is unit-testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.gate.produce import StepOutcome


@dataclass(frozen=True)
class ReportFile:
    """A JSON report as found on disk: `data` when it parsed, else `error` says why not."""

    path: str  # as shown to the operator, e.g. "reports/checklist.json"
    data: Mapping[str, Any] | None = None
    error: str | None = None  # "missing" or "unreadable: <why>"


@dataclass(frozen=True)
class LiveConfig:
    """The live settings as the adapter's `Settings` judged them (validated with env=live)."""

    source: str  # "the environment" or "env file <path>"
    declared_env: str | None  # G2A_ENV as written in the source (None = not set)
    base_url: str | None = None  # normalized by Settings, when valid
    error: str | None = None  # the adapter's ConfigError message, when invalid
    api_hash: str = ""
    api_key: str = field(default="", repr=False)
    oauth_client_secret: str = field(default="", repr=False)
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # Settings.secret_values()


@dataclass(frozen=True)
class CredentialSet:
    """Sandbox credentials the live ones must differ from."""

    label: str
    api_hash: str
    api_key: str = field(repr=False)
    published: bool = False  # the public G2A sandbox set (vs. the team's own, from the env)


@dataclass(frozen=True)
class TextSource:
    """A piece of repository text to scan: a tracked file or one commit's added lines."""

    path: str
    text: str = field(repr=False)
    commit: str | None = None  # set for history: the added lines of `path` in that commit

    @property
    def location(self) -> str:
        return f"commit {self.commit} {self.path}" if self.commit else self.path


@dataclass(frozen=True)
class Allowlist:
    """Values that are public by design (the published sandbox credentials) and paths to skip."""

    values: frozenset[str] = frozenset()
    path_globs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoScan:
    root: str | None
    sources: tuple[TextSource, ...] = ()
    error: str | None = None  # "not a git repository", git failures
    shallow: bool = False
    allowlist: Allowlist = Allowlist()
    allowlist_path: str = ""


@dataclass(frozen=True)
class Probe:
    """One HTTP answer from the target's receiver (`/healthz` or `/metrics`)."""

    url: str
    status_code: int | None = None
    body: str = ""
    error: str | None = None  # could not be asked at all


@dataclass(frozen=True)
class CiRun:
    """The CI run of every test layer: tox's `--result-json` file and the commit it ran on.

    `commit` comes from the sidecar file `<result>.commit` (one line: the commit id CI checked
    out); `head` is the repository's HEAD; `layer_commands` are the commands `tox.ini` at HEAD
    gives each layer (None when tox.ini cannot be read there: `commands_error` says why).
    """

    path: str  # as shown to the operator, e.g. "reports/tox.json"
    data: Mapping[str, Any] | None = None
    error: str | None = None  # "missing" or "unreadable: <why>"
    commit_path: str = ""
    commit: str | None = None
    head: str | None = None
    layer_commands: Mapping[str, tuple[tuple[str, ...], ...]] | None = None
    commands_error: str | None = None


@dataclass(frozen=True)
class Evidence:
    target: str
    now: datetime
    max_age_hours: float
    evidence_dir: str
    checklist: ReportFile
    contracts: ReportFile
    load: ReportFile
    live: LiveConfig
    sandbox_credentials: tuple[CredentialSet, ...]
    repo: RepoScan
    health: Probe
    metrics: Probe
    ci: CiRun
    # Checklist items proven by this gate itself (selectors `gate:NAME`), id -> NAME: their
    # `skipped` status in checklist.json is expected.
    gate_items: Mapping[str, str] = field(default_factory=dict)
    # What `--run-missing` ran to produce missing or stale reports (see produce.py).
    produced: tuple[StepOutcome, ...] = ()
