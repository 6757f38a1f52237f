"""Load profiles as data: parsed and validated from `profiles.toml`.

A profile is pure data; the runner turns it into a twin set-up, a Locust command line and a
verdict. Every bad value is reported as a `ProfileError` naming the profile and the field.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROFILES_PATH = Path(__file__).with_name("profiles.toml")

USER_CLASSES = ("buyer", "token_churn", "webhook_sender")
BUYER_TASKS = ("browse", "lookup", "purchase", "repeat", "status", "key_again")
WEBHOOK_VARIANTS = ("duplicate", "replay", "forged")
INVARIANTS = ("no_double_payment", "webhooks_exactly_once", "forgeries_rejected")
TARGETS = ("twin", "sandbox", "live")

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class ProfileError(Exception):
    """A profile (or an override of it) is missing, malformed or not allowed for the target."""


def parse_duration(text: str) -> int:
    """Seconds in a Locust-style duration: `90`, `20s`, `2m`, `1h30m`."""
    value = text.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        match = _DURATION.match(value)
        if match is None or not any(match.groups()):
            raise ProfileError(f"run time {text!r} is not a duration like 20s, 2m or 1h30m")
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ProfileError(f"run time {text!r} must be positive")
    return seconds


@dataclass(frozen=True)
class LatencySlo:
    operation: str
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Slos:
    max_error_ratio: float
    min_throughput_rps: float
    latency: tuple[LatencySlo, ...] = ()


@dataclass(frozen=True)
class SandboxPolicy:
    max_users: int
    max_spawn_rate: float
    min_wait: float


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    users: int
    spawn_rate: float
    run_time_s: int
    wait: tuple[float, float]
    mix: dict[str, int]
    buyer: dict[str, int]
    webhooks: dict[str, float]
    twin: dict[str, Any]
    faults: tuple[dict[str, Any], ...]
    slos: Slos
    invariants: tuple[str, ...]
    sandbox: SandboxPolicy = field(default=SandboxPolicy(3, 1.0, 1.0))

    def with_overrides(
        self,
        *,
        users: int | None = None,
        spawn_rate: float | None = None,
        run_time: str | None = None,
    ) -> Profile:
        """The same profile with the crowd changed from the command line."""
        if users is not None and users < 1:
            raise ProfileError(f"--users must be at least 1, got {users}")
        if spawn_rate is not None and not _positive(spawn_rate):
            raise ProfileError(f"--spawn-rate must be a positive number, got {spawn_rate}")
        return replace(
            self,
            users=self.users if users is None else users,
            spawn_rate=self.spawn_rate if spawn_rate is None else spawn_rate,
            run_time_s=self.run_time_s if run_time is None else parse_duration(run_time),
        )

    def for_target(self, target: str) -> Profile:
        """Apply the target's rules: the sandbox gets no faults and a polite crowd; never live."""
        if target == "live":
            raise ProfileError("load against the live G2A API is refused: use twin or sandbox")
        if target not in TARGETS:
            raise ProfileError(f"unknown target {target!r}: choose twin or sandbox")
        if target == "twin":
            return self
        if self.faults:
            raise ProfileError(
                f"profile {self.name!r} injects faults, which only the twin can do; "
                "the sandbox target refuses fault injection"
            )
        policy = self.sandbox
        low, high = self.wait
        return replace(
            self,
            users=min(self.users, policy.max_users),
            spawn_rate=min(self.spawn_rate, policy.max_spawn_rate),
            wait=(max(low, policy.min_wait), max(high, policy.min_wait)),
            twin={},
        )


