"""Settings and the URL rules of the design, table-driven."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading

import pytest
import rich.pretty
from pydantic import SecretStr
from runbook_support import runbook

from g2a_adapter import ConfigError, Settings, env_of_host
from g2a_adapter._api_urls import normalize_api_url

LIVE, SANDBOX = "live", "sandbox"

ACCEPTED = [
    # (raw URL, env, extra hosts, normalized)
    ("https://sandboxapi.g2a.com", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("https://sandboxapi.g2a.com/", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("https://sandboxapi.g2a.com/v1", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("https://sandboxapi.g2a.com/v1/", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("https://sandboxapi.g2a.com/v1///", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("https://api.g2a.com", LIVE, (), "https://api.g2a.com/v1"),
    ("https://api.g2a.com/v1", LIVE, (), "https://api.g2a.com/v1"),
    ("https://api.g2a.com/integration-api/v1", LIVE, (), "https://api.g2a.com/integration-api/v1"),
    ("https://api.g2a.com/integration-api", LIVE, (), "https://api.g2a.com/integration-api/v1"),
    ("https://api.g2a.com/integration-api/", LIVE, (), "https://api.g2a.com/integration-api/v1"),
    ("HTTPS://API.G2A.COM/v1", LIVE, (), "https://api.g2a.com/v1"),
    ("https://api.g2a.com:443/v1", LIVE, (), "https://api.g2a.com/v1"),
    ("https://api.g2a.com:8443/v1", LIVE, (), "https://api.g2a.com:8443/v1"),
    ("http://127.0.0.1:8765", SANDBOX, (), "http://127.0.0.1:8765/v1"),
    ("http://127.0.0.1:8765/v1/", SANDBOX, (), "http://127.0.0.1:8765/v1"),
    ("http://localhost:8765/v1", SANDBOX, (), "http://localhost:8765/v1"),
    ("http://127.5.6.7/v1", SANDBOX, (), "http://127.5.6.7/v1"),
    ("http://[::1]:9000/v1", SANDBOX, (), "http://[::1]:9000/v1"),
    ("http://127.0.0.1:80/v1", SANDBOX, (), "http://127.0.0.1/v1"),
    ("https://127.0.0.1:8443", SANDBOX, (), "https://127.0.0.1:8443/v1"),
    ("http://127.0.0.1:8765/proxy/v1", SANDBOX, (), "http://127.0.0.1:8765/proxy/v1"),
    (
        "http://127.0.0.1:8765/proxy/integration-api/",
        SANDBOX,
        (),
        "http://127.0.0.1:8765/proxy/integration-api/v1",
    ),
    (
        "https://g2a-mirror.example.com/v1",
        SANDBOX,
        ("g2a-mirror.example.com",),
        "https://g2a-mirror.example.com/v1",
    ),
    (
        "https://G2A-Mirror.example.com",
        LIVE,
        ("g2a-mirror.example.com",),
        "https://g2a-mirror.example.com/v1",
    ),
    # the DNS root dot is dropped before every rule
    ("https://api.g2a.com./v1", LIVE, (), "https://api.g2a.com/v1"),
    ("https://SANDBOXAPI.G2A.COM.", SANDBOX, (), "https://sandboxapi.g2a.com/v1"),
    ("http://localhost.:8765/v1", SANDBOX, (), "http://localhost:8765/v1"),
    (
        "https://g2a-mirror.example.com./v1",
        SANDBOX,
        ("g2a-mirror.example.com",),
        "https://g2a-mirror.example.com/v1",
    ),
    # ports at both ends of the range
    ("https://api.g2a.com:1/v1", LIVE, (), "https://api.g2a.com:1/v1"),
    ("https://api.g2a.com:65535/v1", LIVE, (), "https://api.g2a.com:65535/v1"),
    ("https://api.g2a.com:/v1", LIVE, (), "https://api.g2a.com/v1"),
    # a dot inside a segment is not a dot segment
    ("http://127.0.0.1:8765/g2a.proxy/v1", SANDBOX, (), "http://127.0.0.1:8765/g2a.proxy/v1"),
    ("http://127.0.0.1:8765/...v1/v1", SANDBOX, (), "http://127.0.0.1:8765/...v1/v1"),
    # loopback in every form the system's resolver reads: plain http to a twin in the sandbox
    ("http://127.1:8765/v1", SANDBOX, (), "http://127.1:8765/v1"),
    ("http://0x7f000001:8765/v1", SANDBOX, (), "http://0x7f000001:8765/v1"),
    ("http://[::ffff:127.0.0.1]:8765/v1", SANDBOX, (), "http://[::ffff:127.0.0.1]:8765/v1"),
    ("http://twin.localhost:8765/v1", SANDBOX, (), "http://twin.localhost:8765/v1"),
]

REFUSED = [
    # (raw URL, env, extra hosts, words the message must contain)
    ("http://sandboxapi.g2a.com/v1", SANDBOX, (), "https"),
    ("http://api.g2a.com/v1", LIVE, (), "https"),
    ("ftp://sandboxapi.g2a.com/v1", SANDBOX, (), "https://"),
    ("sandboxapi.g2a.com/v1", SANDBOX, (), "https://"),
    ("", SANDBOX, (), "https://"),
    ("https:///v1", SANDBOX, (), "no host"),
    ("https://api.g2a.com/v1", SANDBOX, (), "live host"),
    ("https://sandboxapi.g2a.com/v1", LIVE, (), "sandbox host"),
    ("http://127.0.0.1:8765/v1", LIVE, (), "loopback"),
    ("https://localhost/v1", LIVE, (), "loopback"),
    ("https://user:pw@sandboxapi.g2a.com/v1", SANDBOX, (), "credentials"),
    ("https://user@api.g2a.com/v1", LIVE, (), "credentials"),
    ("https://sandboxapi.g2a.com/v1?debug=1", SANDBOX, (), "query"),
    ("https://sandboxapi.g2a.com/v1?", SANDBOX, (), "query"),
    ("https://sandboxapi.g2a.com/v1#frag", SANDBOX, (), "fragment"),
    ("https://sandboxapi.g2a.com/v2", SANDBOX, (), "/v1"),
    ("https://sandboxapi.g2a.com/v1/products", SANDBOX, (), "/v1"),
    ("https://sandboxapi.g2a.com//v1", SANDBOX, (), "'//'"),
    ("http://127.0.0.1:8765/proxy//v1", SANDBOX, (), "'//'"),
    ("http://127.0.0.1:8765/proxy", SANDBOX, (), "/v1"),
    ("https://evil.example.com/v1", SANDBOX, (), "not allowed"),
    ("https://sandboxapi.g2a.com.evil.com/v1", SANDBOX, (), "not allowed"),
    ("https://api.g2a.com.evil.com/v1", LIVE, (), "not allowed"),
    ("https://sandboxapi-g2a.com/v1", SANDBOX, (), "not allowed"),
    ("https://api.g2a.co/v1", LIVE, (), "not allowed"),
    ("https://localhost.evil.com/v1", SANDBOX, (), "not allowed"),
    ("https://\u0430pi.g2a.com/v1", LIVE, (), "IDN"),  # Cyrillic a: look-alike of api
    ("https://sandboxap\u0456.g2a.com/v1", SANDBOX, (), "IDN"),  # Ukrainian i look-alike
    ("https://xn--pi-7kc.g2a.com/v1", LIVE, (), "IDN"),
    ("https://api.xn--g2a-xyz.com/v1", LIVE, (), "IDN"),
    ("https://api.g2a.com:99999/v1", LIVE, (), "port"),
    ("https://api.g2a.com:abc/v1", LIVE, (), "port"),
    (" https://api.g2a.com/v1", LIVE, (), "whitespace"),
    ("https://api.g2a.com/v1\n", LIVE, (), "whitespace"),
    ("https://api.g2a.com/v 1", LIVE, (), "whitespace"),
    ("https://sandboxapi.g2a.com/v1", LIVE, ("sandboxapi.g2a.com",), "sandbox host"),
    ("https://api.g2a.com/v1", SANDBOX, ("api.g2a.com",), "live host"),
    ("http://g2a-mirror.example.com/v1", SANDBOX, ("g2a-mirror.example.com",), "https"),
    # dot segments, plain or percent-encoded, never reach httpx (it would resolve them)
    ("https://sandboxapi.g2a.com/v1/../admin/v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/../v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/./v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1/.", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/x/../v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1/%2e%2e/admin/v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1/%2E%2E/admin/v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1/.%2e/admin/v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1/%2e./admin/v1", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/%2e/v1", SANDBOX, (), "'..' segments"),
    ("http://127.0.0.1:8765/a/..", SANDBOX, (), "'..' segments"),
    ("https://sandboxapi.g2a.com/v1%2f..%2fadmin/v1", SANDBOX, (), "percent-encoded"),
    ("https://sandboxapi.g2a.com/%76%31", SANDBOX, (), "percent-encoded"),
    ("https://sandboxapi.g2a.com\\@evil.com/v1", SANDBOX, (), "backslash"),
    ("https://sandboxapi.g2a.com/v1\\..\\admin", SANDBOX, (), "backslash"),
    # the trailing dot is dropped before the allowlist and the env mix-up check alike
    ("https://api.g2a.com./v1", SANDBOX, (), "live host"),
    ("https://sandboxapi.g2a.com./v1", LIVE, (), "sandbox host"),
    ("https://api.g2a.com.evil.com./v1", LIVE, (), "not allowed"),
    ("http://localhost./v1", LIVE, (), "loopback"),
    # loopback written unusually is loopback, even when listed as an allowed host
    ("https://127.1/v1", LIVE, ("127.1",), "loopback"),
    ("https://0x7f000001/v1", LIVE, ("0x7f000001",), "loopback"),
    ("https://2130706433/v1", LIVE, ("2130706433",), "loopback"),
    ("https://0177.0.0.1/v1", LIVE, ("0177.0.0.1",), "loopback"),
    ("https://[::ffff:127.0.0.1]/v1", LIVE, ("::ffff:127.0.0.1",), "loopback"),
    ("https://g2a.localhost/v1", LIVE, ("g2a.localhost",), "loopback"),
    # the any-address is where a server listens, never a host to call
    ("https://0.0.0.0/v1", LIVE, ("0.0.0.0",), "0.0.0.0 is an address to listen on"),
    ("https://0/v1", LIVE, ("0",), "0 is an address to listen on"),
    ("http://0.0.0.0:8765/v1", SANDBOX, (), "0.0.0.0 is an address to listen on"),
    ("http://[::]:8765/v1", SANDBOX, (), ":: is an address to listen on"),
    ("https://api.g2a.com../v1", LIVE, (), "empty label"),
    ("https://api..g2a.com/v1", LIVE, (), "empty label"),
    ("https://./v1", SANDBOX, (), "empty label"),
    # port range 1-65535
    ("https://api.g2a.com:0/v1", LIVE, (), "port"),
    ("https://api.g2a.com:65536/v1", LIVE, (), "port"),
    ("https://api.g2a.com:-1/v1", LIVE, (), "port"),
    ("https://api.g2a.com:+443/v1", LIVE, (), "port"),
    # user info and fragments in every spelling
    ("https://:@sandboxapi.g2a.com/v1", SANDBOX, (), "credentials"),
    ("https://user:@sandboxapi.g2a.com/v1", SANDBOX, (), "credentials"),
    ("https://sandboxapi.g2a.com@evil.com/v1", SANDBOX, (), "credentials"),
    ("https://sandboxapi.g2a.com/v1#", SANDBOX, (), "fragment"),
    ("https://sandboxapi.g2a.com#/v1", SANDBOX, (), "fragment"),
    ("https://sandboxapi.g2a.com/v1?#x", SANDBOX, (), "fragment"),
]


@pytest.mark.parametrize(("raw", "env", "extra", "expected"), ACCEPTED)
def test_accepted_urls_are_normalized(
    raw: str, env: str, extra: tuple[str, ...], expected: str
) -> None:
    assert normalize_api_url(raw, env, extra) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "env", "extra", "words"), REFUSED)
def test_refused_urls_say_why(raw: str, env: str, extra: tuple[str, ...], words: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        normalize_api_url(raw, env, extra)  # type: ignore[arg-type]
    message = str(caught.value)
    assert words in message
    assert message.startswith("G2A_API_URL") or "G2A_API_URL" in message


def test_refusals_never_echo_the_url() -> None:
    secret_path = "https://user:hunter2-secret@sandboxapi.g2a.com/v1"
    with pytest.raises(ConfigError) as caught:
        normalize_api_url(secret_path, "sandbox")
    assert "hunter2" not in str(caught.value)


# a key must look like G2A's: 64 hex digits
KEY = "27c99de52a899b8d6462e933e050afaa300dadfb1281c7d8e635be9f0591de52"
LIVE_KEY = "13705115bca8e4f88de4ba8216f4cb5b21416cb9afb8ba8f115a8f4a70e395fc"
BASE = {"api_url": "https://sandboxapi.g2a.com", "api_hash": "hash-1", "api_key": KEY}
INT_RANGE = " from -2147483648 to 2147483647"  # libpq's integers are C ints
REQUIRE_AUTH = (
    "a comma-separated list of distinct methods among password, md5, gss, sspi, "
    "scram-sha-256, oauth, none, either all or none of them prefixed with '!'"
)
UNPARSED = "redis-py would pass its text unparsed to a parameter of another type"


def test_settings_defaults() -> None:
    settings = Settings(**BASE)
    assert settings.api_url == "https://sandboxapi.g2a.com/v1"
    assert settings.import_api_url == "https://sandboxapi.g2a.com"
    assert settings.env == "sandbox"
    assert (settings.timeout_ms, settings.retry_max) == (8000, 2)
    assert settings.oauth_client_id == "hash-1"
    assert settings.oauth_client_secret.get_secret_value() == KEY
    assert settings.webhook_tolerance_seconds == 300
    assert settings.idempotency_url == "sqlite:///./g2a-idempotency.sqlite3"
    assert settings.webhook_secrets() == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "sandbox"),
        ("", "sandbox"),
        ("sandbox", "sandbox"),
        ("Sandbox", "sandbox"),
        ("LIVE", "live"),
        (" live ", "live"),
        ("live", "live"),
    ],
)
def test_env_is_sandbox_or_live(raw: str | None, expected: str) -> None:
    env = {
        "G2A_API_URL": "https://api.g2a.com" if expected == "live" else BASE["api_url"],
        "G2A_API_HASH": "h",
        "G2A_API_KEY": KEY,
    }
    if raw is not None:
        env["G2A_ENV"] = raw
    assert Settings.from_env(env).env == expected


@pytest.mark.parametrize("raw", ["production", "prod", "staging", "test", "sandbox,live", "1"])
def test_any_other_env_is_refused_in_one_line_naming_both(raw: str) -> None:
    env = {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "h", "G2A_API_KEY": KEY, "G2A_ENV": raw}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert str(caught.value) == "G2A_ENV must be 'sandbox' or 'live' (unset means sandbox)"


@pytest.mark.parametrize(
    "key",
    [
        "deadbeef",
        "k" * 64,
        KEY[:63],
        KEY + "0",
        KEY[:-1] + "g",
        "0" * 32 + " " * 32,
        KEY[:32] + "-" + KEY[33:],
    ],
)
def test_an_api_key_that_cannot_be_real_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ConfigError, match=r"G2A_API_KEY is .*64 hex digits") as caught:
        Settings(**{**BASE, "api_key": key})
    if key.strip():
        assert key not in str(caught.value)


def test_an_api_key_in_upper_case_hex_is_accepted() -> None:
    assert Settings(**{**BASE, "api_key": KEY.upper()}).api_key.get_secret_value() == KEY.upper()


def test_the_import_api_url_is_the_origin_by_default_or_its_own_setting() -> None:
    both = Settings.from_env(
        {
            "G2A_API_URL": "https://api.g2a.com/v1",
            "G2A_IMPORT_API_URL": "https://api.g2a.com/integration-api/v1",
            "G2A_API_HASH": "h",
            "G2A_API_KEY": KEY,
            "G2A_ENV": "live",
        }
    )
    assert (both.export_api_url, both.import_api_url) == (
        "https://api.g2a.com/v1",
        "https://api.g2a.com",
    )
    assert Settings(**BASE).import_api_url == "https://sandboxapi.g2a.com"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("https://sandboxapi.g2a.com/v1", "path ends in /v1, the Export API's"),
        ("https://evil.example.com", "G2A_IMPORT_API_URL host is not allowed"),
        ("https://api.g2a.com", "G2A_IMPORT_API_URL points at the live host"),
        ("https://sandboxapi.g2a.com/integration-api/../v1", "G2A_IMPORT_API_URL path must not"),
        ("http://sandboxapi.g2a.com", "G2A_IMPORT_API_URL must use https"),
    ],
)
def test_the_import_api_url_follows_the_same_rules(raw: str, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        Settings(**BASE, import_api_url=raw)


def test_an_import_api_url_refuses_export_calls_with_a_config_error() -> None:
    settings = Settings(**{**BASE, "api_url": "https://api.g2a.com/integration-api/v1"}, env="live")
    assert settings.import_api_url == "https://api.g2a.com"
    with pytest.raises(ConfigError, match="G2A_API_URL ends in /integration-api/v1") as caught:
        settings.export_api_url  # noqa: B018
    assert "G2A_IMPORT_API_URL" in str(caught.value)


def test_the_webhook_runbook_s_rotation_setting_verifies_with_both_secrets() -> None:
    """Found by an operator's walkthrough: the G2AWebhookRejectionsSpiking runbook said to set
    both secrets during a rotation, not how."""
    (setting,) = [
        code
        for code in re.findall(r"`([^`]+)`", runbook("runbook-g2a-webhooks"))
        if code.startswith("G2A_WEBHOOK_SECRET=")
    ]
    name, value = setting.split("=", 1)
    value = value.replace("<new secret>", "whsec-new").replace("<old secret>", "whsec-old")
    settings = Settings.from_env(
        {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "hash-1", "G2A_API_KEY": KEY, name: value}
    )
    assert settings.webhook_secrets() == ["whsec-new", "whsec-old"]


def test_from_env_reads_every_variable() -> None:
    settings = Settings.from_env(
        {
            "G2A_API_URL": "https://api.g2a.com/",
            "G2A_API_HASH": "live-hash",
            "G2A_API_KEY": LIVE_KEY,
            "G2A_ENV": "live",
            "G2A_TIMEOUT_MS": "2500",
            "G2A_RETRY_MAX": "4",
            "G2A_OAUTH_CLIENT_ID": "client-7",
            "G2A_OAUTH_CLIENT_SECRET": "oauth-secret-value",
            "G2A_WEBHOOK_SECRET": "whsec-new, whsec-old",
            "G2A_WEBHOOK_TOLERANCE_SECONDS": "120",
            "G2A_IDEMPOTENCY_URL": "redis://:redis-pass-99@127.0.0.1:6379/2",
            "G2A_ALLOWED_HOSTS": "g2a-mirror.example.com, other.example.com",
            "G2A_SELLER_CLIENT_ID": "shop-42",
            "G2A_SELLER_CLIENT_SECRET": "seller-secret-value",
            "UNRELATED": "x",
        }
    )
    assert settings.api_url == "https://api.g2a.com/v1"
    assert settings.env == "live"
    assert (settings.timeout_ms, settings.retry_max, settings.timeout_seconds) == (2500, 4, 2.5)
    assert settings.oauth_client_id == "client-7"
    assert settings.webhook_secrets() == ["whsec-new", "whsec-old"]
    assert settings.webhook_tolerance_seconds == 120
    assert settings.allowed_hosts == ("g2a-mirror.example.com", "other.example.com")
    assert settings.seller_client_id == "shop-42"
    assert sorted(settings.secret_values()) == sorted(
        [
            LIVE_KEY,
            "oauth-secret-value",
            "seller-secret-value",
            "whsec-new",
            "whsec-old",
            "redis-pass-99",
        ]
    )


def test_direct_construction_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_ENV", "live")
    monkeypatch.setenv("G2A_RETRY_MAX", "9")
    settings = Settings(**BASE)
    assert (settings.env, settings.retry_max) == ("sandbox", 2)


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_API_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("G2A_API_HASH", "os-hash")
    monkeypatch.setenv("G2A_API_KEY", KEY)
    assert Settings.from_env().api_hash == "os-hash"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"G2A_API_HASH": "h", "G2A_API_KEY": KEY}, "G2A_API_URL"),
        ({"G2A_API_URL": BASE["api_url"], "G2A_API_KEY": KEY}, "G2A_API_HASH"),
        ({"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "h"}, "G2A_API_KEY"),
        (
            {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "  ", "G2A_API_KEY": KEY},
            "G2A_API_HASH",
        ),
        ({"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "h", "G2A_API_KEY": ""}, "G2A_API_KEY"),
    ],
)
def test_missing_or_empty_required_values_name_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable) as caught:
        Settings.from_env(env)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "G2A_API_URL, G2A_API_HASH, G2A_API_KEY are required and must not be empty"),
        (
            {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": " "},
            "G2A_API_HASH, G2A_API_KEY are required and must not be empty",
        ),
        (
            {"G2A_API_SECRET": "h", "G2A_API_KEY": KEY},  # the hash under its deprecated name
            "G2A_API_URL is required and must not be empty",
        ),
    ],
)
def test_every_missing_required_variable_is_named_at_once(
    env: dict[str, str], message: str
) -> None:
    """A service (or `g2a-harness receiver serve`) started with several variables missing
    learns all of them from one error, not one per restart."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("timeout_ms", "soon", "G2A_TIMEOUT_MS"),
        ("timeout_ms", "0", "G2A_TIMEOUT_MS"),
        ("retry_max", "-1", "G2A_RETRY_MAX"),
        ("retry_max", "99", "G2A_RETRY_MAX"),
        ("webhook_tolerance_seconds", "0", "G2A_WEBHOOK_TOLERANCE_SECONDS"),
        ("webhook_secret", " , ", "G2A_WEBHOOK_SECRET"),
        ("idempotency_url", "", "G2A_IDEMPOTENCY_URL"),
    ],
)
def test_bad_values_name_the_variable_not_the_value(field: str, value: str, variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**{**BASE, field: value})
    message = str(caught.value)
    assert variable in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    if value.strip(" ,"):
        assert repr(value) not in message


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="G2A_API_URLL"):
        Settings(**BASE, api_urll="x")


