"""Gathering the evidence (all the gate's I/O): reports, settings, git, the target."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from g2a_adapter import ConfigError, Settings
from harness.checklist import ChecklistItem, load_checklist
from harness.contracts.report import COMMITTED_FOLDERS, folder_digest
from harness.envelope import EVIDENCE_KEY_ENV, evidence_key, evidence_key_state, git_state
from harness.gate.evidence import Binding, CredentialSet, Evidence, LiveConfig, Probe, ReportFile
from harness.gate.floors import FloorError
from harness.gate.probe import probe_target, probed_api, store_kind
from harness.gate.produce import OnDisk, missing_steps, run_steps
from harness.gate.reach import twin_only
from harness.gate.sources import (
    DEFAULT_ALLOWLIST,
    committed_folder,
    read_ci_run,
    read_env_file,
    read_features,
    read_report,
    scan_repository,
)
from harness.gate.steps import StepOutcome

CHECKLIST = "checklist.json"
CONTRACTS = "contracts.json"
LOAD = "load/load.json"
TWIN_CHECKLIST = "twin/checklist.json"  # a sandbox gate's full twin run, for twin-only items
CI_RECORD = Path("reports/ci/ci.json")  # where `.ci/run` leaves it, relative to the repository
LIVE_CORE = ("G2A_API_URL", "G2A_API_HASH", "G2A_API_SECRET", "G2A_API_KEY")
TWIN_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # where a twin run is served


@dataclass(frozen=True)
class GateOptions:
    target: str = "sandbox"
    evidence_dir: Path = Path("reports")
    live_url: str | None = None
    env_file: Path | None = None
    max_age_hours: float = 24.0
    run_missing: bool = False
    load_target: str = "twin"  # what `--run-missing` runs the smoke load profile against
    prometheus_url: str | None = None  # what `--run-missing` proves the dashboards on
    features: Path = Path("features")  # the feature files the runs read (from the checkout)
    ci_report: Path | None = None  # the CI record; default <repo>/reports/ci/ci.json
    repo: Path = Path()
    target_url: str | None = None  # an already running twin / sandbox for health and metrics
    store_url: str | None = None  # the production store; default the live G2A_IDEMPOTENCY_URL
    confirm_live_host: str | None = None  # the operator's word for a live host not G2A's own
    allow_unsigned: bool = False  # a sandbox gate without G2A_EVIDENCE_KEY (recorded)
    allowlist: Path = DEFAULT_ALLOWLIST
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    now: datetime | None = None  # fixed clock for tests; default: now (UTC)
    probe_transport: httpx.BaseTransport | None = field(default=None, repr=False)


def shown_dir(path: Path) -> str:
    """The evidence dir as the operator typed it: relative to cwd when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def live_config(
    values: Mapping[str, str],
    source: str,
    live_url: str | None,
    confirmed_host: str | None = None,
) -> LiveConfig:
    """Validate the live settings with the adapter's own rules, env forced to `live` (the
    check refuses settings that do not declare it themselves)."""
    chosen = {k: v for k, v in values.items() if k.startswith("G2A_")}
    given = bool(live_url) or any(chosen.get(name) for name in LIVE_CORE)
    if live_url:
        chosen["G2A_API_URL"] = live_url
        source += " with --live-url"
    chosen["G2A_ENV"] = "live"
    raw_hash = chosen.get("G2A_API_HASH") or chosen.get("G2A_API_SECRET", "")
    explicit_oauth_secret = chosen.get("G2A_OAUTH_CLIENT_SECRET", "")
    try:
        settings = Settings.from_env(chosen)
    except ConfigError as exc:
        raw_secrets = (chosen.get("G2A_API_KEY", ""), explicit_oauth_secret)
        return LiveConfig(
            source,
            values.get("G2A_ENV"),
            given,
            error=str(exc),
            api_hash=raw_hash.strip(),
            api_key=chosen.get("G2A_API_KEY", "").strip(),
            oauth_client_secret=explicit_oauth_secret.strip(),
            secret_values=tuple(v for v in raw_secrets if v),
            confirmed_host=confirmed_host,
        )
    return LiveConfig(
        source,
        values.get("G2A_ENV"),
        given,
        base_url=settings.api_url,
        import_url=settings.import_api_url,
        api_hash=settings.api_hash,
        api_key=settings.api_key.get_secret_value(),
        oauth_client_secret=explicit_oauth_secret.strip(),
        secret_values=tuple(settings.secret_values()),
        confirmed_host=confirmed_host,
    )


def sandbox_credentials(environ: Mapping[str, str]) -> tuple[CredentialSet, ...]:
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    published = CredentialSet(
        "published G2A sandbox credentials", SANDBOX_API_HASH, SANDBOX_API_KEY, published=True
    )
    own_hash = environ.get("G2A_SANDBOX_API_HASH", "").strip()
    own_key = environ.get("G2A_SANDBOX_API_KEY", "").strip()
    if not (own_hash or own_key):
        return (published,)
    own = CredentialSet("sandbox credentials (G2A_SANDBOX_API_HASH/KEY)", own_hash, own_key)
    return (published, own)


def gate_items(items: Iterable[ChecklistItem] | None = None) -> dict[str, str]:
    """Checklist items this gate decides (selectors `gate:NAME` in checklist.toml): id -> NAME."""
    chosen = load_checklist() if items is None else items
    return {item.id: gates[0] for item in chosen if (gates := item.gates())}