def _merged(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _weights(name: str, section: str, raw: Any, allowed: tuple[str, ...]) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {name!r}: [{section}] must be a table")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ProfileError(f"profile {name!r}: unknown {section} entries {unknown}")
    weights = {key: raw.get(key, 0) for key in allowed}
    for key, value in weights.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProfileError(f"profile {name!r}: {section}.{key} must be a whole number >= 0")
    if not any(weights.values()):
        raise ProfileError(f"profile {name!r}: every {section} weight is zero")
    return weights


def _shares(name: str, raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict) or set(raw) - set(WEBHOOK_VARIANTS):
        raise ProfileError(f"profile {name!r}: [webhooks] takes only {list(WEBHOOK_VARIANTS)}")
    shares = {key: float(raw.get(key, 0.0)) for key in WEBHOOK_VARIANTS}
    if not all(v >= 0 for v in shares.values()) or not sum(shares.values()) < 1.0:  # NaN fails
        raise ProfileError(f"profile {name!r}: webhook shares must be >= 0 and sum below 1")
    return shares


def _slos(name: str, raw: Any) -> Slos:
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {name!r}: [slo] is required")
    try:
        latency = tuple(
            LatencySlo(op, float(bounds["p95"]), float(bounds["p99"]))
            for op, bounds in sorted(raw.get("latency", {}).items())
        )
        slos = Slos(float(raw["max_error_ratio"]), float(raw["min_throughput_rps"]), latency)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"profile {name!r}: [slo] is incomplete or malformed ({exc})") from exc
    if not 0.0 <= slos.max_error_ratio <= 1.0:
        raise ProfileError(f"profile {name!r}: slo.max_error_ratio must be within 0..1")
    return slos


def _check_evidence(
    name: str,
    invariants: tuple[str, ...],
    mix: dict[str, int],
    buyer: dict[str, int],
    webhooks: dict[str, float],
) -> None:
    """An invariant is only checked if the traffic that proves it is in the mix."""
    needs = {
        "no_double_payment": mix["buyer"] > 0 and buyer["purchase"] + buyer["repeat"] > 0,
        "webhooks_exactly_once": mix["webhook_sender"] > 0,
        "forgeries_rejected": mix["webhook_sender"] > 0
        and webhooks["forged"] + webhooks["replay"] > 0,
    }
    unproven = [invariant for invariant in invariants if not needs[invariant]]
    if unproven:
        raise ProfileError(f"profile {name!r}: no traffic in the mix proves {unproven}")


def _positive(rate: float) -> bool:
    """A finite number above 0 (NaN, which every comparison fails, is not one)."""
    return 0 < rate < math.inf


def _profile(name: str, raw: dict[str, Any]) -> Profile:
    try:
        users = int(raw["users"])
        spawn_rate = float(raw["spawn_rate"])
        run_time_s = parse_duration(str(raw["run_time"]))
        low, high = (float(v) for v in raw["wait"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"profile {name!r}: missing or malformed field ({exc})") from exc
    if users < 1 or not _positive(spawn_rate) or not 0 <= low <= high < math.inf:
        raise ProfileError(f"profile {name!r}: users, spawn_rate or wait out of range")
    invariants = tuple(raw.get("invariants", INVARIANTS))
    unknown = sorted(set(invariants) - set(INVARIANTS))
    if unknown:
        raise ProfileError(f"profile {name!r}: unknown invariants {unknown}")
    mix = _weights(name, "mix", raw.get("mix", {}), USER_CLASSES)
    buyer = _weights(name, "buyer", raw.get("buyer", {}), BUYER_TASKS)
    webhooks = _shares(name, raw.get("webhooks", {}))
    _check_evidence(name, invariants, mix, buyer, webhooks)
    faults = tuple(raw.get("faults", ()))
    if not all(isinstance(f, dict) and "kind" in f for f in faults):
        raise ProfileError(f"profile {name!r}: every fault needs at least a kind")
    sandbox = raw.get("sandbox", {})
    return Profile(
        name=name,
        description=str(raw.get("description", "")),
        users=users,
        spawn_rate=spawn_rate,
        run_time_s=run_time_s,
        wait=(low, high),
        mix=mix,
        buyer=buyer,
        webhooks=webhooks,
        twin=dict(raw.get("twin", {})),
        faults=faults,
        slos=_slos(name, raw.get("slo")),
        invariants=invariants,
        sandbox=SandboxPolicy(
            int(sandbox.get("max_users", 3)),
            float(sandbox.get("max_spawn_rate", 1.0)),
            float(sandbox.get("min_wait", 1.0)),
        ),
    )


def load_profiles(path: Path = PROFILES_PATH) -> dict[str, Profile]:
    """Every profile of the file, defaults merged in."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read load profiles from {path}: {exc}") from exc
    defaults = data.get("defaults", {})
    return {
        name: _profile(name, _merged(defaults, own))
        for name, own in data.get("profiles", {}).items()
    }


def get_profile(name: str, path: Path = PROFILES_PATH) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        raise ProfileError(f"unknown load profile {name!r}: choose one of {sorted(profiles)}")
    return profiles[name]
