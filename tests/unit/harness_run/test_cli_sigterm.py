"""SIGTERM and the `g2a-harness` entry point: a command that owns SIGTERM (its own process)
ends with 143 and one line; one run in-process under a handler of someone else's (a test of
`g2a-harness run`'s pytest, which `--max-time` stops with SIGTERM) lets that interrupt through,
so the run stops there instead of recording the test as failed with 143 and running on."""

from __future__ import annotations

import os
import signal
import time
from argparse import Namespace

import pytest

from harness.cli import main
from harness.commands import steps
from harness.processes import TERMINATED, TERMINATED_EXIT, Terminated, sigterm_interrupts


def _terminated_while_running(args: Namespace) -> int:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # the handler raises before this ends
    return 0


def test_a_command_owning_sigterm_ends_with_143_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(steps, "run", _terminated_while_running)
    assert main(["steps"]) == TERMINATED_EXIT
    assert capsys.readouterr().err == f"g2a-harness steps: {TERMINATED}\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_a_command_run_in_process_lets_its_callers_sigterm_interrupt_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(steps, "run", _terminated_while_running)
    with sigterm_interrupts(), pytest.raises(Terminated):  # as the run's pytest does
        main(["steps"])
    assert capsys.readouterr().err == ""
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
