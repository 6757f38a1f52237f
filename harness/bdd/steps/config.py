"""Steps: configuration from the environment (pure, no network: allowed on every target)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_bdd import given, parsers, then, when

from g2a_adapter import Settings
from harness.bdd.wordings import Wording, parse, phrases, worded
from harness.bdd.world import World, missing

if TYPE_CHECKING:
    from g2a_adapter import ConfigError

SANDBOX_URL = "https://sandboxapi.g2a.com/v1"

# Business wording of a refusal -> the rule the configuration error must state.
REFUSAL_RULES: dict[str, str] = {
    "it must use https": "must use https",
    "it must start with https": "must start with https",
    "of a loopback host": "loopback host is allowed only in the sandbox",
    "it points at the sandbox": "points at the sandbox host",
    "it points at the live host": "points at the live host",
    "the host is not allowed": "host is not allowed",
    "the path must end in /v1": "path must end in /v1",
    "it must not contain credentials": "must not contain credentials",
    "of a query string": "query string",
    "of a query string or a fragment": "query string or a fragment",
}

REFUSAL_REASONS: Wording[str] = Wording("refusal reason", phrases(REFUSAL_RULES))
# A setting as its variable names it -> the field of the adapter's settings
SETTINGS: Wording[str] = Wording(
    "setting", phrases({f"G2A_{field.upper()}": field for field in Settings.model_fields})
)


def _env(world: World) -> dict[str, str]:
    env: dict[str, str] = world.notes.setdefault("env", {})
    return env


def _loading(world: World) -> tuple[Any, BaseException | None]:
    """What the scenario's `When the adapter loads its settings` got: settings, or an error."""
    loading: tuple[Any, BaseException | None] = world.noted(
        "settings", "settings were loaded", '"When the adapter loads its settings" loads them'
    )
    return loading


def _loaded(world: World) -> Any:
    """The settings the scenario's `When the adapter loads its settings` loaded."""
    settings, error = _loading(world)
    if error is not None:
        raise AssertionError(f"expected settings, but loading them failed: {error}")
    return settings


def _load_error(world: World) -> ConfigError:
    """The configuration error the scenario's `When the adapter loads its settings` raised."""
    from g2a_adapter import ConfigError

    _loading(world)
    return world.expect_error(ConfigError)


@given("an environment with the published sandbox credentials")
def sandbox_environment(g2a_world: World) -> None:
    """Start from an environment holding G2A's published sandbox credentials.

    Example: an environment with the published sandbox credentials
    """
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    _env(g2a_world).update(
        {
            "G2A_API_URL": SANDBOX_URL,
            "G2A_API_HASH": SANDBOX_API_HASH,
            "G2A_API_KEY": SANDBOX_API_KEY,
        }
    )


@given(parsers.re(r"the variable (?P<name>G2A_\w+) is not set"))
def variable_unset(g2a_world: World, name: str) -> None:
    """Remove an environment variable for the settings under test.

    Example: the variable G2A_API_KEY is not set
    """
    _env(g2a_world).pop(name, None)


@given(parsers.re(r'the variable (?P<name>G2A_\w+) is set to "(?P<value>[^"]*)"'))
def variable_set(g2a_world: World, name: str, value: str) -> None:
    """Set an environment variable for the settings under test.

    Example: the variable G2A_API_KEY is set to "   "
    """
    _env(g2a_world)[name] = value


@given("the API hash is given only under the deprecated name G2A_API_SECRET")
def hash_under_alias(g2a_world: World) -> None:
    """Give the API hash only as the deprecated G2A_API_SECRET.

    Example: the API hash is given only under the deprecated name G2A_API_SECRET
    """
    env = _env(g2a_world)
    env["G2A_API_SECRET"] = env.pop("G2A_API_HASH")


@given(parse('the environment name is "{name}"'))
def environment_name(g2a_world: World, name: str) -> None:
    """Set G2A_ENV for the settings under test.

    Example: the environment name is "live"
    """
    if name == "(unset)":
        _env(g2a_world).pop("G2A_ENV", None)
    else:
        _env(g2a_world)["G2A_ENV"] = name


@given(parse('the base URL is "{url}"'))
def base_url(g2a_world: World, url: str) -> None:
    """Set G2A_API_URL for the settings under test.

    Example: the base URL is "https://api.g2a.com/v1"
    """
    _env(g2a_world)["G2A_API_URL"] = url


@when("the adapter loads its settings")
def load_settings(g2a_world: World) -> None:
    """Load the adapter settings from the scenario's environment.

    Example: the adapter loads its settings
    """
    from g2a_adapter import Settings

    env = dict(_env(g2a_world))
    g2a_world.attempt(lambda: Settings.from_env(env))
    g2a_world.notes["settings"] = g2a_world.outcome, g2a_world.error


