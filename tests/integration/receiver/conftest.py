"""The receiver under test: in-process (ASGI) and served over real HTTP by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _receiver_fixtures import receiver_settings

from g2a_adapter import Settings
from harness.recording_receiver import EventRecorder, recording_receiver_app
from harness.serving import serve_asgi


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return receiver_settings(f"sqlite:///{tmp_path / 'receiver.sqlite3'}")


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, EventRecorder]]:
    """The receiver with its own SQLite store and a recording handler, served by uvicorn in
    a thread."""
    app, recorder = recording_receiver_app(settings)
    with serve_asgi(app) as base_url:
        yield base_url, recorder
