"""Worker-only mode joins a Locust master, not a port: a port that accepts TCP connections but
where no Locust master answers (a wrong port, a port-forward, a frozen master) is given up on
after `--join-timeout`, the workers stopped. Before, the command printed "joining..." and then
nothing for 5 minutes, and ended with Locust's empty reason and exit 1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from machine_support import require
from process_support import HAS_PROC, alive, started_children
from qa_support import NO_G2A, ROOT, harness

from harness.load.heartbeats import (
    ADDITIONAL_WAIT_AFTER_STOP_ENV,
    MAX_ADDITIONAL_WAIT_AFTER_STOP_S,
    additional_wait_after_stop,
)

SECRET_ONLY = {"G2A_WEBHOOK_SECRET": "shared-load-secret-for-both-machines"}


def test_a_port_that_accepts_but_never_answers_is_given_up_on_after_the_join_timeout() -> None:
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()  # the kernel accepts connections; nobody ever answers
        port = mute.getsockname()[1]
        started = time.monotonic()
        done = harness(
            "load", "--master-host", "127.0.0.1", "--master-port", str(port),
            "--workers", "2", "--join-timeout", "4",
            env=SECRET_ONLY, timeout=60,
        )  # fmt: skip
        took_s = time.monotonic() - started
    assert took_s < 4 + 10, (took_s, done.stderr)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        f"joining the master at 127.0.0.1:{port} (waiting up to 4 s)\n",
        f"g2a-harness load: no Locust master answered at 127.0.0.1:{port} within 4 s (the port "
        "accepts connections: a wrong port, a port-forward or a frozen master?); its workers "
        "were stopped\n",
    )


def test_the_workers_are_stopped_when_no_master_answers() -> None:
    require(HAS_PROC, "this platform has no Linux /proc to find the Locust processes")
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        port = mute.getsockname()[1]
        command = [sys.executable, "-m", "harness", "load", "--master-host", "127.0.0.1"]
        with subprocess.Popen(
            [*command, "--master-port", str(port), "--join-timeout", "4"],
            cwd=ROOT, env={**NO_G2A, **SECRET_ONLY}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as run:  # fmt: skip
            workers = started_children(run)
            assert run.wait(timeout=30) == 2
    assert workers
    assert not [pid for pid in workers if alive(pid)], "a Locust worker outlived the command"


NOT_WHOLE = (
    "is not a whole number of seconds: Locust's workers read it with int() when a test "
    "stops, and would crash there"
)
OUT_OF_BOUNDS = (
    "is outside 0 to 86400 seconds, the harness's own bounds: a negative wait would shorten "
    "the silence a worker allows its master while it is deaf, and Locust's worker crashes "
    "on a huge one (OverflowError)"
)


@pytest.mark.parametrize(
    ("value", "refusal"),
    [("2.5", NOT_WHOLE), ("3s", NOT_WHOLE), ("", NOT_WHOLE), ("-1", OUT_OF_BOUNDS),
     ("86401", OUT_OF_BOUNDS), ("9" * 30, OUT_OF_BOUNDS)],
)  # fmt: skip
@pytest.mark.parametrize(
    "mode",
    [
        ["--workers", "1", "--profile", "smoke"],
        ["--master-host", "127.0.0.1", "--master-port", "9", "--join-timeout", "1"],
    ],
    ids=["master-with-workers", "worker-only"],
)
def test_a_stop_wait_locust_s_workers_cannot_read_is_refused_before_anything_starts(
    tmp_path: Path, mode: list[str], value: str, refusal: str
) -> None:
    """Locust's worker reads it with int() at its first Stop, and crashed there on a value
    int() refuses, or (OverflowError) one too large to sleep; a negative one would shorten the
    silence the worker allows its master while it is deaf. Before, a huge one was let through,
    and a negative one's refusal blamed Locust's int()."""
    report_dir = [] if "--master-host" in mode else ["--report-dir", str(tmp_path)]  # the master's
    done = harness(
        "load", *report_dir, *mode,
        env={**SECRET_ONLY, ADDITIONAL_WAIT_AFTER_STOP_ENV: value}, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"g2a-harness load: {ADDITIONAL_WAIT_AFTER_STOP_ENV}={value!r} {refusal}\n",
    )
    assert not (tmp_path / "load").exists()


def test_a_stop_wait_within_the_bounds_is_read_as_locust_reads_it() -> None:
    assert MAX_ADDITIONAL_WAIT_AFTER_STOP_S == 86400
    assert additional_wait_after_stop({ADDITIONAL_WAIT_AFTER_STOP_ENV: "86400"}) == 86400
    assert additional_wait_after_stop({ADDITIONAL_WAIT_AFTER_STOP_ENV: " 8 "}) == 8
    assert additional_wait_after_stop({}) == 0
