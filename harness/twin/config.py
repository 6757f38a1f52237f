"""The twin's tunables; every behaviour G2A does not publish is a field here.

The defaults are realistic (a paid order takes a processing time, a rate limit is on); the
values G2A does not publish come from the assumptions registry (`harness.twin.assumptions`).
`TwinConfig.fast()` is the profile for fast tests: no processing delay, no rate limit.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.twin import assumptions
from harness.twin.admin_input import finite_number
from harness.twin.credentials import SANDBOX_CREDENTIAL, Credential
from harness.twin.errors import MAX_MESSAGE_LENGTH, ErrorSpec, check_answerable, is_message

_N = TypeVar("_N", int, float)
PROFILES = ("realistic", "fast")
OFF = "off"
# A delivery carries one signature per secret; the adapter's verifier takes at most 8.
MAX_WEBHOOK_SECRETS = 8
DEFAULT_WEBHOOK_SECRET = "twin-webhook-secret"  # a fixture: the twin signs with it unless told
# The range of every numeric field (inclusive): a value outside is refused, never half-applied.
BOUNDS: dict[str, tuple[float, float]] = {
    "catalog_size": (0, 5000),
    "token_ttl_seconds": (1, 86400),
    "rate_window_seconds": (0.001, 3600),
    "job_delay_seconds": (0, 3600),
    "completion_delay_seconds": (0, 3600),
    "request_log_size": (1, 100_000),
    "reservation_seconds": (0, 86400),
    "wallet_balance": (0, 1e12),
    "hang_seconds": (0, 600),
    "webhook_timeout_seconds": (0.001, 60),
    "webhook_duplicates": (0, 10),
    "max_page": (1, 100_000),
    "page_size": (1, 1000),
    "offers_page_size": (1, assumptions.MAX_OFFERS_PER_PAGE),
    "webhook_retry_delays": (0, 60),
}
# The most waits `webhook_retry_delays` lists: a delivery is tried at most once more per wait.
MAX_WEBHOOK_RETRIES = 10
# The values a setting may take, when it takes one of a few.
CHOICES: dict[str, tuple[Any, ...]] = {
    "offer_accepted_status": assumptions.OFFER_ACCEPTED_STATUSES,
    "out_of_stock_hidden": assumptions.OUT_OF_STOCK_HIDDEN,
    "oauth_client_secret": assumptions.OAUTH_CLIENT_SECRETS,
    "import_error_body": assumptions.IMPORT_ERROR_BODIES,
    "token_error_body": assumptions.TOKEN_ERROR_BODIES,
    "offer_unknown_product": assumptions.OFFER_UNKNOWN_PRODUCT,
    "auth01_status": assumptions.AUTH01_STATUSES,
    "rate_limit_scope": assumptions.RATE_LIMIT_SCOPES,
}
# Settings that map a situation to its error, and settings that map a state to its word: only
# the situations and states the twin knows may be set.
ERROR_TABLES = ("order_errors", "export_errors", "import_errors")
WORD_TABLES = ("status_words", "job_status_words")
# A configured error code: what g2a_adapter reads as a code (shorter, or stranger, it does not).
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CREDENTIAL_FIELDS = ("api_hash", "email", "api_secret")  # Credential's, in its order


@dataclass
class TwinConfig:
    """Everything that shapes the twin's answers. Defaults follow the published sandbox."""

    seed: int = 2026
    catalog_size: int = 300
    token_ttl_seconds: int = assumptions.TOKEN_TTL_SECONDS
    rate_limit: int | None = assumptions.RATE_LIMIT  # None: no limit
    rate_window_seconds: float = assumptions.RATE_WINDOW_SECONDS
    rate_limit_scope: str = assumptions.RATE_LIMIT_SCOPES[0]
    job_delay_seconds: float = assumptions.JOB_DELAY_SECONDS
    completion_delay_seconds: float = assumptions.PROCESSING_DELAY_SECONDS
    request_log_size: int = 1000
    webhook_secrets: list[str] = field(default_factory=lambda: [DEFAULT_WEBHOOK_SECRET])
    webhook_retry_delays: tuple[float, ...] = (0.1, 0.5, 2.0)
    credentials: list[Credential] = field(default_factory=lambda: [SANDBOX_CREDENTIAL])
    # Beyond the agreed interface:
    reservation_seconds: float = assumptions.RESERVATION_SECONDS
    wallet_balance: float | None = None
    status_words: dict[str, str] = field(default_factory=lambda: dict(assumptions.STATUS_WORDS))
    order_errors: dict[str, ErrorSpec] = field(
        default_factory=lambda: dict(assumptions.ORDER_ERRORS)
    )
    export_errors: dict[str, ErrorSpec] = field(
        default_factory=lambda: dict(assumptions.EXPORT_ERRORS)
    )
    auth01_status: int = assumptions.AUTH01_STATUSES[0]
    export_auth_case_sensitive: bool = True
    unknown_fields_refused: bool = False
    out_of_stock_hidden: str = assumptions.OUT_OF_STOCK_HIDDEN[0]
    oauth_client_secret: str = assumptions.OAUTH_CLIENT_SECRETS[0]
    token_basic_auth: bool = False
    token_any_content_type: bool = False
    token_error_body: str = assumptions.TOKEN_ERROR_BODIES[0]
    token_rate_limited: bool = False
    offer_accepted_status: int = assumptions.OFFER_ACCEPTED_STATUS
    offer_body_checked: bool = True
    offer_unknown_product: str = assumptions.OFFER_UNKNOWN_PRODUCT[0]
    offers_page_size: int = assumptions.OFFERS_PAGE_SIZE
    job_status_words: dict[str, str] = field(
        default_factory=lambda: dict(assumptions.JOB_STATUS_WORDS)
    )
    import_errors: dict[str, ErrorSpec] = field(
        default_factory=lambda: dict(assumptions.IMPORT_ERRORS)
    )
    import_error_body: str = assumptions.IMPORT_ERROR_BODIES[0]
    currency_rates: dict[str, float] = field(
        default_factory=lambda: dict(assumptions.CURRENCY_RATES)
    )
    hang_seconds: float = 30.0
    webhook_timeout_seconds: float = 2.0
    webhook_duplicates: int = 0
    max_page: int = assumptions.MAX_PAGE
    page_size: int = assumptions.PAGE_SIZE

    def __post_init__(self) -> None:
        """However the config is built (in code, `fast`, `updated`), every field holds only
        what its answers can carry (`check_answerable`, naming the field and the place)."""
        for known in dataclasses.fields(self):
            check_answerable(getattr(self, known.name), known.name)

    @classmethod
    def fast(cls, **fields: Any) -> TwinConfig:
        """The profile for fast tests: keys ready at payment, no rate limit."""
        return cls(**{"completion_delay_seconds": 0.0, "rate_limit": None, **fields})

    @classmethod
    def profile(cls, name: str) -> TwinConfig:
        """`realistic` (the defaults) or `fast`; ValueError for another name."""
        if name not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        return cls.fast() if name == "fast" else cls()

    def updated(self, fields: dict[str, Any]) -> TwinConfig:
        """A copy with `fields` applied; unknown names, wrong types or a value no answer can
        carry (`__post_init__`) raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        changes = {
            name: _coerce(name, value, getattr(self, name)) for name, value in fields.items()
        }
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["credentials"] = [c.as_dict() for c in self.credentials]
        data["webhook_secrets"] = ["***" for _ in self.webhook_secrets]
        data["webhook_retry_delays"] = list(self.webhook_retry_delays)
        for name in ERROR_TABLES:
            data[name] = {k: v.as_list() for k, v in data[name].items()}
        return data


def _coerce(name: str, value: Any, current: Any) -> Any:
    if name == "credentials":
        return _credentials(value)
    if name == "webhook_retry_delays":
        delays = _list(name, value)
        if len(delays) > MAX_WEBHOOK_RETRIES:
            raise ValueError(f"webhook_retry_delays has at most {MAX_WEBHOOK_RETRIES} entries")
        return tuple(_bounded(name, _number(name, v)) for v in delays)
    if name == "webhook_secrets":
        return webhook_secrets(name, value)
    if name in ERROR_TABLES:
        given = _known_keys(name, value, current)
        return {**current, **{key: _error(f"{name}.{key}", spec) for key, spec in given.items()}}
    if name in WORD_TABLES:
        words = _known_keys(name, value, current)
        if not all(isinstance(v, str) and v for v in words.values()):
            raise ValueError(f"{name} must be non-empty strings")
        return {**current, **words}
    if name in CHOICES:
        return _choice(name, value)
    if name == "currency_rates":
        return _rates(value)
    if name == "rate_limit":
        return _rate_limit(value)
    if name == "wallet_balance":
        return None if value is None else _bounded(name, _number(name, value))
    if isinstance(current, bool) and isinstance(value, bool):
        return value
    if isinstance(current, bool) or isinstance(value, bool):
        raise ValueError(f"{name} has the wrong type")
    if isinstance(current, int) and isinstance(value, int):
        return _bounded(name, value)
    if isinstance(current, float) and isinstance(value, int | float):
        return float(_bounded(name, value))
    raise ValueError(f"{name} must be {'an integer' if isinstance(current, int) else 'a number'}")


def webhook_secrets(name: str, value: Any) -> list[str]:
    """`value` as a list of 1 to MAX_WEBHOOK_SECRETS non-empty strings, else ValueError."""
    if (
        not isinstance(value, list | tuple)
        or not 1 <= len(value) <= MAX_WEBHOOK_SECRETS
        or not all(isinstance(v, str) and v for v in value)
    ):
        raise ValueError(f"{name} must be a list of 1 to {MAX_WEBHOOK_SECRETS} non-empty strings")
    return list(value)


def _number(name: str, value: Any) -> float:
    if not finite_number(value):
        raise ValueError(f"{name} must be finite numbers")
    return float(value)


def _bounded(name: str, value: _N) -> _N:
    low, high = BOUNDS.get(name, (-math.inf, math.inf))
    if not (finite_number(value) and low <= value <= high):
        raise ValueError(f"{name} must be between {low:g} and {high:g}")
    return value


def _dict(name: str, value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    return value


def _known_keys(name: str, value: Any, current: dict[str, Any]) -> dict[str, Any]:
    """`value` as an object whose keys are all keys of `current`, else ValueError."""
    given = {str(k): v for k, v in _dict(name, value).items()}
    unknown = sorted(set(given) - set(current))
    if unknown:
        raise ValueError(
            f"unknown {name} key(s): {', '.join(unknown)} (known: {', '.join(current)})"
        )
    return given


def _error(setting: str, spec: Any) -> ErrorSpec:
    if isinstance(spec, ErrorSpec):  # given in code: checked as the parsed list is
        spec = spec.as_list()
    if not isinstance(spec, list | tuple) or len(spec) != 3:
        raise ValueError(f"{setting} must be [status, code, message]")
    status, code, message = spec
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"{setting}: status must be an HTTP error status")
    if not (isinstance(code, str) and _ERROR_CODE.fullmatch(code)):
        raise ValueError(f"{setting}: code must be 1 to 64 characters of A-Z, a-z, 0-9 and _.:-")
    if not is_message(message):
        raise ValueError(
            f"{setting}: message must be a string of 1 to {MAX_MESSAGE_LENGTH} characters"
        )
    return ErrorSpec(status, code, message)


def _choice(name: str, value: Any) -> Any:
    choices = CHOICES[name]
    # Of the same type too: `True == 1` and `202.0 == 202`, yet neither is a choice.
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}")
    return value


def _rates(value: Any) -> dict[str, float]:
    given = _dict("currency_rates", value)
    rates = {str(k): _number("currency_rates", v) for k, v in given.items()}
    if "EUR" not in rates or not all(len(c) == 3 and c.isupper() for c in rates):
        raise ValueError("currency_rates needs EUR and 3-letter upper-case codes")
    if not all(rate > 0 for rate in rates.values()):
        raise ValueError("currency_rates must be positive")
    return rates


def _rate_limit(value: Any) -> int | None:
    """A positive count, or None / "off" for no limit."""
    if value is None or value == OFF:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("rate_limit must be a positive integer or 'off'")
    return value


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list")
    return list(value)


def _credentials(value: Any) -> list[Credential]:
    items = _list("credentials", value)
    result = [_credential(f"credentials[{index}]", item) for index, item in enumerate(items)]
    if not result:
        raise ValueError("credentials needs at least one credential set")
    return result


def _credential(setting: str, item: Any) -> Credential:
    if isinstance(item, Credential):
        return item
    if not isinstance(item, dict) or not set(_CREDENTIAL_FIELDS) <= item.keys():
        raise ValueError("credentials must be objects with api_hash, email and api_secret")
    unknown = sorted(item.keys() - set(_CREDENTIAL_FIELDS))
    if unknown:
        fields = ", ".join(_CREDENTIAL_FIELDS)
        raise ValueError(f"{setting} has no field {', '.join(unknown)} (its fields: {fields})")
    for name in _CREDENTIAL_FIELDS:
        if not (isinstance(item[name], str) and item[name]):
            raise ValueError(f"{setting}.{name} must be a non-empty string")
    return Credential(*(item[name] for name in _CREDENTIAL_FIELDS))
