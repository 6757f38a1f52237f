"""Targets: what each needs from the environment, and where a scenario may run."""

from __future__ import annotations

import pytest
from port_support import refusing_port

from harness.targets import (
    TargetError,
    allowed_on,
    check_reachable,
    environment_secrets,
    resolve_target,
    target_name,
)

CREDENTIALS = {
    "G2A_API_URL": "https://sandboxapi.g2a.com/v1",
    "G2A_API_HASH": "hashValue",
    "G2A_API_KEY": "keyValue-0123456789",
}


def test_the_twin_needs_nothing_from_the_environment() -> None:
    target = resolve_target("twin", {})
    assert (target.name, target.env, target.has_admin) == ("twin", "sandbox", True)
    assert target.api_key


def test_the_sandbox_without_credentials_is_one_clear_line() -> None:
    with pytest.raises(TargetError) as caught:
        resolve_target("sandbox", {"G2A_API_URL": "https://sandboxapi.g2a.com/v1"})
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("missing: G2A_API_HASH, G2A_API_KEY (the twin target needs none)")


def test_the_deprecated_alias_provides_the_hash_and_no_value_is_echoed() -> None:
    env = {**CREDENTIALS, "G2A_API_URL": "https://api.g2a.com/v1", "G2A_API_SECRET": "aliasHash"}
    del env["G2A_API_HASH"]
    target = resolve_target("live", env)
    assert (target.env, target.api_hash, target.has_admin) == ("live", "aliasHash", False)
    assert "keyValue" not in repr(target)


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [(None, {}, "twin"), (None, {"G2A_TARGET": "Sandbox"}, "sandbox"), ("live", {}, "live")],
)
def test_the_target_comes_from_the_option_then_the_environment(
    option: str | None, environ: dict[str, str], expected: str
) -> None:
    assert target_name(option, environ) == expected


@pytest.mark.parametrize(
    ("name", "url", "line"),
    [
        ("live", "https://sandboxapi.g2a.com/v1", "G2A's sandbox host sandboxapi.g2a.com"),
        ("sandbox", "https://api.g2a.com/v1", "G2A's live host api.g2a.com"),
        # the host as the adapter reads it: any case, one trailing dot (the DNS root)
        ("sandbox", "https://API.G2A.com./v1", "G2A's live host api.g2a.com. "),
        ("live", "https://SandboxAPI.g2a.com./v1", "G2A's sandbox host sandboxapi.g2a.com. "),
    ],
)
def test_a_url_of_the_other_environments_host_is_the_wrong_target(
    name: str, url: str, line: str
) -> None:
    with pytest.raises(TargetError, match=f"target {name} runs with G2A_ENV={name}, but .*{line}"):
        resolve_target(name, {**CREDENTIALS, "G2A_API_URL": url})


def test_an_unknown_target_is_refused() -> None:
    with pytest.raises(TargetError, match="unknown target 'moon'; choose one of twin, sandbox"):
        target_name("moon", {})


@pytest.mark.parametrize(
    ("target", "tags", "allowed"),
    [
        ("twin", {"twin", "smoke"}, True),
        ("sandbox", {"twin", "chk-env-https"}, False),
        ("live", {"twin", "sandbox", "live"}, True),
        ("sandbox", {"smoke"}, False),  # no target tag: twin only
    ],
)
def test_tags_decide_where_a_scenario_runs(target: str, tags: set[str], allowed: bool) -> None:
    ok, reason = allowed_on(target, tags)
    assert ok is allowed
    placed = "tagged for twin" if "twin" in tags else "no target tag: twin only"
    assert reason == ("" if allowed else f"not allowed on target {target} ({placed})")


@pytest.mark.parametrize("tags", [set(), {"sanbox"}, {"twn", "smoke"}])
def test_a_scenario_without_a_target_tag_is_said_to_have_none(tags: set[str]) -> None:
    assert allowed_on("sandbox", tags) == (
        False,
        "not allowed on target sandbox (no target tag: twin only)",
    )


def test_an_unreachable_host_is_one_line() -> None:
    with (
        refusing_port() as port,
        pytest.raises(TargetError, match=rf"cannot reach 127\.0\.0\.1:{port} \("),
    ):
        check_reachable(f"http://127.0.0.1:{port}/v1", timeout=1.0)


def test_a_proxy_host_the_environment_allows_reaches_the_adapter_settings() -> None:
    """`run --target sandbox` through a proxy G2A_ALLOWED_HOSTS names: the probe and the
    scenarios build settings the adapter accepts (the probe refused them)."""
    from g2a_adapter import Settings
    from harness.run_probe import probe_settings

    env = {
        **CREDENTIALS,
        "G2A_API_KEY": "c" * 64,
        "G2A_API_URL": "https://g2a-proxy.internal/v1",
        "G2A_ALLOWED_HOSTS": "g2a-proxy.internal",
    }
    target = resolve_target("sandbox", env)
    assert probe_settings(target, env).api_url == "https://g2a-proxy.internal/v1"
    assert Settings(**target.adapter_settings()).allowed_hosts == ("g2a-proxy.internal",)


def test_the_secrets_of_an_environment_are_its_keys_secrets_and_url_passwords() -> None:
    env = {
        "G2A_API_KEY": "k" * 64,
        "G2A_API_HASH": "qdaiciDiyMaTjxMt",  # G2A's public client id
        "G2A_WEBHOOK_SECRET": "whsec-1",
        "G2A_SELLER_CLIENT_SECRET": "",
        "G2A_IDEMPOTENCY_URL": "redis://:p%40ss%2Fword@127.0.0.1:6379/0",
        "G2A_API_URL": "https://sandboxapi.g2a.com/v1",
        "G2A_PROMETHEUS_URL": "http://[::1",  # does not parse
        "AWS_SECRET": "not-ours",
    }
    assert environment_secrets(env) == sorted(["k" * 64, "whsec-1", "p%40ss%2Fword", "p@ss/word"])


def test_the_secrets_of_an_environment_include_the_variables_g2a_redacted_vars_names() -> None:
    env = {
        "G2A_REDACTED_VARS": " SHOP_TOKEN, SHOP_*_PASSWORD,,",
        "SHOP_TOKEN": "shop-token-1",
        "SHOP_DB_PASSWORD": "db-pass-2",
        "SHOP_DB_USER": "shop",  # matches no name or pattern
        "shop_token": "lower-case-3",  # names are matched as written
        "AWS_SECRET": "not-named",
    }
    assert environment_secrets(env) == ["db-pass-2", "shop-token-1"]


@pytest.mark.parametrize("timeout", ["abc", "0", "600001"])
def test_a_timeout_the_adapter_refuses_is_refused_before_the_host_is_asked(timeout: str) -> None:
    """`run` and `load` on the sandbox check the settings first, nothing reaching the host: a
    `G2A_TIMEOUT_MS` of `abc` ended `run` in a ValueError traceback (the probe read it with
    `int()`), and is one line now, as one out of the adapter's range was."""
    from g2a_adapter import ConfigError
    from harness.run_probe import check_target

    env = {**CREDENTIALS, "G2A_API_KEY": "c" * 64, "G2A_TIMEOUT_MS": timeout}
    with pytest.raises(ConfigError, match=r"^G2A_TIMEOUT_MS: "):
        check_target(resolve_target("sandbox", env), env)
