"""Credential sets the twin accepts; by default G2A's published sandbox set.

The sandbox values are public (printed in G2A's documentation) and safe in code and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from g2a_adapter.wire import derive_api_key, export_authorization

SANDBOX_API_HASH = "qdaiciDiyMaTjxMt"
SANDBOX_EMAIL = "sandboxapitest@g2a.com"
SANDBOX_API_SECRET = "b0d293f6-e1d2-4629-8264-fd63b5af3207b0d293f6-e1d2-4629-8264-fd63b5af3207"
SANDBOX_API_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"

# A configured secret is masked wherever it appears in the request log, so a shorter one would
# mask ordinary text there (g2a_adapter's SecretMasker keeps the same minimum).
MIN_SECRET_LENGTH = 4

SANDBOX_PRODUCT_IDS: tuple[str, ...] = (
    "10000027819004",
    "10000037846002",
    "10000084431001",
    "10000068865001",
)


@dataclass(frozen=True)
class Credential:
    """One G2A account: the public API hash, its email and its secret.

    The Export API key and the OAuth client (id = hash, secret = key or secret, as
    `TwinConfig.oauth_client_secret` says) derive from these.
    """

    api_hash: str
    email: str
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.api_secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"credentials api_secret must be at least {MIN_SECRET_LENGTH} characters: a "
                "shorter one would mask ordinary text in the request log"
            )

    @property
    def api_key(self) -> str:
        return derive_api_key(self.api_hash, self.email, self.api_secret)

    @property
    def authorization(self) -> str:
        """The exact `Authorization` header value G2A expects on the Export API."""
        return export_authorization(self.api_hash, self.api_key)

    def oauth_client_secret(self, kind: str) -> str:
        """The OAuth client secret: the derived key (`api_key`) or the raw secret (`api_secret`)."""
        return self.api_secret if kind == "api_secret" else self.api_key

    def as_dict(self) -> dict[str, str]:
        """Public view (the secret is never exported)."""
        return {"api_hash": self.api_hash, "email": self.email}


SANDBOX_CREDENTIAL = Credential(SANDBOX_API_HASH, SANDBOX_EMAIL, SANDBOX_API_SECRET)