def sandbox_only(items: Iterable[ChecklistItem]) -> frozenset[str]:
    """Checklist items whose `targets` or `hosts` leave the twin out: no rehearsal proves them."""
    return frozenset(
        item.id
        for item in items
        if (item.targets is not None and "twin" not in item.targets)
        or (item.hosts is not None and not TWIN_HOSTS.intersection(item.hosts))
    )


def committed_contracts(repo: Path) -> dict[str, str | None]:
    """Each contract folder's `folder_digest` in the commit at HEAD; None when it has no file
    there (or git cannot read it)."""
    digests: dict[str, str | None] = {}
    for name, folder in COMMITTED_FOLDERS.items():
        files = committed_folder(repo, folder)
        digests[name] = folder_digest(files) if files else None
    return digests


def _probe(
    options: GateOptions, environ: Mapping[str, str], live_values: Mapping[str, str]
) -> tuple[Probe, Probe]:
    live_store = live_values.get("G2A_IDEMPOTENCY_URL")
    store_url = options.store_url or live_store
    try:
        probes = probe_target(
            options.target, options.target_url, environ, store_url, options.probe_transport
        )
    except Exception as exc:  # any failure to build or serve the probe is a no-go reason
        error = f"{type(exc).__name__}: {exc}"
        where = options.target_url or options.target
        api_url, source = probed_api(options.target, options.target_url, environ)
        failed = Probe(f"{where}: GET /healthz", error=error, api_url=api_url or "")
        failed = replace(failed, api_source=source)
        return failed, replace(failed, url=f"{where}: GET /metrics")
    live_kind = store_kind(live_store or Settings.model_fields["idempotency_url"].default)
    if options.store_url and store_kind(options.store_url) != live_kind:
        # --store-url stands in for another kind of store than the live settings name (their
        # default is a SQLite file): what it pinged is not what live will use
        source = f"--store-url (the live settings name a {live_kind} store)"
        health, metrics = probes
        return replace(health, store_source=source), replace(metrics, store_source=source)
    return probes


def twin_only_items(
    items: Iterable[ChecklistItem], features: Path
) -> tuple[frozenset[str], str | None]:
    """`reach.twin_only` over the feature files, or (nothing, why they cannot be read)."""
    try:
        return twin_only(items, read_features(features)), None
    except FloorError as exc:
        return frozenset(), str(exc)


def _reports(directory: Path, shown: str, key: bytes | None, twin_run: bool) -> OnDisk:
    """The reports on disk; the twin run's checklist when some item needs it (`twin_run`)."""
    twin = TWIN_CHECKLIST
    return OnDisk(
        read_report(directory / CHECKLIST, f"{shown}/{CHECKLIST}", key),
        read_report(directory / CONTRACTS, f"{shown}/{CONTRACTS}", key),
        read_report(directory / LOAD, f"{shown}/{LOAD}", key),
        read_report(directory / twin, f"{shown}/{twin}", key) if twin_run else None,
    )


def produce_missing(
    options: GateOptions, reports: OnDisk, binding: Binding
) -> tuple[StepOutcome, ...]:
    steps = missing_steps(
        reports,
        target=options.target,
        load_target=options.load_target,
        report_dir=str(options.evidence_dir),
        binding=binding,
        prometheus_url=options.prometheus_url,
    )
    return run_steps(steps, options.environ)


def collect(options: GateOptions) -> Evidence:
    key = evidence_key(options.environ)
    head, dirty = git_state(options.repo)
    binding = Binding(
        head,
        options.now or datetime.now(UTC),
        options.max_age_hours,
        signing=key is not None,
        dirty=dirty,
    )
    directory = options.evidence_dir
    shown = shown_dir(directory)
    if options.env_file is not None:
        live_values = read_env_file(options.env_file)
        source = f"env file {options.env_file}"
    else:
        live_values, source = dict(options.environ), "the environment"
    comparison_env = {**options.environ, **live_values}

    checklist = load_checklist()
    from_twin, twin_only_error = twin_only_items(checklist, options.features)
    twin_run = options.target == "sandbox" and bool(from_twin)
    reports = _reports(directory, shown, key, twin_run)
    produced: tuple[StepOutcome, ...] = ()
    if options.run_missing:
        produced = produce_missing(options, reports, binding)
        if produced:
            binding = replace(binding, now=options.now or datetime.now(UTC))
            reports = _reports(directory, shown, key, twin_run)

    ci_path = options.ci_report or options.repo / CI_RECORD
    health, metrics = _probe(options, comparison_env, live_values)
    return Evidence(
        target=options.target,
        binding=binding,
        evidence_dir=shown,
        checklist=reports.checklist,
        contracts=reports.contracts,
        load=reports.load,
        live=live_config(live_values, source, options.live_url, options.confirm_live_host),
        sandbox_credentials=sandbox_credentials(comparison_env),
        repo=scan_repository(options.repo, options.allowlist),
        health=health,
        metrics=metrics,
        ci=read_ci_run(ci_path, shown_dir(ci_path), options.repo, key),
        checklist_ids=tuple(item.id for item in checklist),
        gate_items=gate_items(checklist),
        produced=produced,
        sandbox_only=sandbox_only(checklist),
        committed_contracts=committed_contracts(options.repo),
        evidence_key=evidence_key_state(options.environ),
        allow_unsigned=options.allow_unsigned,
        other_secrets={EVIDENCE_KEY_ENV: options.environ.get(EVIDENCE_KEY_ENV, "")},
        twin_only=from_twin,
        twin_only_error=twin_only_error,
        twin_checklist=reports.twin_checklist
        or ReportFile(f"{shown}/{TWIN_CHECKLIST}", error="not needed"),
    )
