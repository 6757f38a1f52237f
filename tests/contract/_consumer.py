"""One consumer session: the real adapter against Pact's mock server for one provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pact import Pact

from harness.contracts.verify import CONSUMER
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY


class ConsumerSession:
    """Runs the real adapter against Pact's mock server for one provider."""

    def __init__(self, provider: str, pact_dir: Path) -> None:
        self.provider = provider
        self.pact_dir = pact_dir
        self.pact = Pact(CONSUMER, provider).with_specification("V4")

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
            with G2AClient(Settings(**values)) as client:
                yield client
        self.pact.write_file(self.pact_dir)