def test_api_secret_alias_works_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    env = {"G2A_API_URL": BASE["api_url"], "G2A_API_SECRET": "old-name", "G2A_API_KEY": KEY}
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.config"):
        settings = Settings.from_env(env)
    assert settings.api_hash == "old-name"
    warnings = [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert "G2A_API_SECRET" in warnings[0].getMessage()
    assert "old-name" not in warnings[0].getMessage()


def test_api_secret_alias_with_same_value_is_accepted(caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "G2A_API_URL": BASE["api_url"],
        "G2A_API_SECRET": "same",
        "G2A_API_HASH": "same",
        "G2A_API_KEY": KEY,
    }
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.config"):
        assert Settings.from_env(env).api_hash == "same"
    assert len(caplog.records) == 1


def test_api_secret_alias_conflicting_with_hash_is_refused() -> None:
    env = {
        "G2A_API_URL": BASE["api_url"],
        "G2A_API_SECRET": "one-value",
        "G2A_API_HASH": "other-value",
        "G2A_API_KEY": KEY,
    }
    with pytest.raises(ConfigError, match="G2A_API_HASH and G2A_API_SECRET") as caught:
        Settings.from_env(env)
    assert "one-value" not in str(caught.value)
    assert "other-value" not in str(caught.value)


def test_repr_display_and_errors_never_show_secrets() -> None:
    settings = Settings(
        **BASE,
        oauth_client_secret="OAUTH-SECRET-XYZ",
        webhook_secret="WH-SECRET-XYZ",
        pay_api_secret="PAY-SECRET-XYZ",
        idempotency_url="postgresql://app:PG-SECRET-XYZ@127.0.0.1/db",
    )
    shown = repr(settings) + str(settings) + str(settings.display())
    for secret in (KEY, "OAUTH-SECRET-XYZ", "WH-SECRET-XYZ", "PAY-SECRET-XYZ", "PG-SECRET-XYZ"):
        assert secret not in shown
        assert secret in settings.secret_values()  # so logs mask it too
    assert settings.display()["pay_api_secret"] == "***"
    from_env = {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "hash-1", "G2A_API_KEY": KEY}
    loaded = Settings.from_env({**from_env, "G2A_PAY_API_SECRET": "PAY-SECRET-XYZ"})
    assert loaded.pay_api_secret is not None
    assert loaded.pay_api_secret.get_secret_value() == "PAY-SECRET-XYZ"
    assert settings.display()["idempotency_url"] == "postgresql://app:***@127.0.0.1/db"
    assert settings.display()["api_key"] == "***"


def test_repr_str_and_richs_pretty_repr_show_the_masked_settings() -> None:
    """rich (and a rich traceback's locals) writes a pydantic model from `__rich_repr__`,
    that is `__repr_args__`, not from its `__repr__`."""
    settings = Settings(
        **BASE,
        webhook_secret="WH-SECRET-XYZ",
        idempotency_url="redis://:RedisPw0rd99@127.0.0.1:6379/0",
    )
    shown = (
        "api_url='https://sandboxapi.g2a.com/v1', import_api_url='https://sandboxapi.g2a.com', "
        "api_hash='hash-1', api_key='***', env='sandbox', timeout_ms=8000, retry_max=2, "
        "key_timeout_ms=60000, purchase_lease_ms=15000, oauth_client_id='hash-1', "
        "oauth_client_secret='***', webhook_secret='***', webhook_tolerance_seconds=300, "
        "pay_api_secret=None, seller_client_id='hash-1', seller_client_secret='***', "
        "idempotency_url='redis://:***@127.0.0.1:6379/0', allowed_hosts=[]"
    )
    assert repr(settings) == str(settings) == f"Settings({shown})"
    assert list(settings.__rich_repr__()) == list(settings.display().items())
    assert rich.pretty.pretty_repr(settings, max_width=1000) == f"Settings({shown})"


def test_a_store_url_with_an_at_sign_in_its_query_is_accepted_and_masked() -> None:
    """The authority ends at the first `/`: an `@` in the query (`application_name=svc@pod`)
    leaves no doubt which password the URL holds."""
    url = "postgresql://app:PG-SECRET-XYZ@127.0.0.1/db?application_name=svc@pod"
    settings = Settings(**{**BASE, "idempotency_url": url})
    assert settings.idempotency_url == url
    assert "PG-SECRET-XYZ" in settings.secret_values()
    assert settings.display()["idempotency_url"] == (
        "postgresql://app:***@127.0.0.1/db?application_name=svc@pod"
    )


def test_settings_are_frozen() -> None:
    settings = Settings(**BASE)
    with pytest.raises(Exception, match="frozen"):
        settings.retry_max = 5  # type: ignore[misc]


# A generated (base64) password holds `/` and `+`; `urlsplit` ends the host at its `/`.
UNENCODED_PASSWORD_URLS = [
    "redis://:Xk9/pQ2+s3cret@127.0.0.1:6379/0",
    "redis://:Xk9?pQ2s3cret@127.0.0.1:6379/0",
    "redis://:Xk9#pQ2s3cret@127.0.0.1:6379/0",
    "postgresql://app:Xk9/s3cret@127.0.0.1/db",
    "postgresql://app:Xk9@s3cret@127.0.0.1/db",  # libpq: the first; urlsplit: the last
]


@pytest.mark.parametrize("url", UNENCODED_PASSWORD_URLS)
def test_a_store_url_read_two_ways_is_refused_without_showing_its_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "G2A_API_URL": BASE["api_url"],
                "G2A_API_HASH": "h",
                "G2A_API_KEY": KEY,
                "G2A_IDEMPOTENCY_URL": url,
            }
        )
    message = str(caught.value)
    assert message.startswith("G2A_IDEMPOTENCY_URL ")
    assert "percent-encode" in message
    assert "s3cret" not in message
    assert "Xk9" not in message


