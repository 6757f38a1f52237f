"""`POST /oauth/token` on the twin's request path (`dispatch.answer`, no I/O): a token request
is authenticated once, by the dispatcher, and the token is issued to the client it found."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, TwinConfig
from harness.twin.credentials import Credential
from harness.twin.dispatch import answer
from harness.twin.protocol import Call
from harness.twin.runtime import Twin

NOW = 1_800_000_000.0


class CountingClients(dict[tuple[str, str], Credential]):
    """The twin's OAuth clients, counting the lookups of a client."""

    lookups = 0

    def __repr__(self) -> str:  # its keys hold client secrets
        return f"CountingClients(lookups={self.lookups})"

    def get(self, key: Any, default: Any = None) -> Any:
        self.lookups += 1
        return super().get(key, default)


def counted_twin(**config: Any) -> tuple[Twin, CountingClients]:
    twin = Twin(TwinConfig.fast(**config), lambda: NOW)
    clients = CountingClients(twin.state.oauth_clients)
    twin.state.oauth_clients = clients
    return twin, clients


def token_call(client_secret: str) -> Call:
    form = {
        "grant_type": "client_credentials",
        "client_id": SANDBOX_API_HASH,
        "client_secret": client_secret,
    }
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return Call("POST", "/oauth/token", "", headers, urlencode(form).encode())


@pytest.mark.parametrize("token_rate_limited", [False, True])
def test_a_token_request_is_authenticated_once_and_issued_to_its_client(
    token_rate_limited: bool,
) -> None:
    twin, clients = counted_twin(rate_limit=5, token_rate_limited=token_rate_limited)
    reply = answer(twin, token_call(SANDBOX_API_KEY))
    body = json.loads(reply.body)
    assert (reply.status, body["token_type"], body["expires_in"]) == (200, "bearer", 300)
    assert twin.state.tokens[body["access_token"]].client_id == SANDBOX_API_HASH
    assert clients.lookups == 1


def test_a_refused_token_request_is_authenticated_once() -> None:
    twin, clients = counted_twin()
    reply = answer(twin, token_call("not-the-key"))
    assert (reply.status, json.loads(reply.body)) == (
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed"},
    )
    assert twin.state.tokens == {}
    assert clients.lookups == 1
