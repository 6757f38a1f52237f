"""Steps: handoff readiness — the target's environment and credentials kept out of the repo."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from harness.bdd.world import World
from harness.targets import TargetError, resolve_target

REPO_ROOT = Path(__file__).resolve().parents[3]
SECRET_VARIABLES = (
    "G2A_API_KEY",
    "G2A_API_SECRET",
    "G2A_OAUTH_CLIENT_SECRET",
    "G2A_WEBHOOK_SECRET",
)
_ASSIGNMENT = re.compile(
    r"\b(?P<name>"
    + "|".join(SECRET_VARIABLES)
    + r")\s*[=:]\s*[\"']?(?P<value>[A-Za-z0-9+/_.\-]{12,})"
)
_SKIP_DIRS = {
    ".git",
    ".venv",
    ".tox",
    "reports",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".schemathesis",
    "build",
    "dist",
}
_MAX_BYTES = 2_000_000


def published_values() -> set[str]:
    """Credentials G2A itself publishes for its sandbox: safe anywhere."""
    from harness.twin import credentials

    return {
        credentials.SANDBOX_API_HASH,
        credentials.SANDBOX_API_KEY,
        credentials.SANDBOX_API_SECRET,
        credentials.SANDBOX_EMAIL,
    }


def repository_files(root: Path = REPO_ROOT) -> list[Path]:
    """Files git tracks or would track (untracked but not ignored), else every file."""
    try:
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=root,
                capture_output=True,
                check=True,
                timeout=30,
            )
            .stdout.decode()
            .split("\0")
        )
        return [root / name for name in listed if name and (root / name).is_file()]
    except (OSError, subprocess.SubprocessError):
        return [
            path
            for path in root.rglob("*")
            if path.is_file() and not _SKIP_DIRS.intersection(path.relative_to(root).parts)
        ]


def _texts(files: list[Path]) -> dict[str, str]:
    texts = {}
    for path in files:
        if path.stat().st_size > _MAX_BYTES:
            continue
        try:
            texts[str(path.relative_to(REPO_ROOT))] = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
    return texts


@when("QA resolves the chosen target from the environment")
def resolve_chosen(g2a_world: World) -> None:
    g2a_world.notes["resolved"] = resolve_target(g2a_world.target.name)


@then("the adapter settings can be built for that target")
def settings_for_target(g2a_world: World, request: pytest.FixtureRequest) -> None:
    resolved = g2a_world.notes["resolved"]
    assert resolved.name == g2a_world.target.name
    if resolved.has_admin:
        g2a_world.twin = request.getfixturevalue("twin")
    settings = g2a_world.settings()
    assert settings.api_hash
    assert settings.api_key.get_secret_value()
    assert settings.env == resolved.env


@given("an environment without G2A credentials")
def empty_environment(g2a_world: World) -> None:
    g2a_world.notes["target_env"] = {
        k: v for k, v in os.environ.items() if not k.startswith("G2A_")
    }


@when(parsers.re(r"QA resolves the (?P<name>sandbox|live) target from that environment"))
def resolve_named(g2a_world: World, name: str) -> None:
    try:
        g2a_world.notes["resolved"] = resolve_target(name, g2a_world.notes["target_env"])
    except TargetError as exc:
        g2a_world.notes["target_error"] = exc


@then(parsers.parse('the harness refuses, naming "{names}"'))
def refuses_naming(g2a_world: World, names: str) -> None:
    error = g2a_world.notes.get("target_error")
    assert error is not None, "the target was accepted without credentials"
    message = str(error)
    assert "\n" not in message
    for name in (n.strip() for n in names.split(",")):
        assert name in message, f"{name} not named in: {message}"


@when("the repository's files are scanned for credentials")
def scan_repository(g2a_world: World) -> None:
    g2a_world.notes["texts"] = _texts(repository_files())
    assert len(g2a_world.notes["texts"]) > 10, "the repository scan found almost nothing"


@then("no file assigns a value to a G2A secret variable")
def no_secret_assignments(g2a_world: World) -> None:
    allowed = published_values()
    found = [
        f"{path}: {m.group('name')}"
        for path, text in g2a_world.notes["texts"].items()
        for m in _ASSIGNMENT.finditer(text)
        if m.group("value") not in allowed
    ]
    assert not found, f"secret values committed: {found}"


@then("no file contains a credential of the chosen target, unless G2A published it")
def no_target_credentials(g2a_world: World) -> None:
    candidates = set(g2a_world.target.secret_values())
    candidates |= {os.environ[v] for v in SECRET_VARIABLES if len(os.environ.get(v, "")) >= 8}
    candidates -= published_values()
    leaks = [
        path
        for path, text in g2a_world.notes["texts"].items()
        if any(secret in text for secret in candidates)
    ]
    assert not leaks, f"a credential of target {g2a_world.target.name} is committed in {leaks}"