def test_a_store_url_no_parser_reads_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url="redis://:PG-SECRET-XYZ@[::1/0")
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: unparseable store URL (Invalid IPv6 URL)"
    )


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "redis://127.0.0.1:6379/0?namespace=Shop-1",
            "namespace 'Shop-1' must be a lower-case identifier (a-z, 0-9 and _, not starting "
            "with a digit, at most 41 characters)",
        ),
        (
            "mysql://app:PG-SECRET-XYZ@127.0.0.1/db",
            "unsupported scheme 'mysql'; use memory://, sqlite:///path, redis://host:port/db, "
            "unix:///path/to/redis.sock or postgresql://user@host/db",
        ),
        ("sqlite://", "'sqlite://' is not sqlite:///relative/path or sqlite:////abs/path"),
        ("redis://:PG-SECRET-XYZ@/0", "'redis://:***@/0' names no host"),
        (  # the user@ forgotten: the password is read as the port
            "redis://default:PG-SECRET-XYZ/0",
            "redis://*** has no valid port (a number up to 65535) after its host; a password "
            "needs user@host after it (redis://:password@host, postgresql://user:password@host)",
        ),
        (
            "postgresql://app:PG-SECRET-XYZ/db",
            "postgresql://*** has no valid port (a number up to 65535) after its host; a password "
            "needs user@host after it (redis://:password@host, postgresql://user:password@host)",
        ),
        (
            "redis://:PG-SECRET-XYZ@127.0.0.1:99999/0",
            "redis://*** has no valid port (a number up to 65535) after its host; a password "
            "needs user@host after it (redis://:password@host, postgresql://user:password@host)",
        ),
        (  # in a list of hosts too
            "postgresql://app:PG-SECRET-XYZ,h2:5432/db",
            "postgresql://*** has no valid port (a number up to 65535) after its host; a password "
            "needs user@host after it (redis://:password@host, postgresql://user:password@host)",
        ),
        (
            "postgresql://app:PG-SECRET-XYZ@127.0.0.1:abc/db",
            "postgresql://*** has no valid port (a number up to 65535) after its host; a password "
            "needs user@host after it (redis://:password@host, postgresql://user:password@host)",
        ),
    ],
)
def test_a_store_url_the_store_would_refuse_is_a_config_error_at_start_up(
    url: str, detail: str
) -> None:
    """Refused when settings load, not at a client's first purchase (it opens its store then)."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (f"G2A_IDEMPOTENCY_URL is not a store URL: {detail}")
    assert "PG-SECRET-XYZ" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("redis://:PG-SECRET-XYZ@127.0.0.1:6379/0?timeout=5", "timeout"),  # redis-py parses it
        ("redis://127.0.0.1:6379/0?socket_timeout=1&sockettimeout=1", "sockettimeout"),
        ("redis://127.0.0.1:6379/0?ssl_min_version=2", "ssl_min_version"),  # rediss:// only
    ],
)
def test_a_redis_query_key_redis_py_refuses_is_refused_when_settings_load(
    url: str, refused: str
) -> None:
    """redis-py passes a query key it knows no parser for on to the connection, which refuses
    it when the store opens: an outage at the first purchase. Refused at load instead."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    message = str(caught.value)
    assert message.startswith("G2A_IDEMPOTENCY_URL is not a store URL: redis-py refuses it: ")
    assert message.endswith(f"unexpected keyword argument '{refused}'")  # redis-py's words
    assert "PG-SECRET-XYZ" not in message


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("ssl_cert_reqs=bogus", "Invalid SSL Certificate Requirements Flag: bogus"),
        ("protocol=5", "protocol must be either 2 or 3"),
    ],
)
def test_a_redis_value_redis_py_refuses_with_its_own_error_is_a_config_error(
    query: str, refusal: str
) -> None:
    """redis-py refuses these with its own errors (a `ConnectionError` among them), which a
    service would take for an outage."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"rediss://:PG-SECRET-XYZ@h:6380/0?{query}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: redis-py refuses it: {refusal}"
    )


def test_any_error_redis_py_raises_on_a_url_is_a_config_error() -> None:
    """A value redis-py takes as the object a parameter expects fails with whatever that
    raises (an `AttributeError` here): still a mistake in the URL."""
    with pytest.raises(ConfigError) as caught:
        Settings(
            **BASE,
            idempotency_url="redis://:PG-SECRET-XYZ@h:6379/0?maint_notifications_config=off",
        )
    message = str(caught.value)
    assert message.startswith("G2A_IDEMPOTENCY_URL is not a store URL: redis-py refuses it: ")
    assert "PG-SECRET-XYZ" not in message


def test_a_redis_query_value_redis_py_cannot_read_is_refused_when_settings_load() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url="redis://:PG-SECRET-XYZ@127.0.0.1:6379/0?db=first")
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: redis-py refuses it: "
        "Invalid value for 'db' in connection URL."
    )


def test_the_query_keys_redis_py_takes_for_its_scheme_are_accepted() -> None:
    url = (
        "rediss://:pw@h:6380/0?ssl_min_version=771&ssl_cert_reqs=none&socket_timeout=1.5"
        "&client_name=svc&health_check_interval=10&password=pw&namespace=shop"
    )
    settings = Settings(**BASE, idempotency_url=url)
    assert settings.idempotency_url == url


def test_a_postgres_query_key_libpq_refuses_is_refused_when_settings_load() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url="postgresql://app:PG-SECRET-XYZ@h/db?timeout=5")
    message, _, taken = str(caught.value).partition("; it takes: ")
    assert message == (
        "G2A_IDEMPOTENCY_URL is not a store URL: libpq refuses it (invalid URI query parameter: "
        '"timeout")'
    )
    assert {"connect_timeout", "sslmode", "application_name", "host"} <= set(taken.split(", "))
    assert "timeout" not in taken.split(", ")


def test_a_postgres_url_libpq_cannot_read_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url="postgresql://app:PG%zzSECRET-XYZ@h/db")
    message = str(caught.value).partition("; it takes: ")[0]
    assert message == (
        "G2A_IDEMPOTENCY_URL is not a store URL: libpq refuses it (invalid percent-encoded "
        'token: "***")'
    )


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("timeout=5", "timeout"),  # Python's sqlite3 takes it, as a keyword, not from a path
        ("mode=ro", "mode"),  # SQLite's URI filenames take it; the store opens a plain path
        ("namespace=shop&timeout=5&mode=ro", "mode, timeout"),
    ],
)
def test_a_sqlite_query_key_the_store_does_not_read_is_refused_when_settings_load(
    query: str, keys: str
) -> None:
    """The SQLite store opens the URL's path as a file name: any query key but `namespace`
    would be dropped without a word."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"sqlite:///./g2a.sqlite3?{query}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the SQLite store reads no query key {keys}; "
        "it takes only namespace"
    )


