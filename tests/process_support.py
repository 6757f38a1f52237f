"""Child processes a test looks for after stopping a command (Linux /proc)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

HAS_PROC = Path("/proc/self/stat").exists()


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def started_children(process: subprocess.Popen[Any], timeout_s: float = 60) -> list[int]:
    """The processes `process` started, once it started one (its own start can take seconds
    on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if started := children(process.pid):
            return started
        time.sleep(0.1)
    raise AssertionError(f"no child process started (exit {process.poll()})")
