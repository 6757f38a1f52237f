"""One consumer session: the real adapter against Pact's mock server for one provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pact import Pact

from harness.contracts.verify import CONSUMER
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY


class RecordingTransport(httpx.HTTPTransport):
    """Keeps every request the adapter sends, body read, for what a pact cannot express
    (pact-python 4 has no form for "this request has no body")."""

    def __init__(self, sent: list[httpx.Request]) -> None:
        super().__init__()
        self.sent = sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return super().handle_request(request)


class ConsumerSession:
    """Runs the real adapter against Pact's mock server for one provider."""

    def __init__(self, provider: str, pact_dir: Path) -> None:
        self.provider = provider
        self.pact_dir = pact_dir
        self.pact = Pact(CONSUMER, provider).with_specification("V4")
        self.sent: list[httpx.Request] = []
        """The requests the adapter sent to the mock server, in order."""

    @contextmanager
    def client(self, **settings: Any) -> Iterator[Any]:
        """A `G2AClient` pointed at the mock server's `/v1`; writes the pact when every
        interaction was matched (the mock server raises on mismatch when the block ends)."""
        from g2a_adapter import G2AClient, Settings

        with self.pact.serve(addr="127.0.0.1") as server:
            values: dict[str, Any] = {
                "api_url": f"{server.url}/v1",
                "api_hash": SANDBOX_API_HASH,
                "api_key": SANDBOX_API_KEY,
                "retry_max": 0,
                **settings,
            }
            with G2AClient(Settings(**values), transport=RecordingTransport(self.sent)) as client:
                yield client
        self.pact.write_file(self.pact_dir)