@pytest.mark.parametrize(
    "url", ["sqlite:///./g2a.sqlite3#x", "sqlite:///./g2a.sqlite3?namespace=shop#x", "sqlite:///x#"]
)
def test_a_sqlite_url_with_a_fragment_is_refused_when_settings_load(url: str) -> None:
    """The store opened the path before the `#` and dropped the rest without a word."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: the SQLite store refuses the URL's '#': it "
        "would open the path before it and drop the rest (a SQLite URL has no fragment)"
    )


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        (
            "sslmode=bogus",
            "libpq refuses it: sslmode 'bogus' is not one of disable, allow, prefer, require, "
            "verify-ca, verify-full",
        ),
        (
            "target_session_attrs=nonsense",
            "libpq refuses it: target_session_attrs 'nonsense' is not one of any, read-write, "
            "read-only, primary, standby, prefer-standby",
        ),
        (
            "gssencmode=maybe",
            "libpq refuses it: gssencmode 'maybe' is not one of disable, prefer, require",
        ),
        (
            "channel_binding=on",
            "libpq refuses it: channel_binding 'on' is not one of disable, prefer, require",
        ),
        (
            "load_balance_hosts=yes",
            "libpq refuses it: load_balance_hosts 'yes' is not one of disable, random",
        ),
        *(
            (
                f"{key}={value}",
                f"the store refuses {key} {shown!r}: it is not an integer{INT_RANGE}",
            )
            for key, value, shown in (
                ("keepalives_idle", "abc", "abc"),
                ("tcp_user_timeout", "1.5", "1.5"),
                ("keepalives_idle", "99999999999", "99999999999"),  # over a C int
                ("keepalives_count", "-2147483649", "-2147483649"),
                ("keepalives_idle", "1%1C", "1\x1c"),  # a blank to Python, not to C's isspace
                ("keepalives_interval", "%C2%A01", "\xa01"),
            )
        ),
        (
            "require_auth=bogus",
            f"libpq refuses it: require_auth 'bogus' is not {REQUIRE_AUTH}",
        ),
        *(
            (
                f"{key}=bogus",
                f"libpq refuses it: {key} 'bogus' is not one of TLSv1, TLSv1.1, TLSv1.2, "
                "TLSv1.3 (in any case)",
            )
            for key in ("ssl_min_protocol_version", "ssl_max_protocol_version")
        ),
        ("port=abc", "libpq refuses it: port 'abc' is not a port number from 1 to 65535"),
        ("port=0", "libpq refuses it: port '0' is not a port number from 1 to 65535"),
        ("port=65536", "libpq refuses it: port '65536' is not a port number from 1 to 65535"),
        (
            "port=5432,",
            "libpq refuses it: 2 port numbers for 1 host; give one for each host or one for all",
        ),
        (
            "ssl_min_protocol_version=TLSv1.3&ssl_max_protocol_version=tlsv1.2",
            "libpq refuses it: ssl_max_protocol_version 'tlsv1.2' is below "
            "ssl_min_protocol_version 'TLSv1.3'",
        ),
        (  # libpq's default minimum
            "ssl_max_protocol_version=TLSv1.1",
            "libpq refuses it: ssl_max_protocol_version 'TLSv1.1' is below "
            "ssl_min_protocol_version 'TLSv1.2'",
        ),
        *(
            (
                f"connect_timeout={value}",
                f"the store refuses connect_timeout {value!r}: it takes whole seconds, at least "
                "1 (libpq reads 0 or less as no bound, but psycopg, which enforces it, would "
                "use its own default timeout instead; it also raises 1 to 2 s)",
            )
            for value in ("0", "-1", "abc", "1.5", "99999999999")
        ),
    ],
)
def test_a_postgres_value_libpq_checks_only_as_it_connects_is_refused_when_settings_load(
    query: str, detail: str
) -> None:
    """libpq reads these values only when it connects (each refusal checked against libpq with
    psycopg): an outage at the first purchase."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"postgresql://app:PG-SECRET-XYZ@h/db?{query}")
    assert str(caught.value) == f"G2A_IDEMPOTENCY_URL is not a store URL: {detail}"


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "postgresql://app@h1,h2/db?port=1,2,3",
            "3 port numbers for 2 hosts; give one for each host or one for all",
        ),
        (
            "postgresql://app@h1,h2/db?hostaddr=127.0.0.1&port=1,2",
            "2 host names for 1 hostaddr values; give one for each host",
        ),
    ],
)
def test_a_postgres_url_whose_host_lists_do_not_match_is_refused_when_settings_load(
    url: str, detail: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert (
        str(caught.value) == f"G2A_IDEMPOTENCY_URL is not a store URL: libpq refuses it: {detail}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app@h1,h2/db?port=5433",  # one port for every host
        "postgresql://app@h1,h2/db?port=5433,",  # the second host's port: the default
        "postgresql://app@h1:5433,h2:5434/db",  # urlsplit reads no port in it
        "postgresql://127.0.0.1:5432,[::1]:5432/test",
        "postgresql://app@h1,h2/db?hostaddr=127.0.0.1,127.0.0.2&port=1,2",
        "postgresql://app@h/db?ssl_min_protocol_version=&ssl_max_protocol_version=TLSv1.1",
        "postgresql://app@h/db?ssl_min_protocol_version=TLSv1&ssl_max_protocol_version=TLSv1.1",
        "postgresql://app@h/db?ssl_min_protocol_version=TLSv1.3&ssl_max_protocol_version=",
    ],
)
def test_the_port_lists_and_tls_ranges_libpq_takes_are_accepted(url: str) -> None:
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


