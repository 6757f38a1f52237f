"""Child processes the harness starts (pytest, Locust): none outlives a harness command that
stops early (Ctrl-C, an error), so nothing keeps writing reports after the command returned."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

STOP_SECONDS = 5.0


def stop(process: subprocess.Popen[bytes], grace_seconds: float = STOP_SECONDS) -> None:
    """Ask a child to stop, then kill it if it has not within `grace_seconds`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def stopped_if_interrupted(processes: Sequence[subprocess.Popen[bytes]]) -> Iterator[None]:
    """Leaving the block by an exception (Ctrl-C, say) stops every child still running; the
    sequence may grow inside the block as children start."""
    try:
        yield
    except BaseException:
        for process in processes:
            stop(process)
        raise
