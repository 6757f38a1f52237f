"""Gathering the evidence (all the gate's I/O): reports, settings, git, the target."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from g2a_adapter import ConfigError, Settings
from harness.gate.evidence import CredentialSet, Evidence, LiveConfig, Probe
from harness.gate.probe import probe_target
from harness.gate.produce import OnDisk, StepOutcome, missing_steps, run_steps
from harness.gate.sources import (
    DEFAULT_ALLOWLIST,
    read_ci_run,
    read_env_file,
    read_report,
    scan_repository,
)

CHECKLIST = "checklist.json"
CONTRACTS = "contracts.json"
LOAD = "load/load.json"
CI_RESULT = "tox.json"


@dataclass(frozen=True)
class GateOptions:
    target: str = "sandbox"
    evidence_dir: Path = Path("reports")
    live_url: str | None = None
    env_file: Path | None = None
    max_age_hours: float = 24.0
    run_missing: bool = False
    load_target: str = "twin"  # what `--run-missing` runs the smoke load profile against
    ci_report: Path | None = None  # tox --result-json of the CI run; default <evidence>/tox.json
    repo: Path = Path()
    target_url: str | None = None  # an already running twin / sandbox for health and metrics
    allowlist: Path = DEFAULT_ALLOWLIST
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    now: datetime | None = None  # fixed clock for tests; default: now (UTC)


def shown_dir(path: Path) -> str:
    """The evidence dir as the operator typed it: relative to cwd when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def live_config(values: Mapping[str, str], source: str, live_url: str | None) -> LiveConfig:
    """Validate the live settings with the adapter's own rules, env forced to `live`."""
    chosen = {k: v for k, v in values.items() if k.startswith("G2A_")}
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
            error=str(exc),
            api_hash=raw_hash.strip(),
            api_key=chosen.get("G2A_API_KEY", "").strip(),
            oauth_client_secret=explicit_oauth_secret.strip(),
            secret_values=tuple(v for v in raw_secrets if v),
        )
    return LiveConfig(
        source,
        values.get("G2A_ENV"),
        base_url=settings.api_url,
        api_hash=settings.api_hash,
        api_key=settings.api_key.get_secret_value(),
        oauth_client_secret=explicit_oauth_secret.strip(),
        secret_values=tuple(settings.secret_values()),
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


def gate_items() -> dict[str, str]:
    """Checklist items this gate decides (selectors `gate:NAME` in checklist.toml): id -> NAME."""
    from harness.checklist import load_checklist

    return {item.id: gates[0] for item in load_checklist() if (gates := item.gates())}


def _probe(options: GateOptions, environ: Mapping[str, str]) -> tuple[Probe, Probe]:
    try:
        return probe_target(options.target, options.target_url, environ)
    except Exception as exc:  # any failure to build or serve the probe is a no-go reason
        error = f"{type(exc).__name__}: {exc}"
        where = options.target_url or options.target
        return Probe(f"{where}: GET /healthz", error=error), Probe(
            f"{where}: GET /metrics", error=error
        )


def _reports(directory: Path, shown: str) -> OnDisk:
    return OnDisk(
        read_report(directory / CHECKLIST, f"{shown}/{CHECKLIST}"),
        read_report(directory / CONTRACTS, f"{shown}/{CONTRACTS}"),
        read_report(directory / LOAD, f"{shown}/{LOAD}"),
    )


def produce_missing(
    options: GateOptions, reports: OnDisk, now: datetime
) -> tuple[StepOutcome, ...]:
    steps = missing_steps(
        reports,
        target=options.target,
        load_target=options.load_target,
        report_dir=str(options.evidence_dir),
        now=now,
        max_age=options.max_age_hours,
    )
    return run_steps(steps, options.environ)


def collect(options: GateOptions) -> Evidence:
    now = options.now or datetime.now(UTC)
    directory = options.evidence_dir
    shown = shown_dir(directory)
    if options.env_file is not None:
        live_values = read_env_file(options.env_file)
        source = f"env file {options.env_file}"
    else:
        live_values, source = dict(options.environ), "the environment"
    comparison_env = {**options.environ, **live_values}

    reports = _reports(directory, shown)
    produced: tuple[StepOutcome, ...] = ()
    if options.run_missing:
        produced = produce_missing(options, reports, now)
        if produced:
            now = options.now or datetime.now(UTC)
            reports = _reports(directory, shown)

    ci_path = options.ci_report or directory / CI_RESULT
    ci_shown = str(ci_path) if options.ci_report else f"{shown}/{CI_RESULT}"
    health, metrics = _probe(options, comparison_env)
    return Evidence(
        target=options.target,
        now=now,
        max_age_hours=options.max_age_hours,
        evidence_dir=shown,
        checklist=reports.checklist,
        contracts=reports.contracts,
        load=reports.load,
        live=live_config(live_values, source, options.live_url),
        sandbox_credentials=sandbox_credentials(comparison_env),
        repo=scan_repository(options.repo, options.allowlist),
        health=health,
        metrics=metrics,
        ci=read_ci_run(ci_path, ci_shown, options.repo),
        gate_items=gate_items(),
        produced=produced,
    )