@then(parsers.re(r"loading fails with a configuration error naming (?P<name>G2A_\w+)"))
def config_error_names(g2a_world: World, name: str) -> None:
    """Loading the settings failed with a configuration error naming this variable.

    Example: loading fails with a configuration error naming G2A_API_KEY
    """
    error = _load_error(g2a_world)
    assert name in str(error), f"the error does not name {name}: {error}"


@then("the settings use the published sandbox API hash")
def uses_sandbox_hash(g2a_world: World) -> None:
    """The loaded settings use the published sandbox API hash.

    Example: the settings use the published sandbox API hash
    """
    from harness.twin.credentials import SANDBOX_API_HASH

    assert _loaded(g2a_world).api_hash == SANDBOX_API_HASH, (
        "expected the published sandbox API hash, got another"
    )


@then(parse("exactly one deprecation warning names {name}"))
def one_deprecation_warning(g2a_world: World, name: str) -> None:
    """Loading emitted exactly one deprecation warning naming this variable.

    Example: exactly one deprecation warning names G2A_API_SECRET
    """
    _loading(g2a_world)
    warnings = [
        r.getMessage()
        for r in g2a_world.logs.records
        if r.levelname == "WARNING" and name in r.getMessage() and "deprecat" in r.getMessage()
    ]
    assert len(warnings) == 1, f"expected one deprecation warning naming {name}, got {warnings}"


@then(parse("the request timeout is {ms:whole} milliseconds"))
def timeout_is(g2a_world: World, ms: int) -> None:
    """The loaded settings use this request timeout.

    Example: the request timeout is 8000 milliseconds
    """
    timeout = _loaded(g2a_world).timeout_ms
    assert timeout == ms, f"expected a request timeout of {ms} milliseconds, got {timeout}"


@then(parse("the settings allow at most {count:whole} retries"))
def retries_are(g2a_world: World, count: int) -> None:
    """The loaded settings allow at most this many retries of a failed call (G2A_RETRY_MAX).

    This reads the setting only; `Then the retry counter shows 2 retries` checks the retries
    calls actually made.

    Example: the settings allow at most 2 retries
    """
    allowed = _loaded(g2a_world).retry_max
    assert allowed == count, (
        f"expected the settings to allow at most {count} retries, got {allowed}"
    )


@then(worded(parsers.re(r"the setting (?P<name>G2A_\w+) is (?P<value>\S+)"), name=SETTINGS))
def setting_is(g2a_world: World, name: str, value: str) -> None:
    """A loaded setting has this value.

    Example: the setting G2A_RETRY_MAX is 2
    """
    actual = getattr(_loaded(g2a_world), SETTINGS.value(name))
    assert str(actual) == value, f"expected {name} to be {value}, got {actual}"


@then(parsers.re(r"the adapter runs against (?P<where>the sandbox|live)$"))
def runs_against_named(g2a_world: World, where: str) -> None:
    """The loaded settings point at the sandbox or at live G2A.

    Example: the adapter runs against the sandbox
    """
    expected = "live" if where == "live" else "sandbox"
    env = _loaded(g2a_world).env
    assert env == expected, f"expected the adapter to run against {expected}, got {env}"


@then(parsers.re(r"the base URL is accepted as (?P<url>\S+)"))
def url_accepted(g2a_world: World, url: str) -> None:
    """The base URL was accepted and normalised to this value.

    Example: the base URL is accepted as https://g2a-proxy.internal/v1
    """
    accepted = _loaded(g2a_world).api_url
    assert accepted == url, f"expected the base URL accepted as {url}, got {accepted}"


@then(worded(parsers.re(r"the base URL is refused because (?P<reason>.+)"), reason=REFUSAL_REASONS))
def url_refused(g2a_world: World, reason: str) -> None:
    """The base URL was refused, with the rule this reason stands for in its message.

    Example: the base URL is refused because it must use https
    """
    rule = REFUSAL_REASONS.value(reason)
    error = _load_error(g2a_world)
    assert rule in str(error), f"expected the rule {rule!r} in: {error}"
    url = _env(g2a_world).get("G2A_API_URL", "")
    if "@" in url:  # a password in the URL is a credential too
        assert "hunter22" not in str(error)


@then("neither the settings text nor their display reveals the API key or the webhook secret")
def settings_hide_secrets(g2a_world: World) -> None:
    """Neither str() nor repr() of the settings reveals a secret.

    Example: neither the settings text nor their display reveals the API key or the webhook secret
    """
    settings = _loaded(g2a_world)
    env = _env(g2a_world)
    if "G2A_WEBHOOK_SECRET" not in env:
        raise missing(
            "G2A_WEBHOOK_SECRET",
            'start with "Given the variable G2A_WEBHOOK_SECRET is set to "whsec-settings-check""',
        )
    shown = f"{settings!r} {settings!s} {settings.display()!r}"
    for name in ("G2A_API_KEY", "G2A_WEBHOOK_SECRET"):
        assert env[name] not in shown, f"{name} is shown by the settings"
    assert settings.api_key.get_secret_value() == env["G2A_API_KEY"]
