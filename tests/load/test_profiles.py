"""Load profiles as data: what ships, and the rules every profile and target obeys."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.load.profiles import (
    INVARIANTS,
    ProfileError,
    get_profile,
    load_profiles,
    parse_duration,
)


def test_the_four_required_profiles_ship_with_slos_and_all_invariants() -> None:
    profiles = load_profiles()

    assert {"smoke", "steady", "spike", "chaos"} <= set(profiles)
    for profile in profiles.values():
        assert profile.invariants == INVARIANTS
        assert profile.slos.max_error_ratio < 0.05
        assert profile.slos.min_throughput_rps > 0
        assert profile.slos.latency, profile.name
        assert all(v > 0 for v in profile.mix.values())


def test_smoke_fits_ci_and_injects_no_faults() -> None:
    smoke = get_profile("smoke")

    assert smoke.run_time_s < 60
    assert smoke.faults == ()
    assert smoke.slos.max_error_ratio == 0.0
    assert smoke.twin["token_ttl_seconds"] <= 5  # the token-churn user sees refreshes
    # purchases poll a paid order until it completes, longer than Locust's master waits for
    # its workers' last reports when quitting (0.5 s): the end-of-run handshake must cover it
    assert smoke.twin["completion_delay_seconds"] >= 1.0
    # one shared credential: the twin's default rate limit is switched off explicitly
    assert smoke.twin["rate_limit"] == "off"


def test_chaos_injects_the_documented_fault_mix() -> None:
    faults = {(f["kind"], f.get("status")): f for f in get_profile("chaos").faults}

    assert faults[("status", 503)]["probability"] == 0.05
    assert faults[("rate_limit", None)]["probability"] == 0.02
    assert faults[("rate_limit", None)]["retry_after"] == 1
    assert faults[("reset", None)]["probability"] == 0.01
    assert faults[("latency", None)]["latency_ms"] > 0
    assert all(f["seed"] is not None for f in faults.values())  # deterministic


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("20s", 20), ("2m", 120), ("1h30m", 5400)]
)
def test_durations_read_like_locust_run_times(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "0s", "m"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ProfileError, match="run time"):
        parse_duration(text)


def test_command_line_overrides_change_only_the_crowd() -> None:
    smoke = get_profile("smoke")

    changed = smoke.with_overrides(users=9, spawn_rate=3.0, run_time="7s")

    assert (changed.users, changed.spawn_rate, changed.run_time_s) == (9, 3.0, 7)
    assert changed.slos == smoke.slos
    assert changed.mix == smoke.mix
    with pytest.raises(ProfileError, match="--users"):
        smoke.with_overrides(users=0)
    for rate in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ProfileError) as refused:
            smoke.with_overrides(spawn_rate=rate)
        assert str(refused.value) == f"--spawn-rate must be a positive number, got {rate}"


def test_sandbox_target_caps_the_crowd_and_slows_it_down() -> None:
    steady = get_profile("steady")

    polite = steady.for_target("sandbox")

    assert polite.users == steady.sandbox.max_users < steady.users
    assert polite.spawn_rate <= steady.sandbox.max_spawn_rate
    assert polite.wait[0] >= steady.sandbox.min_wait
    assert polite.twin == {}


def test_sandbox_refuses_faults_and_live_is_refused_outright() -> None:
    with pytest.raises(ProfileError, match="refuses fault injection"):
        get_profile("chaos").for_target("sandbox")
    with pytest.raises(ProfileError, match="live G2A API is refused"):
        get_profile("smoke").for_target("live")


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ProfileError, match=r"unknown load profile 'nope'.*smoke"):
        get_profile("nope")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(body)
    return path


BASE = """
[profiles.p]
invariants = ["no_double_payment"]
users = 3
spawn_rate = 1
run_time = "5s"
wait = [0.1, 0.2]
[profiles.p.mix]
buyer = 1
[profiles.p.buyer]
purchase = 1
[profiles.p.slo]
max_error_ratio = 0.0
min_throughput_rps = 1
"""


def test_a_minimal_profile_loads_with_defaults(tmp_path: Path) -> None:
    profile = load_profiles(_write(tmp_path, BASE))["p"]

    assert profile.mix == {"buyer": 1, "token_churn": 0, "webhook_sender": 0}
    assert profile.webhooks == {"duplicate": 0.0, "replay": 0.0, "forged": 0.0}
    assert profile.slos.latency == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("buyer = 1", "buyer = 1\nsniper = 2"), r"unknown mix entries \['sniper'\]"),
        (("purchase = 1", "purchase = 0"), "every buyer weight is zero"),
        (("max_error_ratio = 0.0", "max_error_ratio = 2"), "within 0..1"),
        (('run_time = "5s"', 'run_time = "soon"'), "run time 'soon'"),
        (("min_throughput_rps = 1", ""), r"\[slo\] is incomplete"),
        (('["no_double_payment"]', '["forgeries_rejected"]'), "no traffic in the mix proves"),
        (("purchase = 1", "purchase = 0\nbrowse = 1"), "no traffic in the mix proves"),
        (("spawn_rate = 1", "spawn_rate = nan"), "users, spawn_rate or wait out of range"),
        (("spawn_rate = 1", "spawn_rate = inf"), "users, spawn_rate or wait out of range"),
        (("wait = [0.1, 0.2]", "wait = [0.1, inf]"), "users, spawn_rate or wait out of range"),
        (("wait = [0.1, 0.2]", "wait = [nan, 0.2]"), "users, spawn_rate or wait out of range"),
        (
            ("[profiles.p.slo]", "[profiles.p.webhooks]\nforged = nan\n[profiles.p.slo]"),
            "webhook shares must be >= 0 and sum below 1",
        ),
    ],
)
def test_malformed_profiles_name_the_problem(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profiles(_write(tmp_path, BASE.replace(*edit)))
