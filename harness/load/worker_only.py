"""Worker-only mode: this machine's Locust workers join a master on another machine.

Locust's own worker retries a master that does not answer in silence for 5 minutes, then quits
with an empty reason, and keeps buying for a minute after its master died or froze (until its
heartbeat gives up): the command waits a bounded time for the master to answer its workers,
saying how it goes, and stops its workers once the master's port refuses connections or a
worker found the master silent (it answered none of `MASTER_SILENT_HEARTBEATS` heartbeats in a
row: frozen, or dead behind a port-forward whose port still accepts connections). A closed port
is not counted while a worker says Locust's stop sequence may keep it deaf (its users stopped):
a master that quit meanwhile left its `quit` in the worker's socket, read once the worker
listens again, and one that died is found silent by the worker itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO

from harness.load.heartbeats import (
    DEAF_LINE,
    LISTENING_LINE,
    MASTER_SILENT_HEARTBEATS,
    MASTER_SILENT_LINE,
    WORKER_ONLY_ENV,
    additional_wait_after_stop,
)
from harness.load.plan import JOINED_LINE
from harness.load.runner import (
    EXPECT_WORKERS_MAX_WAIT_S,
    end_workers,
    first_failure,
    locust_environment,
    worker_command,
)
from harness.ports import host_port
from harness.processes import stopped_if_interrupted

JOIN_TIMEOUT_S = EXPECT_WORKERS_MAX_WAIT_S  # as long as the master waits for its workers
JOIN_PROGRESS_EVERY_S = 15
MASTER_GONE_AFTER_S = 5  # the master's port refusing connections this long ends the run
_POLL_S = 0.5
OUTPUT_DRAIN_S = 5.0  # once the workers ended, for the rest of their output to be passed on


class MasterUnreachableError(ConnectionError):
    """Worker-only mode: no Locust master answered the workers within the join timeout."""


def _refusal(host: str, port: int, timeout_s: float) -> str | None:
    """Why the master's port accepts no connection (`Connection refused`), None if it does
    (which proves only that something listens there, not that a Locust master answers)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def _await(
    pending: Callable[[], str | None], deadline: float, note: str, say: Callable[[str], None]
) -> str | None:
    """Until `pending()` gives no reason to wait on (None) or `deadline` passed, saying `note`,
    the reason and the time left every `JOIN_PROGRESS_EVERY_S`; the last reason at the
    deadline, None once done."""
    next_note = time.monotonic() + JOIN_PROGRESS_EVERY_S
    while reason := pending():
        left = deadline - time.monotonic()
        if left <= 0:
            return reason
        if time.monotonic() >= next_note:
            say(f"{note} ({reason}), {left:.0f} s left")
            next_note += JOIN_PROGRESS_EVERY_S
        time.sleep(min(_POLL_S, left))
    return None


def wait_for_master(
    host: str, port: int, timeout_s: float, say: Callable[[str], None] = print
) -> None:
    """Until the master's port accepts a connection; `MasterUnreachableError` naming the last
    reason after `timeout_s`."""
    say(f"joining the master at {host_port(host, port)} (waiting up to {timeout_s:g} s)")
    deadline = time.monotonic() + timeout_s

    def refusal() -> str | None:
        return _refusal(host, port, min(max(deadline - time.monotonic(), 0.1), 3.0))

    if reason := _await(
        refusal, deadline, f"master at {host_port(host, port)} not reachable yet", say
    ):
        raise MasterUnreachableError(
            f"cannot reach master at {host_port(host, port)} after {timeout_s:g} s ({reason})"
        )


class WorkerJoins:
    """Each worker's stderr passed on to this command's, but for the lines its locustfile prints
    once Locust's handshake with the master succeeded (the worker joined), as it quits because
    its master went silent (`master_silent`), and as its stop sequence may keep it deaf to its
    master and once it listens again."""

    def __init__(self, workers: Sequence[subprocess.Popen[bytes]]) -> None:
        self._workers = workers
        self._joined = [threading.Event() for _ in workers]
        self._deaf = [threading.Event() for _ in workers]
        self.master_silent = threading.Event()
        self._readers = [
            threading.Thread(target=self._pass_on, args=(worker.stderr, index), daemon=True)
            for index, worker in enumerate(workers)
        ]
        for reader in self._readers:
            reader.start()

    def _pass_on(self, stream: IO[bytes] | None, index: int) -> None:
        if stream is None:
            return
        deaf = self._deaf[index]
        marks = {JOINED_LINE: self._joined[index].set, MASTER_SILENT_LINE: self.master_silent.set}
        marks |= {DEAF_LINE: deaf.set, LISTENING_LINE: deaf.clear}
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace")
                if mark := marks.get(line.rstrip("\r\n")):
                    mark()
                else:
                    sys.stderr.write(line)
                    sys.stderr.flush()

    def deaf(self) -> bool:
        """Whether a running worker says Locust's stop sequence may keep it deaf."""
        pairs = zip(self._workers, self._deaf, strict=True)
        return any(deaf.is_set() and worker.poll() is None for worker, deaf in pairs)

    def waiting(self) -> int:
        """Workers still running that have not joined yet."""
        pairs = zip(self._workers, self._joined, strict=True)
        return sum(1 for worker, joined in pairs if not joined.is_set() and worker.poll() is None)

    def close(self) -> None:
        """Once the workers ended: the rest of their output passed on."""
        for reader in self._readers:
            reader.join(OUTPUT_DRAIN_S)


