"""Load profiles as data: parsed and validated from `profiles.toml`.

A profile is pure data; the runner turns it into a twin set-up, a Locust command line and a
verdict. Every bad value is reported as a `ProfileError` naming the profile and the field.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.twin.config import TwinConfig

PROFILES_PATH = Path(__file__).with_name("profiles.toml")

USER_CLASSES = ("buyer", "token_churn", "webhook_sender")
BUYER_TASKS = ("browse", "lookup", "purchase", "repeat", "status", "key_again")
WEBHOOK_VARIANTS = ("duplicate", "replay", "forged")
INVARIANTS = ("no_double_payment", "webhooks_exactly_once", "forgeries_rejected")
TARGETS = ("twin", "sandbox", "live")
PROFILE_FIELDS = (
    "description", "users", "spawn_rate", "run_time", "wait", "mix", "buyer", "webhooks",
    "twin", "faults", "slo", "invariants", "sandbox",
)  # fmt: skip
SANDBOX_FIELDS = ("max_users", "max_spawn_rate", "min_wait", "min_throughput_rps")

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class ProfileError(Exception):
    """A profile (or an override of it) is missing, malformed or not allowed for the target."""


def parse_duration(text: str) -> int:
    """Seconds in a Locust-style duration: `90`, `20s`, `2m`, `1h30m`."""
    value = text.strip()
    if value.isascii() and value.isdigit():  # `isdigit` alone takes `²`, which `int` refuses
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
    """The polite crowd of the shared sandbox, and the throughput such a crowd is judged by."""

    max_users: int
    max_spawn_rate: float
    min_wait: float
    min_throughput_rps: float


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
    sandbox: SandboxPolicy

    @property
    def best_task_rate(self) -> float:
        """Tasks per second if every task took no time: each user waits at least wait[0]."""
        return self.users / self.wait[0] if self.wait[0] > 0 else math.inf

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
        """Apply the target's rules: never live; the sandbox gets no faults, a polite crowd and
        the throughput target such a crowd can reach."""
        _check_target(target)
        if target == "twin":
            return self
        if self.faults:
            raise ProfileError(
                f"profile {self.name!r} injects faults, which only the twin can do; "
                "the sandbox target refuses fault injection"
            )
        policy = self.sandbox
        low, high = self.wait
        polite = replace(
            self,
            users=min(self.users, policy.max_users),
            spawn_rate=min(self.spawn_rate, policy.max_spawn_rate),
            wait=(max(low, policy.min_wait), max(high, policy.min_wait)),
            twin={},
            slos=replace(self.slos, min_throughput_rps=policy.min_throughput_rps),
        )
        if policy.min_throughput_rps > polite.best_task_rate:
            raise ProfileError(
                f"profile {self.name!r}: sandbox.min_throughput_rps "
                f"{policy.min_throughput_rps:g} is out of reach of its sandbox crowd "
                f"({polite.users} users, each waiting at least {polite.wait[0]:g} s between "
                f"two tasks: at most {polite.best_task_rate:g} tasks per second)"
            )
        return polite


def sandbox_notes(asked: Profile, polite: Profile) -> list[str]:
    """What the sandbox's polite crowd (`polite`, `asked.for_target("sandbox")`) changed of the
    crowd asked for (the profile's, or the command line's), one line each; none when it
    changed nothing."""
    rules = polite.sandbox
    changes = [
        (asked.users, polite.users, f"{asked.users} users capped to {polite.users}", "max_users"),
        (
            asked.spawn_rate,
            polite.spawn_rate,
            f"a spawn rate of {asked.spawn_rate:g}/s capped to {polite.spawn_rate:g}/s",
            "max_spawn_rate",
        ),
        (
            asked.wait,
            polite.wait,
            f"waits of {asked.wait[0]:g}-{asked.wait[1]:g} s between tasks raised to "
            f"{polite.wait[0]:g}-{polite.wait[1]:g} s",
            "min_wait",
        ),
    ]
    return [
        f"{change} on the sandbox (sandbox.{rule} {getattr(rules, rule):g} of profile {asked.name})"
        for before, after, change, rule in changes
        if before != after
    ]


def _check_target(target: str) -> None:
    """`ProfileError` unless load may run on `target`: never live."""
    if target == "live":
        raise ProfileError("load against the live G2A API is refused: use twin or sandbox")
    if target not in TARGETS:
        raise ProfileError(f"unknown target {target!r}: choose twin or sandbox")


def profiles_on(target: str, profiles: dict[str, Profile]) -> tuple[dict[str, Profile], list[str]]:
    """The profiles as they run on `target` (on the sandbox its polite crowd and throughput
    target), and the names of those only the twin runs (they inject faults)."""
    _check_target(target)
    twin_only = [name for name, profile in profiles.items() if target != "twin" and profile.faults]
    runnable = {
        name: profile.for_target(target)
        for name, profile in profiles.items()
        if name not in twin_only
    }
    return runnable, twin_only


def _merged(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class _Rule:
    """What a number must be, said the way an error message says it."""

    text: str
    accepts: Callable[[float], bool]


_POSITIVE = _Rule("a finite number above 0", lambda v: 0 < v < math.inf)
_AT_LEAST_ZERO = _Rule("a finite number >= 0", lambda v: 0 <= v < math.inf)
_RATIO = _Rule("a number from 0 up to, not including, 1", lambda v: 0 <= v < 1)


def _bad(name: str, field: str, rule: str, value: Any) -> ProfileError:
    return ProfileError(f"profile {name!r}: {field} must be {rule}, got {value!r}")


def _number(name: str, field: str, value: Any, rule: _Rule) -> float:
    """A TOML number (a bool is not one) that `rule` accepts."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not rule.accepts(value):
        raise _bad(name, field, rule.text, value)
    return float(value)


