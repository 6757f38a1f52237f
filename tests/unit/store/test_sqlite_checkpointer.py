"""The SQLite store's checkpointer thread, as an operator's plain-text log shows it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from g2a_adapter.idempotency._checkpointer import Checkpointer


def test_a_failing_checkpoint_is_logged_once_with_its_error_in_the_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A plain-text log shows a record's message only: the line names the error itself."""
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database, " * 512)
    with caplog.at_level(logging.WARNING, "g2a_adapter"):
        checkpointer = Checkpointer(str(broken), interval_seconds=0.01)
        time.sleep(0.2)  # several failing intervals: one line
        checkpointer.stop()
    lines = [r.getMessage() for r in caplog.records if "checkpoint_failed" in r.getMessage()]
    assert lines == ["g2a.store.checkpoint_failed error=file is not a database"]
