"""Our own OAuth2 token endpoint for G2A's seller callbacks, docs/g2a-api.md §3.

G2A fetches a token with `GET /oauth/token?grant_type=client_credentials&client_id=…&
client_secret=…`, then calls the seller's endpoints with `Authorization: Bearer …`.

A token is `<expiry>.<random>.<MAC>`: its expiry (unix seconds) and 16 random bytes, signed
with HMAC-SHA256 under a key derived from the client id and secret. Nothing is kept per token,
so every instance of a receiver with the same settings accepts the tokens of the others (G2A's
next call may reach another instance behind the load balancer), and no number of token
requests fills memory. Changing the client secret (`G2A_API_KEY`) ends every token issued
under the old one.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from g2a_adapter._errors import AuthError
from g2a_adapter.receiver._rejections import REJECTIONS


class TokenRequestError(AuthError):
    """A token request or bearer was refused for `reason` (a key of `REJECTIONS`); `error` is
    the RFC 6749/6750 error code the caller reads."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.status_code, self.error = REJECTIONS[reason]
        super().__init__(f"token request refused: {self.error}")


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret

    def __repr__(self) -> str:
        return f"IssuedToken(access_token=***, expires_in={self.expires_in})"

    def as_json(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


def _wall_clock() -> float:
    return time.time()


class SellerTokenIssuer:
    """Issues and checks bearer tokens for one configured client id / secret pair."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        ttl_seconds: int = 3600,
        clock: Callable[[], float] = _wall_clock,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must not be empty")
        self._client_id = client_id
        self._client_secret = client_secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        label = b"g2a-adapter seller token v1\x00" + client_id.encode()
        self._signing_key = hmac.digest(client_secret.encode(), label, "sha256")

    def __repr__(self) -> str:
        return f"SellerTokenIssuer(client_id={self._client_id!r}, client_secret=***)"

    def issue(
        self, grant_type: str | None, client_id: str | None, client_secret: str | None
    ) -> IssuedToken:
        if grant_type != "client_credentials":
            raise TokenRequestError("unsupported_grant_type")
        if not client_id or not client_secret:
            raise TokenRequestError("token_request_incomplete")
        id_ok = hmac.compare_digest(client_id.encode(), self._client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self._client_secret.encode())
        if not (id_ok and secret_ok):
            raise TokenRequestError("invalid_client")
        signed = f"{int(self._clock() + self.ttl_seconds)}.{secrets.token_urlsafe(16)}"
        return IssuedToken(f"{signed}.{self._mac(signed)}", self.ttl_seconds)

    def check(self, authorization: str | None) -> None:
        """Accept `Authorization: Bearer <live token>`; raise TokenRequestError otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRequestError("missing_bearer")
        signed, _, mac = token.strip().rpartition(".")
        expiry = signed.partition(".")[0]
        genuine = hmac.compare_digest(mac.encode(), self._mac(signed).encode())
        if not (genuine and expiry.isascii() and expiry.isdigit()):
            raise TokenRequestError("invalid_token")
        if int(expiry) <= self._clock():
            raise TokenRequestError("invalid_token")

    def _mac(self, signed: str) -> str:
        digest = hmac.digest(self._signing_key, signed.encode(), "sha256")
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
