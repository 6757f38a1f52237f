"""Targets the checklist can run against, and what each needs from the environment.

- `twin`: the embedded G2A twin on loopback; needs nothing (published sandbox credentials).
- `sandbox`: the real `sandboxapi.g2a.com`; needs G2A_API_URL, G2A_API_HASH (or the deprecated
  G2A_API_SECRET) and G2A_API_KEY.
- `live`: the real `api.g2a.com`, read-only; needs the same variables.

Scenario tags `@twin @sandbox @live` say where a scenario may run; `allows` applies that rule.
"""

from __future__ import annotations

import fnmatch
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

TARGETS: tuple[str, ...] = ("twin", "sandbox", "live")
TARGET_ENV_VAR = "G2A_TARGET"
DEFAULT_TARGET = "twin"
REQUIRED_VARIABLES: tuple[str, ...] = ("G2A_API_URL", "G2A_API_HASH", "G2A_API_KEY")
_HASH_ALIAS = "G2A_API_SECRET"


class TargetError(Exception):
    """A target cannot be used as asked: one line, naming variables, never their values."""


@dataclass(frozen=True)
class Target:
    """A resolved target. `api_url` is None for the twin until the twin is serving."""

    name: str
    env: str  # the adapter's G2A_ENV for this target
    api_url: str | None = None
    api_hash: str | None = None
    api_key: str | None = field(default=None, repr=False)
    allowed_hosts: str = ""  # G2A_ALLOWED_HOSTS: extra hosts (a proxy of G2A), comma-separated

    @property
    def has_admin(self) -> bool:
        """Only the twin has the admin surface (faults, webhooks, request log)."""
        return self.name == "twin"

    def secret_values(self) -> list[str]:
        return [v for v in (self.api_key,) if v]

    def adapter_settings(self, **overrides: Any) -> dict[str, Any]:
        """What the adapter's `Settings` take from this target (and `overrides`)."""
        values = {
            "api_url": self.api_url,
            "api_hash": self.api_hash,
            "api_key": self.api_key,
            "env": self.env,
            "allowed_hosts": self.allowed_hosts,
        }
        return values | overrides


REDACTED_VARS_ENV = "G2A_REDACTED_VARS"


def environment_secrets(env: Mapping[str, str]) -> list[str]:
    """The secret values in a run's environment: the `G2A_…_KEY` and `G2A_…_SECRET` variables
    (the API key, the webhook, G2A Pay and seller client secrets), the password of each
    `G2A_…_URL` (an idempotency store's), and each variable `G2A_REDACTED_VARS` names: a
    comma-separated list of names or shell-style patterns (`SHOP_*_TOKEN`), for credentials a
    team's own steps read. No other variable is taken on a guess: a `DB_PASSWORD=test` would
    mask every `test` of a report."""
    redacted = [name.strip() for name in env.get(REDACTED_VARS_ENV, "").split(",")]
    values = [
        value
        for name, value in env.items()
        if (name.startswith("G2A_") and name.endswith(("_KEY", "_SECRET")))
        or any(pattern and fnmatch.fnmatchcase(name, pattern) for pattern in redacted)
    ]
    for name, url in env.items():
        if name.startswith("G2A_") and name.endswith("_URL"):
            try:
                password = urlsplit(url).password
            except ValueError:  # a URL that does not parse holds no password urlsplit can find
                continue
            values += [password, unquote(password)] if password else []
    return sorted({v for v in values if v})


def allowed_on(target: str, tags: Iterable[str]) -> tuple[bool, str]:
    """Whether a scenario with these tags may run on `target`, and why not if it may not.

    A scenario without any target tag runs on the twin only.
    """
    tags = set(tags)
    if target in (set(TARGETS) & tags or {DEFAULT_TARGET}):
        return True, ""
    return False, f"not allowed on target {target} ({placement(tags)})"


def placement(tags: Iterable[str]) -> str:
    """Where a scenario's tags let it run, in words: `tagged for sandbox, live`, or
    `no target tag: twin only`."""
    present = set(tags)
    declared = [t for t in TARGETS if t in present]
    if not declared:
        return f"no target tag: {DEFAULT_TARGET} only"
    return f"tagged for {', '.join(declared)}"


def target_name(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The chosen target name: the option, else G2A_TARGET, else twin; refuses unknown ones."""
    env = os.environ if environ is None else environ
    name = (option or env.get(TARGET_ENV_VAR) or DEFAULT_TARGET).strip().lower()
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    return name


def resolve_target(name: str, environ: Mapping[str, str] | None = None) -> Target:
    """Build the target, reading and checking the credentials it needs from the environment."""
    env = os.environ if environ is None else environ
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    if name == "twin":
        from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

        return Target("twin", "sandbox", None, SANDBOX_API_HASH, SANDBOX_API_KEY)
    values = {var: env.get(var, "").strip() for var in REQUIRED_VARIABLES}
    if not values["G2A_API_HASH"]:
        values["G2A_API_HASH"] = env.get(_HASH_ALIAS, "").strip()
    missing = [var for var, value in values.items() if not value]
    if missing:
        raise TargetError(
            f"target {name} needs {', '.join(REQUIRED_VARIABLES)} in the environment; "
            f"missing: {', '.join(missing)} (the twin target needs none)"
        )
    _check_host_of(name, values["G2A_API_URL"])
    return Target(
        name,
        "live" if name == "live" else "sandbox",
        values["G2A_API_URL"],
        values["G2A_API_HASH"],
        values["G2A_API_KEY"],
        env.get("G2A_ALLOWED_HOSTS", ""),
    )


def _check_host_of(name: str, api_url: str) -> None:
    """The target decides the adapter's G2A_ENV: a URL of the other environment's host is the
    wrong target, whatever G2A_ENV says."""
    from g2a_adapter import env_of_host

    host = (urlsplit(api_url).hostname or "").lower()
    other = env_of_host(host)
    if other is not None and other != name:
        raise TargetError(
            f"target {name} runs with G2A_ENV={name}, but G2A_API_URL is G2A's {other} "
            f"host {host} (use --target {other})"
        )


def check_reachable(url: str, timeout: float = 3.0) -> None:
    """Refuse early, in one line, when the target's host does not accept connections."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise TargetError(f"G2A_API_URL has no host: {parts.scheme}://{parts.netloc}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise TargetError(f"cannot reach {host}:{port} ({reason})") from None
