"""A worker counts its master silent only after `MASTER_SILENT_HEARTBEATS` intervals in a row
without an answer, counted from the master's first answer; any answer starts the count anew.
A worker-only run ends once a worker says so, naming the silence (or, when the master's port
refuses connections, its death)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from harness.load import worker_only
from harness.load.heartbeats import MASTER_SILENT_HEARTBEATS, MASTER_SILENT_LINE, MasterSilence


def _ticks(silence: MasterSilence, count: int) -> list[bool]:
    return [silence.tick() for _ in range(count)]


def test_before_the_first_answer_no_silence_is_counted() -> None:
    assert _ticks(MasterSilence(), 100) == [False] * 100


def test_the_master_is_silent_once_that_many_intervals_in_a_row_went_unanswered() -> None:
    silence = MasterSilence()
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1) == [False] * MASTER_SILENT_HEARTBEATS + [
        True
    ]


def test_an_answer_starts_the_count_anew() -> None:
    silence = MasterSilence()
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS) == [False] * MASTER_SILENT_HEARTBEATS
    silence.heard(client_id="master", timestamp=0.0)  # as Locust's event calls it
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS) == [False] * MASTER_SILENT_HEARTBEATS
    assert silence.tick()


def test_no_silence_is_counted_from_the_users_stopping_until_the_next_test_starts() -> None:
    """Locust's stop sequence leaves the worker deaf to its master for stop_timeout and more;
    answers that still arrive after the users stopped do not start the count."""
    silence = MasterSilence()
    silence.heard()
    silence.users_stopping(environment=None)  # as Locust's event calls it
    assert _ticks(silence, 100) == [False] * 100
    silence.heard()
    assert _ticks(silence, 100) == [False] * 100
    silence.test_started(environment=None)
    assert _ticks(silence, 100) == [False] * 100  # counted again from the next answer
    silence.heard()
    assert _ticks(silence, MASTER_SILENT_HEARTBEATS + 1) == [False] * MASTER_SILENT_HEARTBEATS + [
        True
    ]


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
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
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
