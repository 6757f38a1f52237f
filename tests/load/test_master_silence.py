"""A worker counts its master silent only after `MASTER_SILENT_HEARTBEATS` intervals in a row
without a word from it, counted from its joining; any answer, or a test's start, starts the
count anew; while Locust's stop sequence may keep the worker deaf, its sleep is allowed too.
A worker-only run ends once a worker says so, naming the silence (or, when the master's port
refuses connections, its death)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from port_support import refusing_port

from harness.load import worker_only
from harness.load.heartbeats import (
    DEAF_LINE,
    LISTENING_LINE,
    MASTER_SILENT_HEARTBEATS,
    MASTER_SILENT_LINE,
    MasterSilence,
)


def _ticks(silence: MasterSilence, count: int, *, ready: bool = False) -> list[bool]:
    """`count` intervals gone by, the worker `ready` (no test running) or not."""
    return [silence.tick(ready) for _ in range(count)]


SILENT = [False] * MASTER_SILENT_HEARTBEATS + [True]
DEAF_S = 10.0  # Locust's stop sequence: --stop-timeout


def test_the_silence_is_counted_from_the_workers_joining() -> None:
    """Locust builds a worker's runner once its master answered its joining: a master frozen
    before it answered a heartbeat is silent all the same (it was never given up)."""
    assert _ticks(MasterSilence(), MASTER_SILENT_HEARTBEATS + 1, ready=True) == SILENT


def test_the_master_is_silent_once_that_many_intervals_in_a_row_went_unanswered() -> None:
    silence = MasterSilence()
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1) == SILENT


def test_an_answer_starts_the_count_anew() -> None:
    silence = MasterSilence()
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS) == [False] * MASTER_SILENT_HEARTBEATS
    silence.heard(client_id="master", timestamp=0.0)  # as Locust's event calls it
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS) == [False] * MASTER_SILENT_HEARTBEATS
    assert silence.tick(False)


def test_a_test_start_is_a_word_from_the_master() -> None:
    silence = MasterSilence()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS, ready=True) == [False] * 5
    silence.test_started(environment=None)  # as Locust's event calls it: on the master's spawn
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1) == SILENT


def test_while_the_stop_sequence_may_keep_the_worker_deaf_its_sleep_is_allowed_too() -> None:
    """The worker's users stopped: Locust's `stop` may have it read nothing for DEAF_S."""
    silence = MasterSilence()
    assert _ticks(silence, 3) == [False] * 3  # a test running
    silence.users_stopping(DEAF_S)
    assert _ticks(silence, int(DEAF_S) + 2) == [False] * (int(DEAF_S) + 2)
    assert silence.tick(False)  # 3 + 10 + 2 + 1 > 5 + 10: silent all the same


def test_once_the_worker_listens_again_the_count_starts_anew_without_the_allowance() -> None:
    """Between tests, after a web UI's Stop: the master's silence is noticed as in a test."""
    silence = MasterSilence()
    _ticks(silence, 2)
    silence.users_stopping(DEAF_S)
    assert _ticks(silence, int(DEAF_S)) == [False] * int(DEAF_S)  # deaf
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1, ready=True) == SILENT


def test_a_test_start_ends_the_allowance() -> None:
    silence = MasterSilence()
    silence.users_stopping(DEAF_S)  # before any test ran: no sign of the sleep's end
    assert _ticks(silence, int(DEAF_S), ready=True) == [False] * int(DEAF_S)
    silence.test_started()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1) == SILENT


def test_the_allowance_lapses_after_its_own_length_when_the_worker_never_left_ready() -> None:
    """A worker whose users stop before it ever got a test (Locust's `stop` leaves it ready all
    along: no sign of the sleep's end): once the sleep is surely over, the master's silence is
    noticed as in a test, not with the longer allowance until the next test."""
    silence = MasterSilence()
    silence.users_stopping(DEAF_S)
    assert _ticks(silence, int(DEAF_S), ready=True) == [False] * int(DEAF_S)  # maybe deaf
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1, ready=True) == SILENT


def _sleeper() -> subprocess.Popen[bytes]:
    """Stands in for a Locust worker still running."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_worker_that_found_its_master_silent_ends_the_run_naming_the_silence() -> None:
    silent = threading.Event()
    silent.set()
    worker = _sleeper()
    try:
        with socket.socket() as frozen:  # a frozen master's port still accepts connections
            frozen.bind(("127.0.0.1", 0))
            frozen.listen()
            port = frozen.getsockname()[1]
            gone = worker_only.master_gone("127.0.0.1", port, [worker], silent)
        assert worker.poll() is None  # the caller stops the workers
    finally:
        worker.kill()
        worker.wait()
    assert gone == (
        f"the master at 127.0.0.1:{port} went silent (no answer to {MASTER_SILENT_HEARTBEATS} "
        "heartbeats in a row)"
    )


def test_a_silent_master_whose_port_refuses_connections_is_named_gone() -> None:
    with refusing_port() as port:
        assert worker_only.silenced("127.0.0.1", port) == (
            f"the master at 127.0.0.1:{port} is gone (Connection refused)"
        )


def test_the_silent_line_marks_the_master_silent_and_is_not_passed_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = "import sys; sys.stderr.write({!r})".format(f"a warning\n{MASTER_SILENT_LINE}\n")
    worker = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    joins = worker_only.WorkerJoins([worker])
    worker.wait()
    joins.close()
    assert joins.master_silent.is_set()
    assert capsys.readouterr().err == "a warning\n"


def _until(condition: Callable[[], bool]) -> bool:
    """Whether `condition` held within 30 s (a reader thread's pace)."""
    deadline = time.monotonic() + 30
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_deaf_and_listening_lines_say_whether_a_running_worker_may_be_deaf(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (
        "import sys\n"
        f"print({DEAF_LINE!r}, file=sys.stderr, flush=True); input()\n"
        f"print({LISTENING_LINE!r}, file=sys.stderr, flush=True); sys.stdin.read()\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=False
    )
    assert worker.stdin is not None
    joins = worker_only.WorkerJoins([worker])
    try:
        assert _until(joins.deaf)
        worker.stdin.write(b"\n")
        worker.stdin.flush()
        assert _until(lambda: not joins.deaf())
    finally:
        worker.stdin.close()
        worker.wait()
        joins.close()
    assert capsys.readouterr().err == ""  # neither line is passed on


def test_a_closed_master_port_is_not_counted_while_a_worker_may_be_deaf() -> None:
    """Its users stopped, the worker reads its master's `quit` once it listens again and ends
    by itself: the run did not end for a master gone."""
    script = f"import time; time.sleep({worker_only.MASTER_GONE_AFTER_S + 3})"
    worker = subprocess.Popen([sys.executable, "-c", script])
    try:
        with refusing_port() as port:
            gone = worker_only.master_gone("127.0.0.1", port, [worker], deaf=lambda: True)
    finally:
        worker.kill()
        worker.wait()
    assert gone is None
