"""The receiver under test: in-process (ASGI) and served over real HTTP by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _receiver_fixtures import receiver_settings
from starlette.applications import Starlette

from g2a_adapter import Settings
from g2a_adapter.receiver import create_receiver_app
from harness.serving import serve_asgi


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return receiver_settings(f"sqlite:///{tmp_path / 'receiver.sqlite3'}")


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """The receiver with its own SQLite store, served by uvicorn in a thread."""
    app = create_receiver_app(settings)
    with serve_asgi(app) as base_url:
        yield base_url, app
