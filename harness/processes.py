"""Child processes the harness starts (pytest, Locust): none outlives a harness command that
stops early (Ctrl-C, SIGTERM, an error), so nothing keeps writing reports after the command
returned."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

STOP_SECONDS = 5.0


TERMINATED = "stopped by SIGTERM; every process it started was stopped, no verdict"
TERMINATED_EXIT = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI cancel or timeout), raised like Ctrl-C so every child is stopped."""


@contextmanager
def sigterm_interrupts() -> Iterator[bool]:
    """Within the block SIGTERM raises `Terminated`; later ones are ignored while the children
    stop, and the previous handler is back when the block ends. Yields whether the block owns
    SIGTERM: not when a Python handler is set already (a command run in-process by a test whose
    pytest turns SIGTERM into an interrupt: the interrupt is that pytest's, to stop the run),
    nor off the main thread, which signals never reach; the block then changes nothing."""
    if threading.current_thread() is not threading.main_thread() or callable(
        signal.getsignal(signal.SIGTERM)
    ):
        yield False
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield True
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def sigterm_default() -> Iterator[None]:
    """SIGTERM's default action within the block, for a server that handles it itself
    (uvicorn stops gracefully, then raises the signal again): a clean stop ends the process as
    SIGTERM does, not as an interrupted harness command. Main thread only, as above."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
def stopped_if_interrupted(
    processes: Sequence[subprocess.Popen[bytes]], grace_seconds: float = STOP_SECONDS
) -> Iterator[None]:
    """Leaving the block by an exception (Ctrl-C or SIGTERM, say) stops every child still
    running, each given `grace_seconds` before it is killed; the sequence may grow inside the
    block as children start."""
    try:
        yield
    except BaseException:
        for process in processes:
            stop(process, grace_seconds)
        raise
