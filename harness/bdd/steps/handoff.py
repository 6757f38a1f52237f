"""Steps: handoff readiness — the target's environment and credentials kept out of the repo."""

from __future__ import annotations

import os
import subprocess

from pytest_bdd import given, parsers, then, when

from harness.bdd.world import World
from harness.gate.checks.secrets import ASSIGNED_IN_G2A_VARIABLE, configured_kind, scan_all
from harness.gate.evidence import Allowlist
from harness.gate.sources import DEFAULT_ALLOWLIST, read_allowlist, tree_sources
from harness.project import project_root
from harness.targets import TargetError, resolve_target

SECRET_VARIABLES = (
    "G2A_API_KEY",
    "G2A_API_SECRET",
    "G2A_OAUTH_CLIENT_SECRET",
    "G2A_WEBHOOK_SECRET",
)
_MIN_SECRET_LENGTH = 8
_RESOLVED_CHOSEN = (
    "resolved target",
    '"When QA resolves the chosen target from the environment" resolves it',
)
_RESOLVED_NAMED = (
    "resolved target",
    '"When QA resolves the sandbox target from that environment" resolves it',
)
_ENVIRONMENT = ("environment", 'start with "Given an environment without G2A credentials"')
_SCAN = ("scan", '"When the repository\'s files are scanned for credentials" makes one')


def target_credentials(world: World, allowlist: Allowlist) -> dict[str, str]:
    """The chosen target's credentials (and the environment's), named for findings; values
    public by design (the gate's allowlist: G2A's published sandbox set) are left out."""
    named = {
        f"credential #{i + 1} of target {world.target.name}": v
        for i, v in enumerate(world.target.secret_values())
    }
    named |= {
        f"{v} value of the environment": os.environ[v]
        for v in SECRET_VARIABLES
        if len(os.environ.get(v, "")) >= _MIN_SECRET_LENGTH
    }
    first_names: dict[str, str] = {}  # value -> its first name: one finding per place
    for name, value in named.items():
        if value not in allowlist.values:
            first_names.setdefault(value, name)
    return {name: value for value, name in first_names.items()}


@when("QA resolves the chosen target from the environment")
def resolve_chosen(g2a_world: World) -> None:
    """Resolve the target chosen by --target or G2A_TARGET.

    Example: QA resolves the chosen target from the environment
    """
    g2a_world.notes["resolved"] = resolve_target(g2a_world.target.name)


@then("the adapter settings can be built for that target")
def settings_for_target(g2a_world: World) -> None:
    """Adapter settings can be built from the resolved target.

    Example: the adapter settings can be built for that target
    """
    resolved = g2a_world.noted("resolved", *_RESOLVED_CHOSEN)
    assert resolved.name == g2a_world.target.name
    settings = g2a_world.settings()
    assert settings.api_hash
    assert settings.api_key.get_secret_value()
    assert settings.env == resolved.env


@given("an environment without G2A credentials")
def empty_environment(g2a_world: World) -> None:
    """Start from an environment without any G2A credentials.

    Example: an environment without G2A credentials
    """
    g2a_world.notes["target_env"] = {
        k: v for k, v in os.environ.items() if not k.startswith("G2A_")
    }


@when(parsers.re(r"QA resolves the (?P<name>sandbox|live) target from that environment"))
def resolve_named(g2a_world: World, name: str) -> None:
    """Resolve the sandbox or live target from the scenario's environment.

    Example: QA resolves the sandbox target from that environment
    """
    try:
        environment = g2a_world.noted("target_env", *_ENVIRONMENT)
        g2a_world.notes["resolved"] = resolve_target(name, environment)
    except TargetError as exc:
        g2a_world.notes["target_error"] = exc


@then(parsers.parse('the harness refuses, naming "{names}"'))
def refuses_naming(g2a_world: World, names: str) -> None:
    """Resolving the target was refused, naming these variables.

    Example: the harness refuses, naming "G2A_API_URL, G2A_API_HASH, G2A_API_KEY"
    """
    if "target_error" not in g2a_world.notes:
        g2a_world.noted("resolved", *_RESOLVED_NAMED)
        raise AssertionError("the target was accepted without credentials")
    error = g2a_world.notes["target_error"]
    message = str(error)
    assert "\n" not in message
    for name in (n.strip() for n in names.split(",")):
        assert name in message, f"{name} not named in: {message}"


@when("the repository's files are scanned for credentials")
def scan_repository(g2a_world: World) -> None:
    """Scan the repository for credentials: the gate's scan of tracked and new files.

    Example: the repository's files are scanned for credentials
    """
    allowlist = read_allowlist(DEFAULT_ALLOWLIST)
    try:
        sources = list(tree_sources(project_root(), untracked=True))
    except (OSError, subprocess.SubprocessError) as exc:
        raise AssertionError(f"cannot list the files of {project_root()} with git: {exc}") from exc
    assert len(sources) > 10, "the repository scan found almost nothing"
    configured = target_credentials(g2a_world, allowlist)
    g2a_world.notes["configured_kinds"] = {configured_kind(name) for name in configured}
    g2a_world.notes["findings"] = scan_all(sources, configured, allowlist)


@then("no file assigns a value to a G2A secret variable")
def no_secret_assignments(g2a_world: World) -> None:
    """No scanned file assigns a value to a G2A secret variable.

    Example: no file assigns a value to a G2A secret variable
    """
    findings = g2a_world.noted("findings", *_SCAN)
    found = [str(f) for f in findings if f.kind == ASSIGNED_IN_G2A_VARIABLE]
    assert not found, f"secret values committed: {found}"


@then("no file contains a credential of the chosen target, unless G2A published it")
def no_target_credentials(g2a_world: World) -> None:
    """No scanned file holds a credential of the chosen target, except published ones.

    Example: no file contains a credential of the chosen target, unless G2A published it
    """
    kinds = g2a_world.noted("configured_kinds", *_SCAN)
    leaks = [str(f) for f in g2a_world.notes["findings"] if f.kind in kinds]
    assert not leaks, f"a credential of target {g2a_world.target.name} is committed: {leaks}"
