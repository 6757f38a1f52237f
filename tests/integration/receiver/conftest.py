"""The receiver under test: in-process (ASGI) and served over real HTTP by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from g2a_adapter.asgi import create_receiver_app
from g2a_adapter.config import Settings
from harness.twin.server import TwinServer

WEBHOOK_SECRET = "receiver-webhook-secret"
API_HASH = "qdaiciDiyMaTjxMt"
API_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"


def receiver_settings(idempotency_url: str) -> Settings:
    return Settings(
        api_url="http://127.0.0.1:9/v1",
        api_hash=API_HASH,
        api_key=API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        idempotency_url=idempotency_url,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return receiver_settings(f"sqlite:///{tmp_path / 'receiver.sqlite3'}")


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """The receiver with its own SQLite store, served by uvicorn in a thread."""
    app = create_receiver_app(settings)
    server = TwinServer(app)  # type: ignore[arg-type]  # a generic uvicorn-in-a-thread runner
    server.start()
    try:
        yield server.base_url, app
    finally:
        server.stop()