def _whole(name: str, field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(name, field, f"a whole number >= {minimum}", value)
    return value


def _table(
    name: str, field: str, raw: Any, allowed: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """`raw` as a table whose keys are all in `allowed` (any keys when None)."""
    if not isinstance(raw, dict):
        raise _bad(name, f"[{field}]", "a table", raw)
    unknown = sorted(set(raw) - set(allowed)) if allowed is not None else []
    if unknown:
        raise ProfileError(f"profile {name!r}: unknown {field} entries {unknown}")
    return raw


def _required(name: str, raw: dict[str, Any], field: str, prefix: str = "") -> Any:
    if field not in raw:
        raise ProfileError(f"profile {name!r}: {prefix}{field} is required")
    return raw[field]


def _weights(name: str, section: str, raw: Any, allowed: tuple[str, ...]) -> dict[str, int]:
    table = _table(name, section, raw, allowed)
    weights = {key: _whole(name, f"{section}.{key}", table.get(key, 0), 0) for key in allowed}
    if not any(weights.values()):
        raise ProfileError(f"profile {name!r}: every {section} weight is zero")
    return weights


def _shares(name: str, raw: Any) -> dict[str, float]:
    table = _table(name, "webhooks", raw, WEBHOOK_VARIANTS)
    shares = {
        key: _number(name, f"webhooks.{key}", table.get(key, 0.0), _AT_LEAST_ZERO)
        for key in WEBHOOK_VARIANTS
    }
    if not sum(shares.values()) < 1.0:
        raise ProfileError(f"profile {name!r}: webhook shares must be >= 0 and sum below 1")
    return shares


def _latency(name: str, operation: str, raw: Any) -> LatencySlo:
    field = f"slo.latency.{operation}"
    bounds = _table(name, field, raw, ("p95", "p99"))
    p95, p99 = (
        _number(name, f"{field}.{key}", _required(name, bounds, key, f"{field}."), _POSITIVE)
        for key in ("p95", "p99")
    )
    if p95 > p99:
        raise ProfileError(f"profile {name!r}: {field}.p95 ({p95:g}) is above its p99 ({p99:g})")
    return LatencySlo(operation, p95, p99)


def _slos(name: str, raw: Any) -> Slos:
    if raw is None:
        raise ProfileError(f"profile {name!r}: [slo] is required")
    table = _table(name, "slo", raw, ("max_error_ratio", "min_throughput_rps", "latency"))
    latency = _table(name, "slo.latency", table.get("latency", {}))
    return Slos(
        _number(
            name,
            "slo.max_error_ratio",
            _required(name, table, "max_error_ratio", "slo."),
            _RATIO,
        ),
        _number(
            name,
            "slo.min_throughput_rps",
            _required(name, table, "min_throughput_rps", "slo."),
            _POSITIVE,
        ),
        tuple(_latency(name, op, bounds) for op, bounds in sorted(latency.items())),
    )


def _invariants(name: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(name, "invariants", f"a non-empty list of {list(INVARIANTS)}", raw)
    unknown = sorted({str(i) for i in raw} - set(INVARIANTS))
    if unknown or not all(isinstance(i, str) for i in raw):
        raise ProfileError(f"profile {name!r}: unknown invariants {unknown}")
    return tuple(raw)


def _wait(name: str, raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise _bad(name, "wait", "[min, max] in seconds", raw)
    low, high = (_number(name, "wait", value, _AT_LEAST_ZERO) for value in raw)
    if low > high:
        raise _bad(name, "wait", "[min, max] with min <= max", raw)
    return low, high


def _twin(name: str, raw: Any) -> dict[str, Any]:
    """TwinConfig fields, checked now rather than when the twin starts."""
    table = _table(name, "twin", raw)
    try:
        TwinConfig().updated(table)
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"profile {name!r}: [twin] {exc}") from None
    return dict(table)


def _faults(name: str, raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list) or not all(isinstance(f, dict) and "kind" in f for f in raw):
        raise ProfileError(f"profile {name!r}: faults must be a list of tables, each with a kind")
    return tuple(raw)


def _sandbox(name: str, raw: Any) -> SandboxPolicy:
    table = _table(name, "sandbox", raw, SANDBOX_FIELDS)
    return SandboxPolicy(
        max_users=_whole(name, "sandbox.max_users", table.get("max_users", 3), 1),
        max_spawn_rate=_number(
            name, "sandbox.max_spawn_rate", table.get("max_spawn_rate", 1.0), _POSITIVE
        ),
        min_wait=_number(name, "sandbox.min_wait", table.get("min_wait", 1.0), _POSITIVE),
        min_throughput_rps=_number(
            name,
            "sandbox.min_throughput_rps",
            _required(name, table, "min_throughput_rps", "sandbox."),
            _POSITIVE,
        ),
    )


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
    return _POSITIVE.accepts(rate)


def _profile(name: str, raw: dict[str, Any]) -> Profile:
    unknown = sorted(set(raw) - set(PROFILE_FIELDS))
    if unknown:
        raise ProfileError(f"profile {name!r}: unknown field(s) {unknown}")
    run_time = _required(name, raw, "run_time")
    if isinstance(run_time, bool) or not isinstance(run_time, str | int):
        raise _bad(name, "run_time", "a duration like 20s, 2m or 1h30m", run_time)
    try:
        run_time_s = parse_duration(str(run_time))
    except ProfileError as exc:
        raise ProfileError(f"profile {name!r}: {exc}") from None
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _bad(name, "description", "text", description)
    invariants = _invariants(name, raw.get("invariants", list(INVARIANTS)))
    mix = _weights(name, "mix", raw.get("mix", {}), USER_CLASSES)
    buyer = _weights(name, "buyer", raw.get("buyer", {}), BUYER_TASKS)
    webhooks = _shares(name, raw.get("webhooks", {}))
    _check_evidence(name, invariants, mix, buyer, webhooks)
    profile = Profile(
        name=name,
        description=description,
        users=_whole(name, "users", _required(name, raw, "users"), 1),
        spawn_rate=_number(name, "spawn_rate", _required(name, raw, "spawn_rate"), _POSITIVE),
        run_time_s=run_time_s,
        wait=_wait(name, _required(name, raw, "wait")),
        mix=mix,
        buyer=buyer,
        webhooks=webhooks,
        twin=_twin(name, raw.get("twin", {})),
        faults=_faults(name, raw.get("faults", [])),
        slos=_slos(name, raw.get("slo")),
        invariants=invariants,
        sandbox=_sandbox(name, raw.get("sandbox", {})),
    )
    if not profile.faults:  # a profile the sandbox may run: its polite crowd must be able to pass
        profile.for_target("sandbox")
    return profile


def load_profiles(path: Path = PROFILES_PATH) -> dict[str, Profile]:
    """Every profile of the file, defaults merged in."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read load profiles from {path}: {exc}") from exc
    defaults, profiles = data.get("defaults", {}), data.get("profiles", {})
    tables = [defaults, profiles, *(profiles.values() if isinstance(profiles, dict) else ())]
    if not all(isinstance(table, dict) for table in tables):
        raise ProfileError(f"{path}: [defaults] and every [profiles.NAME] must be tables")
    return {name: _profile(name, _merged(defaults, own)) for name, own in profiles.items()}


def get_profile(name: str, path: Path = PROFILES_PATH) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        raise ProfileError(f"unknown load profile {name!r}: choose one of {sorted(profiles)}")
    return profiles[name]