def test_the_postgres_values_libpq_documents_are_accepted() -> None:
    url = (
        "postgresql://app:pw@h/db?sslmode=verify-full&target_session_attrs=read-write"
        "&gssencmode=disable&channel_binding=require&keepalives=1&keepalives_idle=30"
        "&tcp_user_timeout=-1&load_balance_hosts=random&namespace=shop"
        "&keepalives_count=%2B3%20&keepalives_interval=%0930"
        "&ssl_min_protocol_version=tlsv1.2&ssl_max_protocol_version=TLSv1.3&port=%205433"
        "&connect_timeout=10"
    )
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("sslmode", "Require", "disable, allow, prefer, require, verify-ca, verify-full"),
        (
            "target_session_attrs",
            "Read-Write",
            "any, read-write, read-only, primary, standby, prefer-standby",
        ),
        ("gssencmode", "DISABLE", "disable, prefer, require"),
        ("channel_binding", "Require", "disable, prefer, require"),
        ("sslcertmode", "Allow", "disable, allow, require"),
        ("sslnegotiation", "Direct", "postgres, direct"),
        ("load_balance_hosts", "Random", "disable, random"),
    ],
)
def test_a_postgres_value_in_another_case_is_refused_as_libpq_refuses_it(
    key: str, value: str, allowed: str
) -> None:
    """libpq compares these values case-sensitively (libpq 18, through psycopg: `invalid
    sslmode value: "Require"`), the TLS versions only without case."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"postgresql://app@h/db?{key}={value}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: libpq refuses it: {key} {value!r} is not one "
        f"of {allowed}"
    )


@pytest.mark.parametrize("value", ["tlsv1", "TLSV1.1", "tLsV1.2", "TLSv1.3"])
def test_a_tls_version_in_any_case_is_accepted_as_libpq_takes_it(value: str) -> None:
    url = f"postgresql://app@h/db?ssl_min_protocol_version={value}&ssl_max_protocol_version={value}"
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    "value",
    ["", "password", "!password,!md5", "none,password", "scram-sha-256,oauth", "gss,sspi,md5"],
)
def test_a_require_auth_libpq_documents_is_accepted(value: str) -> None:
    url = f"postgresql://app@h/db?require_auth={value}"
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("PASSWORD", "PASSWORD"),  # libpq reads the methods case-sensitively
        ("password,!md5", "password,!md5"),  # negated and plain methods mixed
        ("password,password", "password,password"),
        ("none,%20md5", "none, md5"),
        ("!", "!"),
        (",", ","),
    ],
)
def test_a_require_auth_libpq_refuses_is_refused_when_settings_load(value: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"postgresql://app@h/db?require_auth={value}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: libpq refuses it: require_auth {shown!r} is "
        f"not {REQUIRE_AUTH}"
    )


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        *(
            (f"{key}={value}", f"the store refuses ?{key}=…: {UNPARSED}")
            for key, value in (
                ("retry", "x"),
                ("redis_connect_func", "f"),
                ("decode_responses", "false"),
                ("socket_type", "1"),  # an int, which redis-py has no parser for either
            )
        ),
        ("encoding=nope", "the store refuses ?encoding=…: unknown encoding 'nope'"),
        (
            "encoding_errors=nope",
            "the store refuses ?encoding_errors=…: unknown encoding error handler 'nope'",
        ),
        *(
            (
                f"encoding={codec}",
                f"the store refuses ?encoding=…: {codec!r} is not a text encoding that keeps "
                "ASCII as it is, as the Redis protocol needs",
            )
            for codec in ("rot13", "base64", "hex", "zlib", "utf-16", "utf-32", "cp500", "idna")
        ),
    ],
)
def test_a_redis_value_redis_py_would_fail_on_at_the_first_call_is_refused_when_settings_load(
    query: str, refusal: str
) -> None:
    """redis-py hands a query value it has no parser for on as text: a parameter taking
    another type (or a codec's name it looks up only when encoding) fails at the first
    command, or misreads it."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"redis://:PG-SECRET-XYZ@h:6379/0?{query}")
    assert str(caught.value) == f"G2A_IDEMPOTENCY_URL is not a store URL: {refusal}"


def test_the_redis_text_values_redis_py_documents_are_accepted() -> None:
    url = (
        "redis://:pw@h:6379/0?encoding=latin-1&encoding_errors=replace&client_name=svc"
        "&username=app&namespace=shop"
    )
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a%20b", "a b"),
        ("a%0Ab", "a\nb"),
        ("a%09b", "a\tb"),
        ("a%7Fb", "a\x7fb"),
        ("caf%C3%A9", "café"),
    ],
)
def test_a_redis_client_name_redis_refuses_is_refused_when_settings_load(
    value: str, shown: str
) -> None:
    """redis-py names each connection with CLIENT SETNAME, which Redis refuses for such a
    name: every command failed, as if the server were down."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"redis://:PG-SECRET-XYZ@h:6379/0?client_name={value}")
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: the store refuses ?client_name=…: Redis takes "
        f"a client name of printable ASCII characters but the space (! to ~), not {shown!r}"
    )


# redis-py warns of `lib_name` and `lib_version` (a `driver_info` replaces them) as it builds
# the connection the URL's check builds; this suite makes warnings errors.
_LIB_KEYS_DEPRECATED = "ignore:Call to '__init__' function with deprecated usage:DeprecationWarning"


@pytest.mark.filterwarnings(_LIB_KEYS_DEPRECATED)
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        (
            "lib_name=a%20b",
            "?lib_name=…: Redis takes a library name of printable ASCII characters "
            "but the space (! to ~), not 'a b'",
        ),
        (
            "lib_version=1.0%0A",
            "?lib_version=…: Redis takes a library version of printable "
            "ASCII characters but the space (! to ~), not '1.0\\n'",
        ),
        (
            "lib_name=caf%C3%A9&lib_version=1",
            "?lib_name=…: Redis takes a library name of "
            "printable ASCII characters but the space (! to ~), not 'café'",
        ),
    ],
)
def test_a_redis_library_name_or_version_redis_refuses_is_refused_when_settings_load(
    query: str, shown: str
) -> None:
    """redis-py sends them with CLIENT SETINFO as it connects and swallows Redis's refusal:
    the value would be dropped without a word."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"redis://:PG-SECRET-XYZ@h:6379/0?{query}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the store refuses {shown}; redis-py would "
        "drop it without a word"
    )


