"""Live settings judged by the adapter's own `Settings`, and distinct from sandbox credentials."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.commands.gate import default_evidence_dir
from harness.gate.checks.config import check_live_config
from harness.gate.checks.credentials import check_credentials_distinct
from harness.gate.collect import live_config, sandbox_credentials
from harness.gate.evidence import Evidence
from harness.gate.model import Status
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY


def with_live(evidence: Evidence, env: dict[str, str], live_url: str | None = None) -> Evidence:
    return dataclasses.replace(evidence, live=live_config(env, "the environment", live_url))


def test_valid_live_settings_print_the_normalized_base_url(clean: Evidence) -> None:
    result = check_live_config(clean)
    assert result.status is Status.GO
    assert result.reason == (
        "valid for live; base URL https://api.g2a.com/v1 (G2A production, api.g2a.com)"
    )


def test_live_url_pointing_at_the_sandbox_host(clean: Evidence, live_env: dict[str, str]) -> None:
    evidence = with_live(clean, live_env, live_url="https://sandboxapi.g2a.com/v1")
    result = check_live_config(evidence)
    assert result.status is Status.NO_GO
    assert result.reason == (
        "live settings from the environment with --live-url are refused: "
        "G2A_ENV=live but G2A_API_URL points at the sandbox host"
    )
    assert result.fix.startswith("fix the live settings, e.g. G2A_ENV=live G2A_API_URL=https://")


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        (
            "http://api.g2a.com/v1",
            "G2A_API_URL must use https (plain http only to a loopback host)",
        ),
        (
            "http://127.0.0.1:8765/v1",
            "G2A_API_URL: a loopback host is allowed only in the sandbox env",
        ),
        ("https://api.g2a.com/v1?x=1", "G2A_API_URL must not contain a query string or a fragment"),
    ],
)
def test_every_adapter_url_rule_applies(
    clean: Evidence, live_env: dict[str, str], url: str, rule: str
) -> None:
    result = check_live_config(with_live(clean, {**live_env, "G2A_API_URL": url}))
    assert result.reason == f"live settings from the environment are refused: {rule}"


def test_missing_key_is_refused_by_settings(clean: Evidence, live_env: dict[str, str]) -> None:
    env = {k: v for k, v in live_env.items() if k != "G2A_API_KEY"}
    result = check_live_config(with_live(clean, env))
    assert result.reason == (
        "live settings from the environment are refused: "
        "G2A_API_KEY is required and must not be empty"
    )


def test_declared_sandbox_env_is_no_go(clean: Evidence, live_env: dict[str, str]) -> None:
    result = check_live_config(with_live(clean, {**live_env, "G2A_ENV": "sandbox"}))
    assert result.status is Status.NO_GO
    assert result.reason == "G2A_ENV is 'sandbox' in the environment, not 'live'"


@pytest.mark.parametrize("declared", [None, "", "  "])
def test_unset_env_is_no_go(
    clean: Evidence, live_env: dict[str, str], declared: str | None
) -> None:
    """The adapter reads a missing (or blank) G2A_ENV as sandbox and then refuses the live URL
    at start-up: settings valid only "as live" would not start. (This test used to pin the
    opposite, validating unset as live.)"""
    env = {k: v for k, v in live_env.items() if k != "G2A_ENV"}
    if declared is not None:
        env["G2A_ENV"] = declared
    result = check_live_config(with_live(clean, env))
    assert result.status is Status.NO_GO
    if declared is None:
        assert result.reason == (
            "G2A_ENV is not set in the environment: the adapter would start as sandbox "
            "(and refuse the live URL)"
        )
    assert result.fix == "the deployment must set G2A_ENV=live"


def test_declared_live_env_in_any_letter_case_is_live(
    clean: Evidence, live_env: dict[str, str]
) -> None:
    result = check_live_config(with_live(clean, {**live_env, "G2A_ENV": " Live"}))
    assert result.status is Status.GO


PROXY = "g2a-proxy.example.net"


def with_proxy(clean: Evidence, live_env: dict[str, str], confirmed: str | None) -> Evidence:
    env = {**live_env, "G2A_API_URL": f"https://{PROXY}/v1", "G2A_ALLOWED_HOSTS": PROXY}
    return dataclasses.replace(clean, live=live_config(env, "the environment", None, confirmed))


@pytest.mark.parametrize("confirmed", [None, "other.example.net", "api.g2a.com"])
def test_a_live_host_that_is_not_g2a_needs_the_operators_confirmation(
    clean: Evidence, live_env: dict[str, str], confirmed: str | None
) -> None:
    """G2A_ALLOWED_HOSTS lets the adapter call another host; the gate does not take it on
    trust: a warning is never a go."""
    result = check_live_config(with_proxy(clean, live_env, confirmed))
    assert result.status is Status.NO_GO
    assert result.reason.startswith(
        f"the live base URL https://{PROXY}/v1 is not on G2A's production host api.g2a.com "
        f"and the operator has not confirmed {PROXY}"
    )
    assert result.fix == (
        f"use https://api.g2a.com/v1, or, if {PROXY} really is G2A production, "
        f"pass --confirm-live-host {PROXY}"
    )


def test_a_confirmed_live_host_is_go_and_says_who_confirmed_it(
    clean: Evidence, live_env: dict[str, str]
) -> None:
    result = check_live_config(with_proxy(clean, live_env, PROXY))
    assert (result.status, result.reason) == (
        Status.GO,
        f"valid for live; base URL https://{PROXY}/v1 on {PROXY}, confirmed as G2A production "
        f"by the operator (--confirm-live-host {PROXY})",
    )


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("127.1", "G2A_API_URL: a loopback host is allowed only in the sandbox env"),
        ("0x7f000001", "G2A_API_URL: a loopback host is allowed only in the sandbox env"),
        ("[::ffff:127.0.0.1]", "G2A_API_URL: a loopback host is allowed only in the sandbox env"),
        ("g2a.localhost", "G2A_API_URL: a loopback host is allowed only in the sandbox env"),
        ("0.0.0.0", "G2A_API_URL: 0.0.0.0 is an address to listen on, not a host to call"),
    ],
)
def test_the_operators_word_does_not_make_this_machine_a_live_host(
    clean: Evidence, live_env: dict[str, str], host: str, rule: str
) -> None:
    """Loopback written unusually, allowed and confirmed by the operator, is still this machine:
    a twin or a stub, never G2A production."""
    listed = host.strip("[]")
    env = {**live_env, "G2A_API_URL": f"https://{host}/v1", "G2A_ALLOWED_HOSTS": listed}
    evidence = dataclasses.replace(clean, live=live_config(env, "the environment", None, listed))
    result = check_live_config(evidence)
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"live settings from the environment are refused: {rule}",
    )


def test_an_import_api_url_off_g2a_is_no_go_even_with_the_live_base_url(
    clean: Evidence, live_env: dict[str, str]
) -> None:
    """The OAuth token request (the live key as client secret by default) and the offers go to
    the Import API URL: a leftover staging host there is no go, unless confirmed."""
    env = {
        **live_env,
        "G2A_IMPORT_API_URL": f"https://{PROXY}/integration-api/v1",
        "G2A_ALLOWED_HOSTS": PROXY,
    }
    result = check_live_config(with_live(clean, env))
    assert result.status is Status.NO_GO
    assert result.reason == (
        f"the live Import API URL https://{PROXY} is not on G2A's production host api.g2a.com "
        f"and the operator has not confirmed {PROXY}"
    )
    assert result.fix == (
        f"use https://api.g2a.com, or, if {PROXY} really is G2A production, "
        f"pass --confirm-live-host {PROXY}"
    )


def test_published_sandbox_credentials_as_live(clean: Evidence, live_env: dict[str, str]) -> None:
    env = {**live_env, "G2A_API_HASH": SANDBOX_API_HASH, "G2A_API_KEY": SANDBOX_API_KEY}
    result = check_credentials_distinct(with_live(clean, env))
    assert result.status is Status.NO_GO
    assert result.reason == (
        "live G2A_API_HASH and G2A_API_KEY equal the published G2A sandbox credentials"
    )


def test_same_credentials_for_sandbox_and_live(clean: Evidence, live_env: dict[str, str]) -> None:
    own = {"G2A_SANDBOX_API_HASH": "TeamSandbox01", "G2A_SANDBOX_API_KEY": live_env["G2A_API_KEY"]}
    evidence = dataclasses.replace(clean, sandbox_credentials=sandbox_credentials(own))
    result = check_credentials_distinct(evidence)
    assert result.status is Status.NO_GO
    assert result.reason == (
        "live G2A_API_KEY equal the sandbox credentials (G2A_SANDBOX_API_HASH/KEY)"
    )
    assert live_env["G2A_API_KEY"] not in result.reason + result.fix


def test_a_sandbox_key_in_another_letter_case_is_the_same_key(
    clean: Evidence, live_env: dict[str, str]
) -> None:
    own = {
        "G2A_SANDBOX_API_HASH": live_env["G2A_API_HASH"].swapcase(),
        "G2A_SANDBOX_API_KEY": live_env["G2A_API_KEY"].upper(),
    }
    assert own["G2A_SANDBOX_API_KEY"] != live_env["G2A_API_KEY"]
    evidence = dataclasses.replace(clean, sandbox_credentials=sandbox_credentials(own))
    result = check_credentials_distinct(evidence)
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "live G2A_API_HASH and G2A_API_KEY equal the sandbox credentials "
        "(G2A_SANDBOX_API_HASH/KEY)",
    )


def test_oauth_secret_reused_from_sandbox(clean: Evidence, live_env: dict[str, str]) -> None:
    result = check_credentials_distinct(
        with_live(clean, {**live_env, "G2A_OAUTH_CLIENT_SECRET": SANDBOX_API_KEY})
    )
    assert result.reason == (
        "live G2A_OAUTH_CLIENT_SECRET equal the published G2A sandbox credentials"
    )


def test_distinct_credentials(clean: Evidence) -> None:
    result = check_credentials_distinct(clean)
    assert (result.status, result.reason) == (
        Status.GO,
        "distinct from the published G2A sandbox credentials",
    )


def test_sandbox_target_without_own_sandbox_credentials_is_no_go(clean: Evidence) -> None:
    result = check_credentials_distinct(dataclasses.replace(clean, target="sandbox"))
    assert result.status is Status.NO_GO
    assert result.reason == (
        "distinct from the published G2A sandbox credentials, "
        "but the sandbox run's own credentials were not given"
    )
    assert (
        result.fix
        == "set G2A_SANDBOX_API_HASH and G2A_SANDBOX_API_KEY so the gate compares them too"
    )


def test_missing_credentials(clean: Evidence) -> None:
    result = check_credentials_distinct(with_live(clean, {"G2A_API_URL": "https://api.g2a.com"}))
    assert result.reason == "G2A_API_HASH and G2A_API_KEY must both be set in the environment"


def test_default_evidence_is_where_the_full_run_writes_its_reports() -> None:
    assert default_evidence_dir("sandbox") == Path("reports/sandbox/full")
    assert default_evidence_dir("twin") == Path("reports/twin/full")


@pytest.mark.parametrize(
    "own",
    [
        {"G2A_SANDBOX_API_HASH": "TeamSandbox1"},
        {"G2A_SANDBOX_API_KEY": "5b" * 32},
        {"G2A_SANDBOX_API_HASH": "TeamSandbox1", "G2A_SANDBOX_API_KEY": "  "},
    ],
)
def test_half_of_the_team_s_sandbox_credentials_is_not_given(
    clean: Evidence, own: dict[str, str]
) -> None:
    """The live key is only compared with the sandbox key when both halves are given."""
    evidence = dataclasses.replace(
        clean, target="sandbox", sandbox_credentials=sandbox_credentials(own)
    )
    result = check_credentials_distinct(evidence)
    assert result.status is Status.NO_GO
    assert result.reason.endswith("but the sandbox run's own credentials were not given")
