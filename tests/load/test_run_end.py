"""The locustfile ends a run --g2a-run-time seconds after its first test started: Locust's
events fired at its listeners, in a subprocess of its own (Locust patches the process with
gevent on import), with stand-ins for Locust's runner and web UI that note what they are told.

Before, Locust's own --run-time timer ended the run; it counts from gevent's cached loop time,
which the process's start-up leaves stale: on a busy machine a 6 s smoke run's test lasted
3.6 s, and a short run at times sent no forgery. Here the loop's clock is left 1.5 s stale
(a blocking sleep before the test starts), so a timer counting from it would end the run
early."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Prints what the runner and the web UI were told, each with the seconds since the test
# started: before the first test, after it started (a run time of 1 s, an autoquit of 0.5 s
# when the web UI runs), and after a second test started.
DRIVER = """
import json, sys, time
from types import SimpleNamespace
import gevent
import gevent.monkey
from locust import events
from harness.load import locustfile

told = []
started = []
def tell(what):
    return lambda: told.append([what, round(time.monotonic() - started[0], 2)])
runner = SimpleNamespace(stop=tell("stop"), quit=tell("quit"))
headless = sys.argv[1] == "headless"
environment = SimpleNamespace(
    runner=runner,
    parsed_options=SimpleNamespace(
        headless=headless, autoquit=-1 if headless else 0.5, g2a_run_time=1
    ),
    web_ui=None if headless else SimpleNamespace(stop=tell("web_ui.stop")),
)
locustfile._environment = environment

blocking_sleep = gevent.monkey.get_original("time", "sleep")
seen = []
for _ in range(2):
    gevent.wait(timeout=10)  # every greenlet the locustfile started ran to its end
    seen.append(list(told))
    blocking_sleep(1.5)  # as start-up work does: the loop's cached clock goes stale
    started[:] = [time.monotonic()]
    events.test_start.fire(environment=environment)
gevent.wait(timeout=10)
seen.append(list(told))
print(json.dumps(seen))
"""


def _told(mode: str) -> list[list[list[Any]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, mode],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    told: list[list[list[Any]]] = json.loads(done.stdout.splitlines()[-1])
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
    assert [what for what, _ in after_the_first] == ending
    assert after_a_second == after_the_first  # a web UI's Start after a Stop: the run's clock
    waited = dict(after_the_first)
    assert min(waited.values()) >= 1.0  # the run time, from the test's start
    if mode == "web":
        assert waited["quit"] - waited["stop"] >= 0.5  # the autoquit, after the stop