@pytest.mark.filterwarnings(_LIB_KEYS_DEPRECATED)
def test_a_redis_library_name_and_version_redis_takes_are_accepted() -> None:
    url = "redis://h:6379/0?lib_name=svc-lib%21%7E%7B%7D&lib_version=1.2.3%2Blocal"
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    "query",
    [
        "retry_on_error=ConnectionError",
        "retry_on_error=ConnectionError,TimeoutError",
        "retry_on_error=x",
        "retry_on_error=",
        "retry_on_timeout=true",
        "retry_on_timeout=false",
    ],
)
def test_a_redis_retry_key_is_refused_when_settings_load(query: str) -> None:
    """The store has redis-py retry no command: its retry keys would be read (older redis-py
    split `?retry_on_error=` into characters) and then ignored."""
    key = query.partition("=")[0]
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"redis://:PG-SECRET-XYZ@h:6379/0?{query}")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the store refuses ?{key}=…: the Redis store "
        "has redis-py retry no command (a failure reaches its caller at once, as "
        "StoreUnavailableError), so redis-py would ignore it; leave it out"
    )


@pytest.mark.parametrize(
    ("url", "key", "shown"),
    [
        ("redis://h:6379/0?socket_keepalive=nope", "socket_keepalive", "nope"),
        ("rediss://h:6380/0?ssl_check_hostname=disable", "ssl_check_hostname", "disable"),
        ("rediss://h:6380/0?ssl_validate_ocsp=%20false", "ssl_validate_ocsp", " false"),
    ],
)
def test_a_redis_flag_redis_py_would_read_as_true_is_refused_when_settings_load(
    url: str, key: str, shown: str
) -> None:
    """redis-py reads as true any word it does not know as false."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the store refuses ?{key}=…: redis-py would "
        f"read {shown!r} as true (any word but 0, f, false, n, no, off, in any case); write "
        "true or false"
    )


TLS_VERSIONS = (
    "-2 (MINIMUM_SUPPORTED), -1 (MAXIMUM_SUPPORTED), 768 (SSLv3), 769 (TLSv1), 770 (TLSv1_1), "
    "771 (TLSv1_2), 772 (TLSv1_3)"
)
# threading.TIMEOUT_MAX on Linux: the longest a socket waits (`socket.settimeout` overflows past it)
SECONDS = (
    "it takes seconds above 0, at most 9223372036 (threading.TIMEOUT_MAX, the longest a socket "
    "waits; 0 makes the socket non-blocking)"
)
HUGE = "1" + "0" * 400  # an integer no float holds
DATABASES = "Redis numbers its databases from 0 to 2147483647 (SELECT reads a C int)"


def _refused(url: str, detail: str) -> object:
    """A case of a refused URL, named by the URL (a huge number by its power of ten)."""
    return pytest.param(url, detail, id=url.replace(HUGE, "10**400"))


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        *(
            _refused(f"redis://h:6379{path}", f"the store refuses the path {path!r}: {DATABASES}")
            for path in ("/-1", "/2147483648", "/99999999999999999999")
        ),
        *(
            _refused(
                f"redis://h:6379/0?db={value}", f"the store refuses ?db={value!r}: {DATABASES}"
            )
            for value in ("-2", "2147483648", "99999999999999999999")
        ),
        # shown as redis-py reads it, quoted: decoded, and whitespace around a number kept
        _refused("redis://h:6379/0?db=-1%0A", f"the store refuses ?db='-1\\n': {DATABASES}"),
        _refused(
            "redis://h:6379/0?socket_timeout=+0",
            f"the store refuses ?socket_timeout=' 0': {SECONDS}",
        ),
        *(
            _refused(
                f"redis://h:6379/0?{key}={value}", f"the store refuses ?{key}={value!r}: {SECONDS}"
            )
            for key in ("socket_timeout", "socket_connect_timeout")
            for value in ("0", "-1", "nan", "inf", "1e10", "9223372037", "1e400", HUGE)
        ),
        *(
            _refused(
                f"redis://h:6379/0?socket_read_size={value}",
                f"the store refuses ?socket_read_size={value!r}: it takes a number of bytes "
                "from 1 to 16777216 (16 MiB: each read allocates as many)",
            )
            for value in ("0", "16777217", "100000000000000", HUGE)
        ),
        *(
            _refused(
                f"redis://h:6379/0?health_check_interval={value}",
                f"the store refuses ?health_check_interval={value!r}: it takes whole seconds "
                "from 0 (0: none) to 9223372036 (threading.TIMEOUT_MAX)",
            )
            for value in ("-1", "9223372037", HUGE)
        ),
        _refused(
            "rediss://h:6380/0?ssl_min_version=2",
            f"the store refuses ?ssl_min_version='2': it takes an ssl.TLSVersion: {TLS_VERSIONS}",
        ),
    ],
)
def test_a_redis_number_redis_py_fails_on_as_it_connects_is_refused_when_settings_load(
    url: str, detail: str
) -> None:
    """redis-py reads these numbers, then fails on them only as the store connects (a
    `socket_timeout` of 0 makes every read fail at once; one past threading.TIMEOUT_MAX
    overflows, as does an integer too large for a float; a `socket_read_size` of 10**14 is a
    MemoryError; a database past a C int makes every command fail)."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == f"G2A_IDEMPOTENCY_URL is not a store URL: {detail}"


