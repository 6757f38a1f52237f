"""Settings read from the environment, validated once at start-up.

Every failure is a `ConfigError` naming the variable, never echoing its value; the URL rules
live in `_api_urls`.
"""

from __future__ import annotations

import logging
import os
import string
from collections.abc import Iterator, Mapping
from typing import Any, Self

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from g2a_adapter._api_urls import (
    EXPORT_PATH,
    IMPORT_PATH,
    Env,
    allowed_host,
    import_base_of,
    is_import_api_url,
    normalize_api_url,
    normalize_import_url,
)
from g2a_adapter._errors import ConfigError, StoreUnavailableError
from g2a_adapter._masking import MASK
from g2a_adapter._url_secrets import (
    AMBIGUOUS_USERINFO,
    redacted_url,
    url_passwords,
    userinfo_is_ambiguous,
)
from g2a_adapter.idempotency._url import parse_store_url

ENV_PREFIX = "G2A_"
API_KEY_LENGTH = 64

logger = logging.getLogger("g2a_adapter.config")


def env_var(field_name: str) -> str:
    """The environment variable behind a settings field."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def parse_env(raw: object) -> Env:
    """`sandbox` or `live` (any case); unset (None) or empty means the sandbox; anything else,
    also a value that is not text (`b"live"`, `1`), is refused.

    A guess here would be dangerous both ways (`production` silently meaning the sandbox, or
    `prod` meaning live), so the value must name one of the two environments exactly.
    """
    value = raw.strip().lower() if isinstance(raw, str) else raw
    if value in (None, "", "sandbox"):
        return "sandbox"
    if value == "live":
        return "live"
    raise ConfigError("G2A_ENV must be 'sandbox' or 'live' (unset means sandbox)")


def is_api_hash(value: str) -> bool:
    """G2A documents no format for the API hash (its sandbox one is 16 letters); it is sent in
    the `Authorization` header, so it must be visible ASCII: no spaces or control characters."""
    return bool(value) and all(33 <= ord(c) <= 126 for c in value)


def is_api_key(value: str) -> bool:
    """G2A's Export API key is a SHA-256 hex digest: exactly 64 hex digits."""
    return len(value) == API_KEY_LENGTH and all(c in string.hexdigits for c in value)