def wait_for_join(
    host: str, port: int, joins: WorkerJoins, deadline: float, say: Callable[[str], None] = print
) -> bool:
    """Until every running worker has joined the master (True) or `deadline` passed (False)."""

    def unanswered() -> str | None:
        waiting = joins.waiting()
        return f"{waiting} worker(s) waiting" if waiting else None

    note = f"master at {host_port(host, port)} accepts connections but has not answered yet"
    return _await(unanswered, deadline, note, say) is None


def _gone(host: str, port: int, refusal: str) -> str:
    return f"the master at {host_port(host, port)} is gone ({refusal})"


def silenced(host: str, port: int) -> str:
    """Why the run ended when a worker found its master silent: its port refusing connections
    (it died), else its silence (frozen, or dead behind a port that still accepts them)."""
    if refusal := _refusal(host, port, 3.0):
        return _gone(host, port, refusal)
    return (
        f"the master at {host_port(host, port)} went silent (no answer to "
        f"{MASTER_SILENT_HEARTBEATS} heartbeats in a row)"
    )


def master_gone(
    host: str,
    port: int,
    workers: Sequence[subprocess.Popen[bytes]],
    master_silent: threading.Event | None = None,
    deaf: Callable[[], bool] = lambda: False,
) -> str | None:
    """While the workers run: why the master is gone once a worker found it silent
    (`master_silent` set) or its port has refused connections for `MASTER_GONE_AFTER_S`
    (Locust's workers would wait 60 s for its heartbeat, buying on), not counted while a
    worker may be `deaf` to it (its users stopped: it reads a master's `quit` once it listens
    again); None when the workers ended first."""
    refused_since: float | None = None
    while any(worker.poll() is None for worker in workers):
        if master_silent is not None and master_silent.is_set():
            return silenced(host, port)
        reason = _refusal(host, port, 3.0)
        if reason is None or deaf():
            refused_since = None
        else:
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since >= MASTER_GONE_AFTER_S:
                return _gone(host, port, reason)
        time.sleep(1.0)
    return None


def _kill(workers: Sequence[subprocess.Popen[bytes]]) -> None:
    """Workers that never joined have bought nothing: no grace."""
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.wait()


def run_workers(
    master_host: str, workers: int, master_port: int, join_timeout_s: float = JOIN_TIMEOUT_S
) -> int:
    """Worker-only mode: join a master on another machine with `workers` processes, and stop
    them when it is gone. `MasterUnreachableError` when no master answered them within
    `join_timeout_s` (their workers stopped); else 0 when every worker ended cleanly, else 1
    (the reason, or each failed worker, on stderr); `ProfileError` for a stop wait Locust's
    workers would crash on."""
    additional_wait_after_stop(os.environ)
    deadline = time.monotonic() + join_timeout_s
    wait_for_master(master_host, master_port, join_timeout_s)
    env = locust_environment({WORKER_ONLY_ENV: "1"})  # its workers say when they may be deaf
    processes: list[subprocess.Popen[bytes]] = []
    with stopped_if_interrupted(processes):
        for _ in range(max(workers, 1)):
            command = worker_command(master_host, master_port)
            processes.append(subprocess.Popen(command, env=env, stderr=subprocess.PIPE))
        joins = WorkerJoins(processes)
        if not wait_for_join(master_host, master_port, joins, deadline):
            _kill(processes)
            joins.close()
            raise MasterUnreachableError(
                f"no Locust master answered at {host_port(master_host, master_port)} within "
                f"{join_timeout_s:g} s (the port accepts connections: a wrong port, a "
                "port-forward or a frozen master?); its workers were stopped"
            )
        print(f"joined the master at {host_port(master_host, master_port)}", flush=True)
        gone = master_gone(master_host, master_port, processes, joins.master_silent, joins.deaf)
        codes = end_workers(processes, 0)
        joins.close()
    if gone is None and joins.master_silent.is_set():  # every worker quit before we looked
        gone = silenced(master_host, master_port)
    if gone is not None:
        print(f"{gone}: its workers were stopped", file=sys.stderr)
        return 1
    for index, code in enumerate(codes, start=1):
        if code != 0:
            print(f"worker {index} exited with code {code}", file=sys.stderr)
    return 1 if first_failure(codes) else 0
