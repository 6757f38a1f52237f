"""What the gate judges, already loaded: plain data, no I/O.

`collect.py` fills these from files, git, the environment and the target; the checks in
`checks/` are pure functions over them, so every verdict is unit-testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.gate.floors import LayerFloor
from harness.gate.steps import StepOutcome


@dataclass(frozen=True)
class ReportFile:
    """A JSON report as found on disk: `data` when it parsed, else `error` says why not.

    `signature` is `harness.envelope.signature_status` of it: `unsigned` (no evidence key
    given), `valid`, `missing` or `invalid`; `sha256` is the digest of the file's bytes.
    """

    path: str  # as shown to the operator, e.g. "reports/checklist.json"
    data: Mapping[str, Any] | None = None
    error: str | None = None  # "missing" or "unreadable: <why>"
    sha256: str | None = None
    signature: str = "unsigned"


@dataclass(frozen=True)
class Binding:
    """What every report must be bound to: this commit, a clean tree, a recent time, and a
    valid signature when the evidence key is set (`signing`)."""

    head: str | None  # the repository's HEAD (None: not a git repository)
    now: datetime
    max_age_hours: float
    signing: bool = False
    dirty: bool = False  # the checkout differs from HEAD (`harness.envelope.git_state`)


@dataclass(frozen=True)
class LiveConfig:
    """The live settings as the adapter's `Settings` judged them (validated with env=live)."""

    source: str  # "the environment" or "env file <path>"
    declared_env: str | None  # G2A_ENV as written in the source (None = not set)
    given: bool = True  # any of G2A_API_URL / G2A_API_HASH / G2A_API_KEY was set at all
    base_url: str | None = None  # normalized by Settings, when valid
    import_url: str | None = None  # the Import API (OAuth, offers) origin, when valid
    error: str | None = None  # the adapter's ConfigError message, when invalid
    api_hash: str = ""
    api_key: str = field(default="", repr=False)
    oauth_client_secret: str = field(default="", repr=False)
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # Settings.secret_values()
    confirmed_host: str | None = None  # --confirm-live-host: a live host that is not G2A's own


@dataclass(frozen=True)
class CredentialSet:
    """Sandbox credentials the live ones must differ from."""

    label: str
    api_hash: str
    api_key: str = field(repr=False)
    published: bool = False  # the public G2A sandbox set (vs. the team's own, from the env)

    @property
    def complete(self) -> bool:
        """Both halves given: a hash alone proves nothing about the key."""
        return bool(self.api_hash and self.api_key)


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
    too_large: tuple[str, ...] = ()  # new or changed files too large to scan


@dataclass(frozen=True)
class Probe:
    """One HTTP answer from the target's receiver (`/healthz` or `/metrics`).

    `api_url` is the G2A API the receiver's token check called and `api_source` what named it:
    `--target-url`, `G2A_SANDBOX_API_URL` (default the real sandbox) or `twin` (the gate's own);
    `store` the kind of idempotency store (`memory`, `sqlite`, `redis`, `postgres`) its store
    check pinged, and `store_source` where that store's URL came from: `live` (`--store-url` or
    the live `G2A_IDEMPOTENCY_URL`), `G2A_SANDBOX_IDEMPOTENCY_URL`, or `none` (`memory://`).
    """

    url: str
    status_code: int | None = None
    body: str = ""
    error: str | None = None  # could not be asked at all
    api_url: str = ""
    api_source: str = "G2A_SANDBOX_API_URL"
    store: str = ""
    store_source: str = "live"


@dataclass(frozen=True)
class JunitCounts:
    """One layer's pytest outcomes (its `--junitxml` file), and the store backends' share."""

    tests: int = 0
    failed: int = 0
    skipped: int = 0
    # backend ("redis", "postgres") -> (tests run, tests skipped) among those named after it
    backends: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # (classname, name up to its parameters' `[`) of every test case: the functions that ran
    names: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class CiRun:
    """The CI record `reports/ci/ci.json` (written by `.ci/run` after tox) and what it names:
    tox's `--result-json` and one pytest junit file per tested layer, each with its sha256.

    `layer_commands` are the commands `tox.ini` at HEAD gives each layer (None when tox.ini
    cannot be read there: `commands_error` says why). `floors` are the tests committed at HEAD
    in each tested layer's folders (`harness.gate.floors`; None when they cannot be counted:
    `floors_error` says why): its junit file must hold at least as many.
    """

    record: ReportFile
    tox: ReportFile
    junit: Mapping[str, ReportFile] = field(default_factory=dict)  # layer -> file (no data)
    counts: Mapping[str, JunitCounts] = field(default_factory=dict)  # layer -> parsed
    layer_commands: Mapping[str, tuple[tuple[str, ...], ...]] | None = None
    commands_error: str | None = None
    floors: Mapping[str, LayerFloor] | None = None  # layer -> tests committed at HEAD
    floors_error: str | None = None

    @property
    def path(self) -> str:
        return self.record.path


@dataclass(frozen=True)
class Evidence:
    target: str
    binding: Binding
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
    # The ids of the project's checklist (harness/checklist.toml): the report must list each once.
    checklist_ids: tuple[str, ...]
    # Checklist items proven by this gate itself (selectors `gate:NAME`), id -> NAME: their
    # `skipped` status in checklist.json is expected.
    gate_items: Mapping[str, str] = field(default_factory=dict)
    # What `--run-missing` ran to produce missing or stale reports (see produce.py).
    produced: tuple[StepOutcome, ...] = ()
    # Checklist items no twin run can prove (their `targets` or `hosts` leave the twin out):
    # the only items a rehearsal may leave skipped for the sandbox run.
    sandbox_only: frozenset[str] = frozenset()
    # Contract folder (`openapi`, `pacts`, `cassettes`) -> `folder_digest` of its files in the
    # commit at HEAD (None: none there): contracts.json must have read exactly these.
    committed_contracts: Mapping[str, str | None] = field(default_factory=dict)
    # G2A_EVIDENCE_KEY: `set`, `empty` (set to "") or `unset`; a sandbox gate needs it set
    # unless the operator passed --allow-unsigned-evidence (`allow_unsigned`).
    evidence_key: str = "unset"
    allow_unsigned: bool = False
    # Other secrets the gate was given, by variable (G2A_EVIDENCE_KEY): searched in the
    # repository and masked in the reports like the live ones.
    other_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The checklist items no scenario allowed on the sandbox proves (`reach.twin_only`): a
    # sandbox gate takes them from `twin_checklist`, the full twin run of the same commit
    # (`<evidence dir>/twin/checklist.json`). `twin_only_error`: the feature files could not be
    # read, so no item is taken from the twin run.
    twin_only: frozenset[str] = frozenset()
    twin_only_error: str | None = None
    twin_checklist: ReportFile = ReportFile("twin/checklist.json", error="missing")