def test_the_redis_numbers_redis_py_takes_are_accepted() -> None:
    url = (
        "rediss://h:6380/15?socket_timeout=1e-3&socket_connect_timeout=0.5&socket_read_size=1"
        "&health_check_interval=0&ssl_min_version=771"
    )
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


def test_the_timeout_bound_is_the_longest_a_socket_takes() -> None:
    """redis-py sets `socket_timeout` and `socket_connect_timeout` on its socket as it
    connects: one past the bound overflowed there, and leaked the socket."""
    with socket.socket() as sock:
        sock.settimeout(threading.TIMEOUT_MAX)
        with pytest.raises(OverflowError):
            sock.settimeout(threading.TIMEOUT_MAX + 1)


def test_the_redis_numbers_at_their_bounds_are_accepted() -> None:
    url = (
        "redis://h:6379/2147483647?socket_timeout=9223372036&socket_connect_timeout=9223372036"
        "&socket_read_size=16777216&health_check_interval=9223372036"
    )
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url
    url = "redis://h:6379/0?db=2147483647"
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    "path",
    [
        *("/abc", "/1.5", "/15x", "/%20", "/1\x0b5", "/" + "9" * 4301, "/0/abc", "/abc?db="),
        *("/abc?db", "/1/2", "/1_000", "/%E0%A5%A9"),
    ],
    ids=lambda path: path.replace("9" * 4301, "9*4301"),
)
def test_a_redis_path_that_is_no_database_number_is_refused_when_settings_load(path: str) -> None:
    """redis-py reads a path it cannot read as a number (nor a number too long for `int`) as
    database 0, silently, and reads the path only without a `?db=` of some value; `/1/2` it
    reads as database 12, `/1_000` as 1000, a Devanagari three as 3."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"redis://h:6379{path}")
    shown = path.partition("?")[0]
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the store refuses the path {shown!r}: a Redis "
        "URL's path is one database number (/15) or none (database 0)"
    )


@pytest.mark.parametrize(
    "url", ["redis://h:6379", "redis://h:6379/", "redis://h:6379/abc?db=3", "rediss://h:6380/ 7"]
)
def test_a_redis_path_redis_py_reads_or_ignores_is_accepted(url: str) -> None:
    """No path, or `/`, is database 0; a `?db=` is read instead of the path; redis-py reads a
    number with whitespace around it as the number."""
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


def test_a_redis_max_connections_is_the_store_s_pool_size() -> None:
    """redis-py's pool, the store's, holds at most `?max_connections=` connections (100
    without it) and fails a call past them at once (tests/integration/store): the URL sizes it."""
    url = "redis://h:6379/0?max_connections=500"
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:6379/0?client_name=a#b&db=3",
        "rediss://h:6380/0#x",
        "unix:///run/redis.sock?db=1#x",
    ],
)
def test_a_redis_url_with_a_raw_hash_is_refused_when_settings_load(url: str) -> None:
    """redis-py ends the URL at a `#`: the `db=3` after it was dropped, database 0 used."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: the URL has a '#', where redis-py ends it and "
        "drops the rest (a Redis URL has no fragment): percent-encode it as %23"
    )


def test_the_redis_flags_and_client_names_redis_takes_are_accepted() -> None:
    url = (
        "rediss://h:6380/0?socket_keepalive=On&ssl_check_hostname=FALSE&ssl_validate_ocsp=1"
        "&ssl_validate_ocsp_stapled=no&client_name=svc-1%21%7E%2F"
    )
    assert Settings(**BASE, idempotency_url=url).idempotency_url == url


def test_a_redis_key_is_refused_as_text_only_where_the_installed_redis_py_parses_it_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """redis-py 8.2 parses `?ssl_validate_ocsp=`, 8.1 does not (it would hand on the text
    "false", true to a flag): what is refused follows the installed redis-py's parsers."""
    from redis.connection import URL_QUERY_ARGUMENT_PARSERS

    url = "rediss://h:6380/0?ssl_validate_ocsp=false&protocol=3&ssl_check_hostname=false"
    if "ssl_validate_ocsp" in URL_QUERY_ARGUMENT_PARSERS:
        assert Settings(**BASE, idempotency_url=url).idempotency_url == url
    for key in ("ssl_validate_ocsp", "protocol"):
        monkeypatch.delitem(URL_QUERY_ARGUMENT_PARSERS, key, raising=False)
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: the store refuses ?protocol=…: {UNPARSED}"
    )


@pytest.mark.parametrize("key", ["oauth_client_secret", "scram_client_key", "scram_server_key"])
def test_a_libpq_secret_in_the_query_is_shown_masked_as_a_password(key: str) -> None:
    """libpq 18 takes these secrets in the URL: a dump, a repr and an error mask them."""
    url = f"postgresql://app@h/db?{key}=PG-SECRET-XYZ"
    settings = Settings(**BASE, idempotency_url=url)
    assert settings.model_dump()["idempotency_url"] == f"postgresql://app@h/db?{key}=***"
    assert "PG-SECRET-XYZ" not in settings.model_dump_json()
    assert "PG-SECRET-XYZ" not in repr(settings)
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=f"postgresql:///db?{key}=PG-SECRET-XYZ")
    assert str(caught.value) == (
        f"G2A_IDEMPOTENCY_URL is not a store URL: 'postgresql:///db?{key}=***' names no host"
    )


@pytest.mark.parametrize(
    "url",
    [
        "unix:///run/redis/redis.sock?db=2",
        "unix://:PG-SECRET-XYZ@/run/redis/redis.sock?db=0&namespace=shop",
        "unix:///run/redis/redis.sock?password=PG-SECRET-XYZ",
    ],
)
def test_a_redis_unix_socket_url_is_a_store_url_shown_without_its_password(url: str) -> None:
    settings = Settings(**BASE, idempotency_url=url)
    assert settings.idempotency_url == url
    assert "PG-SECRET-XYZ" not in settings.model_dump_json()
    assert "PG-SECRET-XYZ" not in repr(settings)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("unix://", "'unix://' names no socket: unix:///path/to/redis.sock"),
        (
            "unix://:PG-SECRET-XYZ@redis-host/run/redis.sock",
            "'unix://:***@redis-host/run/redis.sock' names a host, which a Unix socket has "
            "none of: unix:///path/to/redis.sock",
        ),
        (
            "unix:///run/redis.sock?retry=x",
            f"the store refuses ?retry=…: {UNPARSED}",
        ),
    ],
)
def test_a_redis_unix_socket_url_naming_no_socket_is_refused_when_settings_load(
    url: str, detail: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == f"G2A_IDEMPOTENCY_URL is not a store URL: {detail}"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app@127.0.0.1/test?password=pa#ss-WORD",
        "postgresql://127.0.0.1/test?application_name=x#&password=ss-WORD",
        "postgresql:///test?host=/tmp&password=ss-WORD&options=a#b",
        "postgresql://app:ss-WORD@127.0.0.1/test#x",
    ],
)
def test_a_postgres_url_with_a_raw_hash_is_refused_without_showing_it(url: str) -> None:
    """libpq reads no fragment: a `#` is part of a value, so the password after it was shown
    by a masking that ended the query there."""
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, idempotency_url=url)
    assert str(caught.value) == (
        "G2A_IDEMPOTENCY_URL is not a store URL: the URL has a '#', which libpq reads as part "
        "of a value (a PostgreSQL URL has no fragment): percent-encode it as %23"
    )
    with pytest.raises(ConfigError) as from_env:
        Settings.from_env(
            {
                "G2A_API_URL": BASE["api_url"],
                "G2A_API_HASH": "h",
                "G2A_API_KEY": KEY,
                "G2A_IDEMPOTENCY_URL": url,
            }
        )
    with pytest.raises(ConfigError) as copying:
        Settings(**BASE).model_copy(update={"idempotency_url": url})
    for error in (caught.value, from_env.value, copying.value):
        assert "ss-WORD" not in str(error) + repr(error)


