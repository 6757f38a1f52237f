"""Worker-only mode: this machine's Locust workers join a master on another machine.

Locust's own worker retries a master that does not answer in silence for 5 minutes, then quits
with an empty reason, and keeps buying for a minute after its master died (until its heartbeat
gives up): the command waits for the master's port a bounded time, saying how it goes, and
stops its workers once that port refuses connections.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from harness.load.runner import (
    EXPECT_WORKERS_MAX_WAIT_S,
    end_workers,
    first_failure,
    locust_environment,
    worker_command,
)
from harness.processes import stopped_if_interrupted

JOIN_TIMEOUT_S = EXPECT_WORKERS_MAX_WAIT_S  # as long as the master waits for its workers
JOIN_PROGRESS_EVERY_S = 15
MASTER_GONE_AFTER_S = 5  # the master's port refusing connections this long ends the run


class MasterUnreachableError(ConnectionError):
    """Worker-only mode: the master's port accepted no connection within the join timeout."""


def _refusal(host: str, port: int, timeout_s: float) -> str | None:
    """Why the master's port accepts no connection (`Connection refused`), None if it does."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def wait_for_master(
    host: str, port: int, timeout_s: float, say: Callable[[str], None] = print
) -> None:
    """Until the master's port accepts a connection, saying so every `JOIN_PROGRESS_EVERY_S`;
    `MasterUnreachableError` naming the last reason after `timeout_s`. (Locust's own worker
    would retry silently for 5 minutes, then quit with an empty reason.)"""
    say(f"joining the master at {host}:{port} (waiting up to {timeout_s:g} s)")
    deadline = time.monotonic() + timeout_s
    next_note = time.monotonic() + JOIN_PROGRESS_EVERY_S
    while reason := _refusal(host, port, min(max(deadline - time.monotonic(), 0.1), 3.0)):
        left = deadline - time.monotonic()
        if left <= 0:
            raise MasterUnreachableError(
                f"cannot reach master at {host}:{port} after {timeout_s:g} s ({reason})"
            )
        if time.monotonic() >= next_note:
            say(f"master at {host}:{port} not reachable yet ({reason}), {left:.0f} s left")
            next_note += JOIN_PROGRESS_EVERY_S
        time.sleep(min(1.0, left))


def master_gone(host: str, port: int, workers: Sequence[subprocess.Popen[bytes]]) -> str | None:
    """While the workers run: why the master is gone once its port has refused connections for
    `MASTER_GONE_AFTER_S` (Locust's workers would wait 60 s for its heartbeat, buying on);
    None when the workers ended first."""
    refused_since: float | None = None
    while any(worker.poll() is None for worker in workers):
        reason = _refusal(host, port, 3.0)
        if reason is None:
            refused_since = None
        else:
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since >= MASTER_GONE_AFTER_S:
                return f"the master at {host}:{port} is gone ({reason})"
        time.sleep(1.0)
    return None


def run_workers(
    master_host: str, workers: int, master_port: int, join_timeout_s: float = JOIN_TIMEOUT_S
) -> int:
    """Worker-only mode: join a master on another machine with `workers` processes, once its
    port answers, and stop them when it is gone. 0 when every worker ended cleanly, else 1
    (the reason, or each failed worker, on stderr)."""
    wait_for_master(master_host, master_port, join_timeout_s)
    env = locust_environment({})
    processes: list[subprocess.Popen[bytes]] = []
    with stopped_if_interrupted(processes):
        for _ in range(max(workers, 1)):
            processes.append(subprocess.Popen(worker_command(master_host, master_port), env=env))
        gone = master_gone(master_host, master_port, processes)
        codes = end_workers(processes, 0)
    if gone is not None:
        print(f"{gone}: its workers were stopped", file=sys.stderr)
        return 1
    for index, code in enumerate(codes, start=1):
        if code != 0:
            print(f"worker {index} exited with code {code}", file=sys.stderr)
    return 1 if first_failure(codes) else 0
