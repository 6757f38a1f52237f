"""Settings and the URL rules of the design, table-driven."""

from __future__ import annotations

import logging

import pytest

from g2a_adapter import ConfigError, Settings
from g2a_adapter._config import normalize_api_url

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
    ("https://sandboxapi.g2a.com//v1", SANDBOX, (), "/v1"),
    ("https://evil.example.com/v1", SANDBOX, (), "not allowed"),
    ("https://sandboxapi.g2a.com.evil.com/v1", SANDBOX, (), "not allowed"),
    ("https://api.g2a.com.evil.com/v1", LIVE, (), "not allowed"),
    ("https://sandboxapi-g2a.com/v1", SANDBOX, (), "not allowed"),
    ("https://api.g2a.co/v1", LIVE, (), "not allowed"),
    ("https://localhost.evil.com/v1", SANDBOX, (), "not allowed"),
    ("https://api.g2a.com./v1", LIVE, (), "not allowed"),
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


BASE = {"api_url": "https://sandboxapi.g2a.com", "api_hash": "hash-1", "api_key": "key-0123456789"}


def test_settings_defaults() -> None:
    settings = Settings(**BASE)
    assert settings.api_url == "https://sandboxapi.g2a.com/v1"
    assert settings.import_api_url == "https://sandboxapi.g2a.com"
    assert settings.env == "sandbox"
    assert (settings.timeout_ms, settings.retry_max) == (8000, 2)
    assert settings.oauth_client_id == "hash-1"
    assert settings.oauth_client_secret.get_secret_value() == "key-0123456789"
    assert settings.webhook_tolerance_seconds == 300
    assert settings.idempotency_url == "sqlite:///./g2a-idempotency.sqlite3"
    assert settings.webhook_secrets() == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "sandbox"),
        ("", "sandbox"),
        ("sandbox", "sandbox"),
        ("staging", "sandbox"),
        ("test", "sandbox"),
        ("LIVE", "live"),
        (" live ", "live"),
        ("live", "live"),
    ],
)
def test_env_is_sandbox_unless_explicitly_live(raw: str | None, expected: str) -> None:
    env = {
        "G2A_API_URL": "https://api.g2a.com" if expected == "live" else BASE["api_url"],
        "G2A_API_HASH": "h",
        "G2A_API_KEY": "k-0123",
    }
    if raw is not None:
        env["G2A_ENV"] = raw
    assert Settings.from_env(env).env == expected


def test_from_env_reads_every_variable() -> None:
    settings = Settings.from_env(
        {
            "G2A_API_URL": "https://api.g2a.com/",
            "G2A_API_HASH": "live-hash",
            "G2A_API_KEY": "live-key-value",
            "G2A_ENV": "live",
            "G2A_TIMEOUT_MS": "2500",
            "G2A_RETRY_MAX": "4",
            "G2A_OAUTH_CLIENT_ID": "client-7",
            "G2A_OAUTH_CLIENT_SECRET": "oauth-secret-value",
            "G2A_WEBHOOK_SECRET": "whsec-new, whsec-old",
            "G2A_WEBHOOK_TOLERANCE_SECONDS": "120",
            "G2A_IDEMPOTENCY_URL": "redis://:redis-pass-99@127.0.0.1:6379/2",
            "G2A_ALLOWED_HOSTS": "g2a-mirror.example.com, other.example.com",
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
    assert sorted(settings.secret_values()) == sorted(
        ["live-key-value", "oauth-secret-value", "whsec-new", "whsec-old", "redis-pass-99"]
    )


def test_direct_construction_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_ENV", "live")
    monkeypatch.setenv("G2A_RETRY_MAX", "9")
    settings = Settings(**BASE)
    assert (settings.env, settings.retry_max) == ("sandbox", 2)


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_API_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("G2A_API_HASH", "os-hash")
    monkeypatch.setenv("G2A_API_KEY", "os-key-1")
    assert Settings.from_env().api_hash == "os-hash"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"G2A_API_HASH": "h", "G2A_API_KEY": "k"}, "G2A_API_URL"),
        ({"G2A_API_URL": BASE["api_url"], "G2A_API_KEY": "k-secret-1"}, "G2A_API_HASH"),
        ({"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "h"}, "G2A_API_KEY"),
        (
            {"G2A_API_URL": BASE["api_url"], "G2A_API_HASH": "  ", "G2A_API_KEY": "k-secret-1"},
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
    assert "k-secret-1" not in str(caught.value)


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
    env = {"G2A_API_URL": BASE["api_url"], "G2A_API_SECRET": "old-name", "G2A_API_KEY": "k-1234"}
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
        "G2A_API_KEY": "k-1234",
    }
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.config"):
        assert Settings.from_env(env).api_hash == "same"
    assert len(caplog.records) == 1


def test_api_secret_alias_conflicting_with_hash_is_refused() -> None:
    env = {
        "G2A_API_URL": BASE["api_url"],
        "G2A_API_SECRET": "one-value",
        "G2A_API_HASH": "other-value",
        "G2A_API_KEY": "k-1234",
    }
    with pytest.raises(ConfigError, match="G2A_API_HASH and G2A_API_SECRET") as caught:
        Settings.from_env(env)
    assert "one-value" not in str(caught.value)
    assert "other-value" not in str(caught.value)


def test_repr_display_and_errors_never_show_secrets() -> None:
    settings = Settings(
        **{**BASE, "api_key": "KEY-SECRET-XYZ"},
        oauth_client_secret="OAUTH-SECRET-XYZ",
        webhook_secret="WH-SECRET-XYZ",
        idempotency_url="postgresql://app:PG-SECRET-XYZ@127.0.0.1/db",
    )
    shown = repr(settings) + str(settings) + str(settings.display())
    for secret in ("KEY-SECRET-XYZ", "OAUTH-SECRET-XYZ", "WH-SECRET-XYZ", "PG-SECRET-XYZ"):
        assert secret not in shown
    assert settings.display()["idempotency_url"] == "postgresql://app:***@127.0.0.1/db"
    assert settings.display()["api_key"] == "***"


def test_settings_are_frozen() -> None:
    settings = Settings(**BASE)
    with pytest.raises(Exception, match="frozen"):
        settings.retry_max = 5  # type: ignore[misc]
