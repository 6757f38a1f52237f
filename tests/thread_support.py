"""Running a call in another thread, deterministically."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_another_thread(call: Callable[[], Any]) -> None:
    """`call` run to its end by another thread while this one waits (no timing involved); its
    failure fails the test."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert failures == []