def _describe(error: ValidationError) -> str:
    """One line per failed field, naming the variable and the rule, never the value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        loc = str(item["loc"][0]) if item["loc"] else ""
        name = env_var(loc) if loc else "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(message if message.startswith(ENV_PREFIX) else f"{name}: {message}")
    return "; ".join(lines)


_REQUIRED = ("api_url", "api_hash", "api_key")


def _missing_required(values: Mapping[str, str]) -> list[str]:
    """The required variables absent or blank, all of them (G2A_API_SECRET stands in for
    G2A_API_HASH, its deprecated name)."""
    given = {name for name, value in values.items() if value.strip()}
    if "api_secret" in given:
        given.add("api_hash")
    return [env_var(name) for name in _REQUIRED if name not in given]


class Settings(BaseSettings):
    """Adapter configuration. Direct construction reads only its arguments; use `from_env`."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    api_url: str
    api_hash: str = ""
    api_key: SecretStr = SecretStr("")
    api_secret: SecretStr | None = Field(default=None, exclude=True, repr=False)
    env: Env = "sandbox"
    timeout_ms: int = Field(default=8000, gt=0, le=600_000)
    retry_max: int = Field(default=2, ge=0, le=10)
    key_timeout_ms: int = Field(default=60_000, gt=0, le=600_000)
    purchase_lease_ms: int = Field(default=15_000, ge=500, le=600_000)
    oauth_client_id: str = ""
    oauth_client_secret: SecretStr = SecretStr("")
    webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: int = Field(default=300, gt=0, le=86_400)
    pay_api_secret: SecretStr | None = None  # G2A Pay's API secret: the IPN hash's key
    # What G2A authenticates with on the seller's token endpoint (declared stock); default:
    # the API hash and key
    seller_client_id: str = ""
    seller_client_secret: SecretStr = SecretStr("")
    idempotency_url: str = "sqlite:///./g2a-idempotency.sqlite3"
    allowed_hosts: tuple[str, ...] = ()
    # The Import API and OAuth base (origin and a proxy's path prefix); default: from `api_url`
    import_api_url: str = ""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments only: `from_env` decides what the environment contributes, so a
        # stray G2A_* variable never leaks into settings built in code (tests, tools).
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from `G2A_*` variables (default `os.environ`); raises ConfigError."""
        source = os.environ if env is None else env
        values = {
            name: source[env_var(name)] for name in cls.model_fields if env_var(name) in source
        }
        if missing := _missing_required(values):
            verb = "is" if len(missing) == 1 else "are"
            raise ConfigError(f"{', '.join(missing)} {verb} required and must not be empty")
        return cls(**values)

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, value: object) -> Env:
        return parse_env(value)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(allowed_host(h) for h in value if h.strip())

    @field_validator(
        "api_url",
        "api_hash",
        "oauth_client_id",
        "seller_client_id",
        "idempotency_url",
        "import_api_url",
        "api_key",
        "api_secret",
        "oauth_client_secret",
        "webhook_secret",
        "pay_api_secret",
        "seller_client_secret",
        mode="before",
    )
    @classmethod
    def _strip(cls, value: object) -> object:
        """Surrounding whitespace dropped, secrets included: a secret mounted from a file
        (Kubernetes `--from-file`) ends in a newline that would fail every signature and token
        request."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return text.strip() if isinstance(text, str) else value

    @model_validator(mode="after")
    def _rules(self) -> Settings:
        secret_alias = self.api_secret.get_secret_value() if self.api_secret else ""
        if secret_alias:
            if self.api_hash and self.api_hash != secret_alias:
                raise ValueError(
                    "G2A_API_HASH and G2A_API_SECRET (its deprecated alias) are both set "
                    "with different values; keep only G2A_API_HASH"
                )
            logger.warning("G2A_API_SECRET is deprecated: rename it to G2A_API_HASH")
            object.__setattr__(self, "api_hash", secret_alias)
            self.model_fields_set.discard("api_secret")  # a copy is given the hash itself
            self.model_fields_set.add("api_hash")
        for name in ("api_hash", "api_key"):
            value = getattr(self, name)
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not text.strip():
                raise ValueError(f"{env_var(name)} is required and must not be empty")
        if not is_api_hash(self.api_hash):
            raise ValueError(
                "G2A_API_HASH must be visible ASCII characters only (no spaces, line breaks or "
                "control characters), as G2A's dashboard shows it"
            )
        if not is_api_key(self.api_key.get_secret_value()):
            raise ValueError(
                "G2A_API_KEY is not a G2A API key: it must be the 64 hex digits G2A's dashboard "
                "shows (sha256 of hash + email + secret)"
            )
        if self.webhook_secret is not None and not self.webhook_secrets():
            raise ValueError("G2A_WEBHOOK_SECRET is set but empty")
        if not self.idempotency_url:
            raise ValueError("G2A_IDEMPOTENCY_URL must not be empty")
        if userinfo_is_ambiguous(self.idempotency_url):
            raise ValueError(f"G2A_IDEMPOTENCY_URL {AMBIGUOUS_USERINFO}")
        if MASK in url_passwords(self.idempotency_url):
            raise ValueError(
                f"G2A_IDEMPOTENCY_URL has the password {MASK}: the mask of a settings dump "
                "(model_dump), not a password; copy settings with model_copy(update=...)"
            )
        try:  # as the store will read it: a client opens its store at its first purchase
            parse_store_url(self.idempotency_url)
        except StoreUnavailableError as exc:
            raise ValueError(f"G2A_IDEMPOTENCY_URL is not a store URL: {exc.detail}") from None
        object.__setattr__(
            self, "api_url", normalize_api_url(self.api_url, self.env, self.allowed_hosts)
        )
        if self.import_api_url:
            normalized = normalize_import_url(self.import_api_url, self.env, self.allowed_hosts)
            object.__setattr__(self, "import_api_url", normalized)
        else:
            self._derive("import_api_url", import_base_of(self.api_url))
        if not self.oauth_client_id:
            self._derive("oauth_client_id", self.api_hash)
        if not self.oauth_client_secret.get_secret_value():
            self._derive("oauth_client_secret", self.api_key)
        if not self.seller_client_id:
            self._derive("seller_client_id", self.api_hash)
        if not self.seller_client_secret.get_secret_value():
            self._derive("seller_client_secret", self.api_key)
        return self

    def _derive(self, name: str, value: object) -> None:
        """Set `name` as the rules derive it: no value the caller set, so a copy (`model_copy`)
        derives it again from the values it is given."""
        object.__setattr__(self, name, value)
        self.model_fields_set.discard(name)

    @field_serializer("idempotency_url")
    def _masked_store_url(self, url: str) -> str:
        """`model_dump` masks the store password, as pydantic masks every `SecretStr`."""
        return redacted_url(url)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy built, and so checked, as a new Settings is (pydantic's own copy checks none
        of the rules): the values the caller set, `update` applied; what the rules derived (the
        Import API URL from the API's, the OAuth and seller credentials from the hash and key)
        is derived again. `deep` changes nothing: values are immutable."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        return type(self)(**{**values, **(update or {})})

    @property
    def export_api_url(self) -> str:
        """The Export API base (products, orders); refused when `api_url` is the Import API."""
        if is_import_api_url(self.api_url):
            raise ConfigError(
                f"G2A_API_URL ends in {IMPORT_PATH}, the Import API, which has no Export calls "
                f"(products, orders); point G2A_API_URL at the Export API ({EXPORT_PATH}) and, "
                "for a service using both, G2A_IMPORT_API_URL at the Import API"
            )
        return self.api_url

    @property
    def timeout_seconds(self) -> float:
        return self.timeout_ms / 1000

    @property
    def purchase_lease_seconds(self) -> float:
        """How long a crashed purchase blocks its key; a heartbeat renews it while alive."""
        return self.purchase_lease_ms / 1000

    @property
    def key_timeout_seconds(self) -> float:
        """Read timeout of the key fetch: generous, as its answer cannot be asked for twice."""
        return self.key_timeout_ms / 1000

    def webhook_secrets(self) -> list[str]:
        """The webhook secrets, several (comma-separated) while rotating."""
        if self.webhook_secret is None:
            return []
        raw = self.webhook_secret.get_secret_value()
        return [s.strip() for s in raw.split(",") if s.strip()]

    def secret_values(self) -> list[str]:
        """Every configured secret value, for masking logs and messages."""
        values = [
            self.api_key.get_secret_value(),
            self.oauth_client_secret.get_secret_value(),
            self.seller_client_secret.get_secret_value(),
            *self.webhook_secrets(),
            self.pay_api_secret.get_secret_value() if self.pay_api_secret else "",
        ]
        values += url_passwords(self.idempotency_url)
        return list(dict.fromkeys(v for v in values if v))  # once each (defaults repeat the key)

    def display(self) -> dict[str, Any]:
        """Every setting, secrets masked: safe to print or log."""
        return {
            "api_url": self.api_url,
            "import_api_url": self.import_api_url,
            "api_hash": self.api_hash,
            "api_key": MASK,
            "env": self.env,
            "timeout_ms": self.timeout_ms,
            "retry_max": self.retry_max,
            "key_timeout_ms": self.key_timeout_ms,
            "purchase_lease_ms": self.purchase_lease_ms,
            "oauth_client_id": self.oauth_client_id,
            "oauth_client_secret": MASK,
            "webhook_secret": MASK if self.webhook_secret is not None else None,
            "webhook_tolerance_seconds": self.webhook_tolerance_seconds,
            "pay_api_secret": MASK if self.pay_api_secret is not None else None,
            "seller_client_id": self.seller_client_id,
            "seller_client_secret": MASK,
            "idempotency_url": redacted_url(self.idempotency_url),
            "allowed_hosts": list(self.allowed_hosts),
        }

    def __repr_args__(self) -> Iterator[tuple[str, Any]]:
        """What pydantic's repr (and so `str`) and rich's pretty repr show: `display()`."""
        yield from self.display().items()

    def __str__(self) -> str:
        return repr(self)
