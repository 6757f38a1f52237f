"""`LinePrinter`, which prints `receiver serve`'s delivery lines off the event loop: a stdout
that is slow, non-blocking or gone never stalls nor fails a delivery, and no dropped line goes
uncounted."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from harness.recording_receiver import WAITING_LINES, LinePrinter

LINE = "2026-12-06T19:40:01Z webhook evt-" + "x" * 150 + " 200 processed"
DROPPED = re.compile(r"g2a-harness receiver: (\d+) delivery lines dropped \(stdout was not read\)")


@contextmanager
def pipe(*, blocking: bool) -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    os.set_blocking(write, blocking)
    try:
        yield read, write
    finally:
        for fd in (read, write):
            with suppress(OSError):  # closed by the test already
                os.close(fd)


def read_in_background(fd: int) -> tuple[threading.Thread, list[bytes]]:
    chunks: list[bytes] = []

    def read() -> None:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, chunks


SAID = WAITING_LINES + 700  # more than the waiting lines and a pipe's 64 KiB hold


def fill(write: int) -> None:
    """Fill the pipe with whole lines (`filler`), so that the printer's first write waits for
    a reader: until one comes, no line leaves the printer's queue."""
    os.set_blocking(write, False)
    with suppress(BlockingIOError):
        while True:
            os.write(write, b"filler\n")
    os.set_blocking(write, True)


def overflow(printer: LinePrinter) -> None:
    """More lines said than the printer can keep while nobody reads: some are dropped."""
    for _ in range(SAID):
        printer.say(LINE)


def test_a_non_blocking_stdout_that_fills_up_is_waited_for_not_given_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pipe(blocking=False) as (read, write):
        with suppress(BlockingIOError):  # the pipe full before the printer writes
            while True:
                os.write(write, b"#" * 4096)
        printer = LinePrinter(write)
        overflow(printer)
        time.sleep(0.3)  # the printer has met the full pipe
        reader, chunks = read_in_background(read)
        drained = time.monotonic() + 10  # the count of drops is printed once all is printed
        while not DROPPED.search(b"".join(chunks).decode()) and time.monotonic() < drained:
            time.sleep(0.05)
        printer.say("after the reader came back")
        printer.close(10)
        os.close(write)
        reader.join(10)
    printed = b"".join(chunks).decode()
    assert printed.splitlines()[-1] == "after the reader came back"
    assert printed.count(LINE) > 0
    assert "no longer printed" not in capsys.readouterr().err


def test_lines_dropped_last_are_counted_when_the_printer_closes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pipe(blocking=True) as (read, write):
        fill(write)
        printer = LinePrinter(write)
        printer.say(LINE)
        time.sleep(0.3)  # the printer has met the full pipe with that line: no more leaves
        for _ in range(SAID - 1):  # the queue fills, and every line after it is dropped
            printer.say(LINE)
        reader, chunks = read_in_background(read)
        printer.close(10)
        os.close(write)
        reader.join(10)
    lines = b"".join(chunks).decode().splitlines()
    printed = [line for line in lines if line == LINE]
    dropped = sum(int(m.group(1)) for line in lines if (m := DROPPED.fullmatch(line)))
    assert dropped > 0
    assert len(printed) + dropped == SAID
    assert DROPPED.fullmatch(lines[-1])
    assert capsys.readouterr().err.count("delivery lines are dropped") == 1