def test_a_dump_masks_the_store_password_as_every_other_secret() -> None:
    settings = Settings(
        **BASE,
        oauth_client_secret="OAUTH-SECRET-XYZ",
        idempotency_url="postgresql://app:PG-SECRET-XYZ@127.0.0.1/db?password=PG-SECRET-XYZ",
    )
    dumped = json.loads(settings.model_dump_json())
    masked = "postgresql://app:***@127.0.0.1/db?password=***"
    assert dumped["idempotency_url"] == masked
    assert settings.model_dump()["idempotency_url"] == masked
    for shown in (settings.model_dump_json(), str(settings.model_dump())):
        assert "PG-SECRET-XYZ" not in shown
        assert "OAUTH-SECRET-XYZ" not in shown
        assert KEY not in shown


def test_a_copy_of_settings_given_the_deprecated_hash_alias_takes_a_new_hash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(api_url=BASE["api_url"], api_key=KEY, api_secret="hash-1")
    caplog.clear()
    copied = settings.model_copy(update={"api_hash": "hash-2"})
    assert (settings.api_hash, copied.api_hash) == ("hash-1", "hash-2")
    assert settings.model_copy().api_hash == "hash-1"
    assert not [r for r in caplog.records if "G2A_API_SECRET" in r.getMessage()]


def test_settings_built_again_from_a_dump_refuse_its_masked_store_password() -> None:
    """A dump masks the store password; fed back (`Settings(**s.model_dump())`) it must fail
    loudly, not reach the store with the password `***` (an outage, to the service)."""
    settings = Settings(**BASE, idempotency_url="postgresql://app:PG-SECRET-XYZ@127.0.0.1/db")
    with pytest.raises(ConfigError) as caught:
        Settings(**settings.model_dump())
    assert "model_copy" in str(caught.value)
    assert "PG-SECRET-XYZ" not in str(caught.value)
    copied = settings.model_copy(update={"timeout_ms": 2500})
    assert copied.idempotency_url == settings.idempotency_url


def test_every_secret_mounted_from_a_file_loses_its_trailing_newline() -> None:
    """Kubernetes `--from-file` secrets end in a newline; a kept one fails every IPN hash and
    every token request."""
    settings = Settings.from_env(
        {
            "G2A_API_URL": BASE["api_url"],
            "G2A_API_HASH": "hash-1\n",
            "G2A_API_KEY": f"{KEY}\n",
            "G2A_OAUTH_CLIENT_SECRET": "oauth-secret\n",
            "G2A_PAY_API_SECRET": "pay-secret\n",
            "G2A_SELLER_CLIENT_SECRET": "seller-secret\n",
            "G2A_WEBHOOK_SECRET": "webhook-secret\n",
        }
    )
    assert settings.api_hash == "hash-1"
    assert settings.api_key.get_secret_value() == KEY
    assert settings.oauth_client_secret.get_secret_value() == "oauth-secret"
    assert settings.pay_api_secret is not None
    assert settings.pay_api_secret.get_secret_value() == "pay-secret"
    assert settings.seller_client_secret.get_secret_value() == "seller-secret"
    assert settings.webhook_secrets() == ["webhook-secret"]
    assert sorted(settings.secret_values()) == sorted(
        [KEY, "oauth-secret", "pay-secret", "seller-secret", "webhook-secret"]
    )


def test_a_blank_oauth_client_secret_falls_back_to_the_key_as_the_seller_one_does() -> None:
    settings = Settings(**BASE, oauth_client_secret=" \n", seller_client_secret=" \n")
    assert settings.oauth_client_secret.get_secret_value() == KEY
    assert settings.seller_client_secret.get_secret_value() == KEY


LIVE_BASE = {"api_url": "https://api.g2a.com/v1", "api_hash": "h", "api_key": LIVE_KEY}


@pytest.mark.parametrize(
    ("update", "words"),
    [
        ({"api_url": "https://sandboxapi.g2a.com/v1"}, "G2A_ENV=live but G2A_API_URL points"),
        ({"api_url": "http://127.0.0.1:8765/v1"}, "G2A_API_URL: a loopback host"),
        ({"timeout_ms": -5}, "G2A_TIMEOUT_MS"),
        ({"api_key": "not-a-key"}, "G2A_API_KEY is not a G2A API key"),
        ({"env": "sandbox"}, "G2A_ENV is sandbox (the default) but G2A_API_URL"),
        ({"api_urll": "x"}, "G2A_API_URLL"),
    ],
)
def test_a_copy_is_checked_by_every_rule_of_a_new_settings(
    update: dict[str, object], words: str
) -> None:
    live = Settings(**LIVE_BASE, env="live")
    with pytest.raises(ConfigError, match=re.escape(words)):
        live.model_copy(update=update)


def test_a_valid_copy_keeps_what_it_does_not_update() -> None:
    live = Settings(**LIVE_BASE, env="live", oauth_client_secret="oauth-secret", retry_max=4)
    copy = live.model_copy(update={"timeout_ms": 2500, "api_key": SecretStr(KEY)})
    assert (copy.env, copy.api_url, copy.retry_max, copy.timeout_ms) == (
        "live",
        "https://api.g2a.com/v1",
        4,
        2500,
    )
    assert copy.oauth_client_secret.get_secret_value() == "oauth-secret"  # set, so kept
    assert copy.seller_client_secret.get_secret_value() == KEY  # a default follows the key
    assert live.model_copy() == live


def test_a_copy_derives_the_defaults_anew_as_a_new_settings_would() -> None:
    sandbox = Settings.from_env(
        {
            "G2A_API_URL": BASE["api_url"],
            "G2A_API_HASH": "h",
            "G2A_API_KEY": KEY,
            "G2A_IMPORT_API_URL": "",
            "G2A_OAUTH_CLIENT_SECRET": "",
        }
    )
    live = sandbox.model_copy(update={**LIVE_BASE, "env": "live"})
    assert live == Settings(**LIVE_BASE, env="live")
    assert live.import_api_url == "https://api.g2a.com"
    assert live.oauth_client_secret.get_secret_value() == LIVE_KEY


@pytest.mark.parametrize(
    ("host", "env"),
    [
        ("api.g2a.com", "live"),
        ("API.G2A.com.", "live"),  # any case, one trailing dot (the DNS root)
        ("sandboxapi.g2a.com", "sandbox"),
        ("SandboxAPI.g2a.com.", "sandbox"),
        ("api.g2a.com..", None),
        ("g2a.com", None),
        ("api.g2a.com.evil.example", None),
        ("127.0.0.1", None),
        ("", None),
    ],
)
def test_the_environment_of_a_host_is_that_of_g2a_s_host_it_names(
    host: str, env: str | None
) -> None:
    assert env_of_host(host) == env


def test_an_allowed_host_written_with_the_dns_root_dot_matches() -> None:
    mirror = "https://g2a-mirror.example.com/v1"
    assert normalize_api_url(mirror, "sandbox", ("G2A-Mirror.example.com.",)) == mirror
    env = {"G2A_API_URL": mirror, "G2A_API_HASH": "h", "G2A_API_KEY": KEY}
    settings = Settings.from_env({**env, "G2A_ALLOWED_HOSTS": "g2a-mirror.example.com."})
    assert (settings.api_url, settings.allowed_hosts) == (mirror, ("g2a-mirror.example.com",))
    given = Settings(**{**BASE, "api_url": mirror}, allowed_hosts=("G2A-MIRROR.example.com.",))
    assert given.allowed_hosts == ("g2a-mirror.example.com",)


@pytest.mark.parametrize("env", [b"live", 1, True, ["live"]])
def test_an_env_that_is_not_text_is_refused(env: object) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**BASE, env=env)
    assert str(caught.value) == "G2A_ENV must be 'sandbox' or 'live' (unset means sandbox)"
