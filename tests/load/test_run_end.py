"""The locustfile ends a run --g2a-run-time seconds after its first test started: Locust's
events fired at its listeners, in a subprocess of its own (Locust patches the process with
gevent on import), with stand-ins for Locust's runner and web UI that note what they are told.

Before, Locust's own --run-time clock ended the run; it starts before the test does, while the
rest of Locust's startup runs: on a busy machine a 6 s smoke run's test lasted 3.6 s, and a
short run at times sent no forgery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Prints what the runner and the web UI were told: before the first test, after it started
# (a run time of 0 s: at once), and after a second test started.
DRIVER = """
import json, sys
from types import SimpleNamespace
import gevent
from locust import events
from harness.load import locustfile

told = []
runner = SimpleNamespace(stop=lambda: told.append("stop"), quit=lambda: told.append("quit"))
headless = sys.argv[1] == "headless"
environment = SimpleNamespace(
    runner=runner,
    parsed_options=SimpleNamespace(
        headless=headless, autoquit=-1 if headless else 0, g2a_run_time=0
    ),
    web_ui=None if headless else SimpleNamespace(stop=lambda: told.append("web_ui.stop")),
)
locustfile._environment = environment

seen = []
for _ in range(2):
    gevent.wait(timeout=10)  # every greenlet the locustfile started ran to its end
    seen.append(list(told))
    events.test_start.fire(environment=environment)
gevent.wait(timeout=10)
seen.append(list(told))
print(json.dumps(seen))
"""


def _told(mode: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, mode],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    told: list[list[str]] = json.loads(done.stdout.splitlines()[-1])
    return told


@pytest.mark.parametrize(
    ("mode", "ending"),
    [("headless", ["quit"]), ("web", ["stop", "quit", "web_ui.stop"])],
)
def test_the_run_ends_its_run_time_after_its_first_test_started_not_before(
    mode: str, ending: list[str]
) -> None:
    before_the_test, after_the_first, after_a_second = _told(mode)

    assert before_the_test == []
    assert after_the_first == ending
    assert after_a_second == ending  # a web UI's Start after a Stop: the same run's clock
