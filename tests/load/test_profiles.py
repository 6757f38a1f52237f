"""Load profiles as data: what ships, and the rules every profile and target obeys."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli import main
from harness.load import profiles
from harness.load.profiles import (
    INVARIANTS,
    ProfileError,
    get_profile,
    load_profiles,
    parse_duration,
    sandbox_notes,
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


@pytest.mark.parametrize("text", ["", "abc", "10x", "0s", "m", "²", "2²s"])
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
    assert polite.slos == replace(steady.slos, min_throughput_rps=1.5)


def test_the_sandbox_notes_say_what_its_crowd_changed_of_the_one_asked_for() -> None:
    smoke = get_profile("smoke")
    asked = smoke.with_overrides(users=2, spawn_rate=0.5)
    assert sandbox_notes(asked, asked.for_target("sandbox")) == [
        "waits of 0.05-0.3 s between tasks raised to 1-1 s on the sandbox (sandbox.min_wait 1 "
        "of profile smoke)"
    ]
    assert sandbox_notes(smoke, smoke.for_target("twin")) == []
    slow = replace(asked, users=3, wait=(2.0, 3.0))
    assert sandbox_notes(slow, slow.for_target("sandbox")) == []


def test_every_sandbox_crowd_can_reach_its_throughput_target() -> None:
    """3 users waiting >= 1 s between tasks make at most 3 tasks a second: a throughput target
    above that (the smoke profile's 5 rps of its full crowd) could never pass on the sandbox."""
    sandbox_profiles = [p for p in load_profiles().values() if not p.faults]

    assert {p.name for p in sandbox_profiles} == {"smoke", "steady", "spike"}
    for profile in sandbox_profiles:
        polite = profile.for_target("sandbox")
        best_rate = polite.users / polite.wait[0]
        assert polite.slos.min_throughput_rps <= best_rate, profile.name
    assert get_profile("smoke").for_target("sandbox").slos.min_throughput_rps == 1.5


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
[profiles.p.sandbox]
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
        (("buyer = 1", "buyer = 1\nsniper = 2"), "unknown mix entries ['sniper']"),
        (("purchase = 1", "purchase = 0"), "every buyer weight is zero"),
        (('run_time = "5s"', 'run_time = "soon"'), "run time 'soon' is not a duration like 20s, "
         "2m or 1h30m"),
        (("min_throughput_rps = 1\n[", "\n["), "slo.min_throughput_rps is required"),
        (('["no_double_payment"]', '["forgeries_rejected"]'),
         "no traffic in the mix proves ['forgeries_rejected']"),
        (("purchase = 1", "purchase = 0\nbrowse = 1"),
         "no traffic in the mix proves ['no_double_payment']"),
        (("spawn_rate = 1", "spawn_rate = nan"), "spawn_rate must be a finite number above 0, "
         "got nan"),
        (("spawn_rate = 1", "spawn_rate = inf"), "spawn_rate must be a finite number above 0, "
         "got inf"),
        (("wait = [0.1, 0.2]", "wait = [0.1, inf]"), "wait must be a finite number >= 0, got inf"),
        (("wait = [0.1, 0.2]", "wait = [nan, 0.2]"), "wait must be a finite number >= 0, got nan"),
        (("wait = [0.1, 0.2]", "wait = [0.3, 0.2]"),
         "wait must be [min, max] with min <= max, got [0.3, 0.2]"),
        (("wait = [0.1, 0.2]", "wait = 0.2"), "wait must be [min, max] in seconds, got 0.2"),
        (("[profiles.p.slo]", "[profiles.p.webhooks]\nforged = nan\n[profiles.p.slo]"),
         "webhooks.forged must be a finite number >= 0, got nan"),
        (("[profiles.p.slo]", "[profiles.p.webhooks]\nforged = 0.6\nreplay = 0.5\n"
          "[profiles.p.slo]"), "webhook shares must be >= 0 and sum below 1"),
        # found in review: raw ValueError / TypeError, or silently accepted
        (("[profiles.p.sandbox]", "[profiles.p.sandbox]\nmax_users = \"x\""),
         "sandbox.max_users must be a whole number >= 1, got 'x'"),
        (("[profiles.p.slo]", "[profiles.p.webhooks]\nforged = \"x\"\n[profiles.p.slo]"),
         "webhooks.forged must be a finite number >= 0, got 'x'"),
        (("users = 3", "users = 3\ntwin = 5"), "[twin] must be a table, got 5"),
        (("min_throughput_rps = 1\n[profiles.p.sandbox]",
          "min_throughput_rps = -1\n[profiles.p.sandbox]"),
         "slo.min_throughput_rps must be a finite number above 0, got -1"),
        (("[profiles.p.sandbox]", "[profiles.p.slo.latency]\n\"products.list\" = "
          "{ p95 = -5, p99 = 10 }\n[profiles.p.sandbox]"),
         "slo.latency.products.list.p95 must be a finite number above 0, got -5"),
        (("[profiles.p.sandbox]", "[profiles.p.slo.latency]\n\"products.list\" = "
          "{ p95 = 5, p99 = nan }\n[profiles.p.sandbox]"),
         "slo.latency.products.list.p99 must be a finite number above 0, got nan"),
        (("[profiles.p.sandbox]", "[profiles.p.slo.latency]\n\"products.list\" = "
          "{ p95 = 50, p99 = 10 }\n[profiles.p.sandbox]"),
         "slo.latency.products.list.p95 (50) is above its p99 (10)"),
        (("users = 3", "users = 2.9"), "users must be a whole number >= 1, got 2.9"),
        (("users = 3", "users = true"), "users must be a whole number >= 1, got True"),
        (('invariants = ["no_double_payment"]', "invariants = []"),
         "invariants must be a non-empty list of ['no_double_payment', "
         "'webhooks_exactly_once', 'forgeries_rejected'], got []"),
        (("max_error_ratio = 0.0", "max_error_ratio = 1.0"),
         "slo.max_error_ratio must be a number from 0 up to, not including, 1, got 1.0"),
        (("users = 3", "user = 3\nusers = 3"), "unknown field(s) ['user']"),
        (("users = 3", "users = 3\nfaults = 5"),
         "faults must be a list of tables, each with a kind"),
        (("users = 3", "users = 3\ntwin = { token_ttl = 3 }"),
         "[twin] unknown config field(s): token_ttl"),
        (('run_time = "5s"', "run_time = 1.5"),
         "run_time must be a duration like 20s, 2m or 1h30m, got 1.5"),
        (("[profiles.p.sandbox]\nmin_throughput_rps = 1", "[profiles.p.sandbox]"),
         "sandbox.min_throughput_rps is required"),
        (("[profiles.p.sandbox]\nmin_throughput_rps = 1",
          "[profiles.p.sandbox]\nmin_throughput_rps = 4"),
         "sandbox.min_throughput_rps 4 is out of reach of its sandbox crowd (3 users, each "
         "waiting at least 1 s between two tasks: at most 3 tasks per second)"),
    ],
)  # fmt: skip
def test_every_bad_field_is_a_profile_error_naming_profile_and_field(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    body = BASE.replace(*edit)
    assert body != BASE, edit

    with pytest.raises(ProfileError) as refused:
        load_profiles(_write(tmp_path, body))

    assert str(refused.value) == f"profile 'p': {message}"


@pytest.mark.parametrize("body", ["defaults = 5\n" + BASE, "profiles = { p = 5 }\n"])
def test_sections_that_are_not_tables_are_refused(tmp_path: Path, body: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ProfileError) as refused:
        load_profiles(path)
    assert str(refused.value) == f"{path}: [defaults] and every [profiles.NAME] must be tables"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("users = 3", "users = 3\ntwin = 5"), "profile 'p': [twin] must be a table, got 5"),
        (("users = 3", "users = 2.9"), "profile 'p': users must be a whole number >= 1, got 2.9"),
    ],
)
@pytest.mark.parametrize("command", [["--list-profiles"], ["--profile", "p"]])
def test_the_command_prints_a_bad_profile_as_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: tuple[str, str],
    message: str,
    command: list[str],
) -> None:
    path = _write(tmp_path, BASE.replace(*edit))
    real_load = profiles.load_profiles
    monkeypatch.setattr(profiles, "load_profiles", lambda _=None: real_load(path))

    code = main(["load", *command, "--report-dir", str(tmp_path / "reports")])

    assert code == 2
    assert capsys.readouterr() == ("", f"g2a-harness load: {message}\n")
    assert not (tmp_path / "reports").exists()
