"""`g2a-harness load` for performance testers: profiles listed, workers named, failures loud."""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from port_support import refusing_port
from qa_support import harness
from rich.console import Console

from harness.commands import load
from harness.load import runner, worker_only
from harness.load.journal import Journal, read_journal, write_journal
from harness.load.plan import JOINED_LINE
from harness.load.profiles import ProfileError, get_profile, load_profiles
from harness.load.report import build_report, print_verdict, worker_text
from harness.load.runner import (
    LoadRun,
    _resolved,
    _ui_options,
    first_failure,
    remote_worker_recipe,
)
from harness.load.stats import RunStats
from harness.load.verdict import ReceiverRecord, evaluate
from harness.twin.credentials import SANDBOX_API_HASH


def test_list_profiles_shows_users_duration_and_slos() -> None:
    done = harness("load", "--list-profiles")
    assert done.returncode == 0, done.stderr
    for name, profile in load_profiles().items():
        row = next(line for line in done.stdout.splitlines() if f"│ {name} " in line)
        assert f"│ {profile.users} " in row
        assert f"│ {profile.run_time_s} s " in row
        assert f"errors <= {profile.slos.max_error_ratio:.1%}" in row
    assert "throughput >= " in done.stdout
    assert "p95 <= " in done.stdout


def test_the_headline_names_how_many_workers_ran() -> None:
    assert worker_text(0, 0) == "1 standalone process"
    assert worker_text(2, 2) == "master + 2 worker(s)"
    assert worker_text(2, 6) == "master + 6 worker(s) (4 remote)"
    assert worker_text(2, 6, joined=3) == "master + 3 worker(s) (1 remote)"


@pytest.mark.parametrize(
    ("tests", "joined", "expected", "workers_text"),
    [
        (1, 2, 1, "master + 2 worker(s) (2 remote)"),
        (0, 0, 2, "master + 0 worker(s)"),  # gave up on them: was `1 standalone process`
    ],
)
def test_the_headline_counts_the_workers_that_joined_not_those_expected(
    tests: int, joined: int, expected: int, workers_text: str, tmp_path: Path
) -> None:
    """A master expecting 1 remote worker ran with 2 (the worker machine's `--workers 2`, as
    the recipe's `--workers N` allows): the headline said `master + 1 worker(s) (1 remote)`.
    One that gave up on its 2 remote workers, none of which joined, said `1 standalone
    process`."""
    write_journal(tmp_path / "journal.json", Journal(tests=tests, workers_joined=joined))
    journal = read_journal(tmp_path / "journal.json")  # as the master wrote it
    verdict = evaluate(get_profile("smoke"), RunStats({}), journal, None, ReceiverRecord({}, {}))
    report = build_report(
        profile=get_profile("smoke"), target="twin", workers=0, expected_workers=expected,
        verdict=verdict, stats=RunStats({}), journal=journal, files={}, web=False,
        peak_users=None,
    )  # fmt: skip
    out = io.StringIO()

    print_verdict(report, console=Console(file=out, width=200))

    assert (report["expected_workers"], report["measured"]["workers_joined"]) == (expected, joined)
    headline = out.getvalue().splitlines()[0].strip()
    assert headline == f"load profile smoke on twin, {workers_text}: FAILED"


def test_a_failed_worker_fails_the_run_even_when_others_pass() -> None:
    assert first_failure([0, 0]) == 0
    assert first_failure([0, 3, 1]) == 3
    assert first_failure([0, -9]) == -9  # killed by a signal is a failure too


def test_the_master_tells_remote_workers_what_they_need() -> None:
    run = LoadRun(get_profile("steady"), workers=2, expect_workers=6, bind_host="10.0.0.5")
    recipe = remote_worker_recipe(run, 5601)
    assert recipe.startswith("waiting for 4 remote worker(s) at 10.0.0.5:5601 (up to 90 s);")
    assert "same G2A_WEBHOOK_SECRET and G2A_LOAD_IDEMPOTENCY_URL exported" in recipe
    assert recipe.endswith(  # the profile reaches the workers in the plan
        "  g2a-harness load --workers N --master-host 10.0.0.5 --master-port 5601"
    )


def test_an_ipv6_master_is_announced_with_its_address_in_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "free_port", lambda host: 25001)
    run = LoadRun(get_profile("smoke"), workers=1, expect_workers=2, bind_host="::1", web=True)
    recipe = remote_worker_recipe(run, 5601)
    assert recipe.startswith("waiting for 1 remote worker(s) at [::1]:5601 ")
    assert recipe.endswith("--master-host ::1 --master-port 5601")  # options take the bare address
    options = _ui_options(run)
    assert capsys.readouterr().out.startswith("Locust web UI at http://[::1]:25001/ running ")
    assert options[options.index("--web-host") :][:4] == [
        "--web-host",
        "::1",
        "--web-port",
        "25001",
    ]


def test_remote_workers_without_a_shared_webhook_secret_are_refused(tmp_path: Path) -> None:
    done = harness("load", "--workers", "1", "--expect-workers", "3", "--report-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        "g2a-harness load: remote workers sign webhooks with the master's secret: export the "
        "same G2A_WEBHOOK_SECRET on the master and on every worker machine\n"
    )


SECRET_ONLY = {"G2A_WEBHOOK_SECRET": "shared-load-secret-for-both-machines"}
NO_SHARED_STORE = (
    "g2a-harness load: remote workers buy through one idempotency store: export the same "
    "G2A_LOAD_IDEMPOTENCY_URL (redis://… or postgresql://…, never the service's own store) on "
    "the master and on every worker machine\n"
)


def test_remote_workers_off_loopback_without_a_shared_load_store_are_refused(
    tmp_path: Path,
) -> None:
    """Else each remote worker would open the master's SQLite path on its own disk."""
    master = ["--workers", "1", "--expect-workers", "3", "--bind-host", "10.0.0.5"]
    done = harness("load", *master, "--report-dir", str(tmp_path), env=SECRET_ONLY)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", NO_SHARED_STORE)
    worker = ["--master-host", "10.0.0.5", "--master-port", "9"]
    done = harness("load", *worker, env=SECRET_ONLY)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", NO_SHARED_STORE)


def test_a_worker_needs_the_port_the_master_printed() -> None:
    done = harness("load", "--master-host", "127.0.0.1", env=SECRET_ONLY)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "g2a-harness load: --master-host needs --master-port: the port the master printed\n"
    )


def test_an_unspecified_bind_host_is_refused(tmp_path: Path) -> None:
    done = harness("load", "--bind-host", "0.0.0.0", "--report-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "g2a-harness load: --bind-host 0.0.0.0 is no address workers can reach: bind an "
        "address of this machine (127.0.0.1, or the one remote workers reach)\n"
    )


def test_a_worker_without_the_shared_webhook_secret_is_refused_before_it_joins() -> None:
    done = harness("load", "--master-host", "127.0.0.1", "--workers", "1", "--master-port", "9")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "g2a-harness load: remote workers sign webhooks with the master's secret: export the "
        "same G2A_WEBHOOK_SECRET on the master and on every worker machine\n"
    )


def test_the_sandbox_target_needs_its_settings_before_anything_starts(tmp_path: Path) -> None:
    done = harness("load", "--target", "sandbox", "--report-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "g2a-harness load: target sandbox needs G2A_API_URL, G2A_API_HASH, G2A_API_KEY in the "
        "environment; missing: G2A_API_URL, G2A_API_HASH, G2A_API_KEY (the twin target needs "
        "none)\n"
    )
    assert not (tmp_path / "load").exists()


def test_the_sandbox_target_loads_the_api_its_settings_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_API_URL", "https://127.0.0.1:9/v1")
    monkeypatch.setenv("G2A_API_HASH", "MySandboxHash123")
    monkeypatch.setenv("G2A_API_KEY", "a" * 64)
    with pytest.raises(ProfileError) as refused:  # the named host, not G2A's sandbox
        _resolved("sandbox")
    assert str(refused.value) == "cannot reach 127.0.0.1:9 (Connection refused)"


def test_the_twin_target_uses_the_twins_credentials_whatever_is_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_API_HASH", "MySandboxHash123")
    twin = _resolved("twin")
    assert (twin.api_url, twin.api_hash) == (None, SANDBOX_API_HASH)


def test_a_worker_that_cannot_reach_its_master_gives_up_with_the_reason() -> None:
    """Locust's worker retried in silence for 5 minutes, then exited 255 with an empty reason."""
    with refusing_port() as port:
        started = time.monotonic()
        done = harness(
            "load", "--master-host", "127.0.0.1", "--master-port", str(port),
            "--join-timeout", "2", env=SECRET_ONLY,
        )  # fmt: skip
    assert time.monotonic() - started < 30
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        f"joining the master at 127.0.0.1:{port} (waiting up to 2 s)\n",
        f"g2a-harness load: cannot reach master at 127.0.0.1:{port} after 2 s "
        "(Connection refused)\n",
    )


def test_the_wait_for_the_master_says_how_it_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_only, "JOIN_PROGRESS_EVERY_S", 1)
    said: list[str] = []
    with refusing_port() as port, pytest.raises(worker_only.MasterUnreachableError) as gave_up:
        worker_only.wait_for_master("127.0.0.1", port, 2.5, said.append)
    assert str(gave_up.value) == (
        f"cannot reach master at 127.0.0.1:{port} after 2.5 s (Connection refused)"
    )
    assert said[0] == f"joining the master at 127.0.0.1:{port} (waiting up to 2.5 s)"
    assert len(said) >= 2
    assert all(
        re.fullmatch(
            rf"master at 127\.0\.0\.1:{port} not reachable yet \(Connection refused\), "
            r"[0-9] s left",
            line,
        )
        for line in said[1:]
    ), said


def test_the_wait_for_the_port_ends_as_soon_as_it_listens() -> None:
    """Only the first stage of a join: a port that accepts connections may still be no Locust
    master (tests/load/test_worker_join.py: the workers then wait out the join timeout)."""
    with socket.socket() as master:
        master.bind(("127.0.0.1", 0))
        master.listen()
        started = time.monotonic()
        worker_only.wait_for_master("127.0.0.1", master.getsockname()[1], 30, lambda line: None)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (
            ["--join-timeout", "5"],
            "--join-timeout is for a worker-only run: give --master-host too",
        ),
        (
            ["--master-host", "127.0.0.1", "--master-port", "9", "--join-timeout", "0"],
            "--join-timeout must be a number of seconds above 0, not 0",
        ),
        (
            ["--master-host", "127.0.0.1", "--master-port", "9", "--join-timeout", "inf"],
            "--join-timeout must be a number of seconds above 0, not inf",
        ),
    ],
)
def test_a_bad_join_timeout_is_refused(args: list[str], refusal: str) -> None:
    done = harness("load", *args, env=SECRET_ONLY)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"g2a-harness load: {refusal}\n")


def test_a_worker_only_run_notices_its_master_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Locust's workers wait 60 s for a dead master's heartbeat, buying on in the meantime."""
    monkeypatch.setattr(worker_only, "MASTER_GONE_AFTER_S", 1)
    master = socket.socket()
    master.bind(("127.0.0.1", 0))
    master.listen()
    port = master.getsockname()[1]
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        threading.Timer(1.5, master.close).start()  # the master dies mid-run
        started = time.monotonic()
        gone = worker_only.master_gone("127.0.0.1", port, [worker])
        assert 1.5 < time.monotonic() - started < 6
        assert worker.poll() is None  # the caller stops the workers
    finally:
        worker.kill()
        worker.wait()
    assert gone == f"the master at 127.0.0.1:{port} is gone (Connection refused)"


def test_workers_that_end_first_leave_no_reason() -> None:
    with socket.socket() as master:
        master.bind(("127.0.0.1", 0))
        master.listen()
        worker = subprocess.Popen([sys.executable, "-c", "pass"])
        assert worker_only.master_gone("127.0.0.1", master.getsockname()[1], [worker]) is None
        assert worker.returncode == 0


def _worker_saying(*lines: str, then_sleep_s: float = 0) -> subprocess.Popen[bytes]:
    """Stands in for a Locust worker: writes `lines` to stderr, then sleeps."""
    text = "".join(line + "\n" for line in lines)
    script = f"import sys, time; sys.stderr.write({text!r}); sys.stderr.flush(); "
    script += f"time.sleep({then_sleep_s})"
    return subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)


def test_a_worker_has_joined_once_it_printed_the_joined_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = _worker_saying("a Locust warning", JOINED_LINE, then_sleep_s=30)
    try:
        joins = worker_only.WorkerJoins([worker])
        deadline = time.monotonic() + 20
        assert worker_only.wait_for_join("127.0.0.1", 9, joins, deadline, lambda line: None)
        assert time.monotonic() < deadline - 10
    finally:
        worker.kill()
        worker.wait()
    joins.close()
    assert capsys.readouterr().err == "a Locust warning\n"  # passed on; the joined line is not


def test_the_wait_for_the_join_says_how_it_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port that accepts connections but where no Locust master answers: a frozen master."""
    monkeypatch.setattr(worker_only, "JOIN_PROGRESS_EVERY_S", 1)
    worker = _worker_saying(then_sleep_s=30)
    said: list[str] = []
    try:
        joins = worker_only.WorkerJoins([worker])
        joined = worker_only.wait_for_join(
            "127.0.0.1", 9, joins, time.monotonic() + 2.5, said.append
        )
        assert worker.poll() is None  # the caller stops the workers
    finally:
        worker.kill()
        worker.wait()
    assert not joined
    assert said
    assert all(
        re.fullmatch(
            r"master at 127\.0\.0\.1:9 accepts connections but has not answered yet "
            r"\(1 worker\(s\) waiting\), [0-9] s left",
            line,
        )
        for line in said
    ), said


@pytest.mark.parametrize("port", ["0", "-1", "65536", "99999"])
@pytest.mark.parametrize(
    "mode",
    [
        ["--target", "sandbox"],  # a master: refused before the target's settings are asked for
        ["--master-host", "127.0.0.1", "--workers", "1", "--join-timeout", "1"],
    ],
)
def test_a_master_port_out_of_range_is_refused(mode: list[str], port: str, tmp_path: Path) -> None:
    """Locust's master bound 99999 as 34463 (the port modulo 65536) while the recipe it printed
    for remote workers said 99999; a worker tried it until its join timeout."""
    args = [*mode, "--master-port", port, "--report-dir", str(tmp_path)]
    done = harness("load", *args, env=SECRET_ONLY)
    refusal = f"g2a-harness load: --master-port must be a port from 1 to 65535, not {port}\n"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", refusal)


def _previous_report(report_dir: Path) -> Path:
    """A previous run's `load.json` in `report_dir`, which a refused run must leave as it is."""
    previous = report_dir / "load" / "load.json"
    previous.parent.mkdir()
    previous.write_text("{}", encoding="utf-8")
    return previous


def _documentation_address_this_machine_lacks() -> str:
    """An address of the documentation ranges (RFC 5737) no interface of this machine has:
    some networks hand one out (this machine's own is in 192.0.2.0/24), so the first one this
    machine cannot bind."""
    for network in ("198.51.100", "203.0.113", "192.0.2"):
        for last in range(254, 0, -1):
            address = f"{network}.{last}"
            with socket.socket() as probe:
                try:
                    probe.bind((address, 0))
                except OSError:
                    return address
    raise AssertionError("this machine has every documentation address")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        (None, "Cannot assign requested address"),  # a documentation address it lacks
        ("no-such-host.invalid", None),  # the resolver's words vary: no such name, no DNS
    ],
)
def test_a_bind_host_this_machine_cannot_listen_on_is_refused_before_anything_starts(
    host: str | None, reason: str | None, tmp_path: Path
) -> None:
    """It said only `[Errno 99] Cannot assign requested address`, after deleting the previous
    run's report."""
    host = host or _documentation_address_this_machine_lacks()
    previous = _previous_report(tmp_path)
    done = harness("load", "--bind-host", host, "--report-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    said = re.fullmatch(
        rf"g2a-harness load: cannot listen on --bind-host {re.escape(host)} \(([^()]+)\): bind "
        r"an address of this machine \(127\.0\.0\.1, or the one remote workers reach\)\n",
        done.stderr,
    )
    assert said is not None, done.stderr
    assert reason is None or said.group(1) == reason
    assert previous.read_text(encoding="utf-8") == "{}"


def test_a_master_port_another_process_holds_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    """Locust's master failed to bind it once the services had started: a FAILED verdict of
    "no requests" rows, exit 1, the previous run's report gone."""
    previous = _previous_report(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["--workers", "1", "--master-port", str(port), "--run-time", "3s"]
        done = harness("load", *args, "--report-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"g2a-harness load: --master-port {port} is not free on 127.0.0.1 (Address already in "
        "use): give another, or none for a free one\n"
    )
    assert previous.read_text(encoding="utf-8") == "{}"


def test_a_shared_load_store_that_cannot_be_opened_is_named_before_anything_starts(
    tmp_path: Path,
) -> None:
    """It said only `idempotency store 'redis' unavailable: …`, not which of the exported
    store URLs (the service's G2A_IDEMPOTENCY_URL too, perhaps) it was, after the services
    had started and the previous run's report had been deleted."""
    previous = _previous_report(tmp_path)
    with refusing_port() as port:
        env = {"G2A_LOAD_IDEMPOTENCY_URL": f"redis://:load-store-secret@127.0.0.1:{port}/0"}
        done = harness("load", "--report-dir", str(tmp_path), env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(
        "g2a-harness load: G2A_LOAD_IDEMPOTENCY_URL: idempotency store 'redis' unavailable: "
    ), done.stderr
    assert done.stderr.count("\n") == 1
    assert "load-store-secret" not in done.stderr
    assert previous.read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (
            ["--bind-host", ""],  # was a traceback: the run's TLS certificate had no name
            "--bind-host '' is no address workers can reach: bind an address of this machine "
            "(127.0.0.1, or the one remote workers reach)",
        ),
        (
            # an empty variable (`--master-host "$MASTER"`) ran a load of its own as a master
            ["--master-host", "", "--master-port", "9", "--workers", "1", "--target", "sandbox"],
            "--master-host '' names no master: give the address it printed",
        ),
    ],
)
def test_an_empty_host_is_refused(args: list[str], refusal: str, tmp_path: Path) -> None:
    done = harness("load", *args, "--report-dir", str(tmp_path), env=SECRET_ONLY)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"g2a-harness load: {refusal}\n")


def test_an_empty_report_dir_is_refused_before_anything_starts() -> None:
    """An empty variable (`--report-dir "$OUT"`) wrote the run into ./load/: `Path("")` is the
    working directory. (`--target sandbox` unset ends the old run before it writes anything.)"""
    done = harness("load", "--report-dir", "", "--target", "sandbox")
    refusal = "--report-dir '' names no folder: give one, or none for the default (reports)"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"g2a-harness load: {refusal}\n")


@pytest.mark.parametrize(
    "mode",
    [
        ["--target", "sandbox"],  # refused after the workers, for want of the sandbox's settings
        ["--master-host", "127.0.0.1", "--master-port", "9"],  # and of the webhook secret
    ],
    ids=["master", "worker-only"],
)
def test_more_workers_than_the_machine_runs_are_refused_before_any_starts(
    mode: list[str],
) -> None:
    """A million workers pushed the machine's load average to 97; a Locust worker uses one CPU
    at most, so past 2 per CPU more only contend."""
    most = 2 * len(os.sched_getaffinity(0))  # the CPUs the command may run on, as it counts
    done = harness("load", *mode, "--workers", str(most + 1))
    refusal = (
        f"g2a-harness load: --workers must be at most {most} (2 per CPU of this machine: a "
        f"Locust worker uses one CPU at most), not {most + 1}\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", refusal)
    done = harness("load", *mode, "--workers", str(most))
    assert done.returncode == 2
    assert "--workers" not in done.stderr  # the next refusal: the bound is allowed


def test_a_sandbox_api_url_the_adapter_refuses_is_refused_before_the_report_is_deleted(
    tmp_path: Path,
) -> None:
    """The host accepted connections, so the run went on: it deleted the previous run's report,
    then the receiver's settings refused the URL."""
    previous = _previous_report(tmp_path)
    with socket.socket() as api:
        api.bind(("127.0.0.1", 0))
        api.listen()
        env = {
            "G2A_API_URL": f"http://127.0.0.1:{api.getsockname()[1]}/v1/orders",
            "G2A_API_HASH": "MySandboxHash123",
            "G2A_API_KEY": "a" * 64,
        }
        done = harness("load", "--target", "sandbox", "--report-dir", str(tmp_path), env=env)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "g2a-harness load: G2A_API_URL path must end in /v1 (Export API) or /integration-api/v1\n",
    )
    assert sorted(path.name for path in previous.parent.iterdir()) == ["load.json"]
    assert previous.read_text(encoding="utf-8") == "{}"


WORKER_ONLY = ["--master-host", "127.0.0.1", "--master-port", "9", "--join-timeout", "1"]


@pytest.mark.parametrize(
    "option",
    [
        ["--users", "5"],
        ["--spawn-rate", "2"],
        ["--run-time", "20s"],
        ["--web"],
        ["--report-dir", "reports"],
        ["--expect-workers", "2"],
        ["--target", "sandbox"],
        ["--bind-host", "10.0.0.5"],
        # not "no address workers can reach": a worker machine's command binds none
        pytest.param(["--bind-host", "0.0.0.0"], id="--bind-host-unspecified"),
    ],
    ids=lambda option: option[0],
)
def test_a_master_option_on_a_worker_only_run_is_refused(option: list[str]) -> None:
    """The worker machine ran the master's plan and said nothing of the option it ignored
    (`--target` and `--bind-host` too, whose defaults hid that they were given)."""
    done = harness("load", *WORKER_ONLY, *option, env=SECRET_ONLY)
    refusal = (
        f"g2a-harness load: {option[0]} is for the master's command: a worker-only run "
        "(--master-host) runs the master's plan\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", refusal)


def test_a_profile_on_a_worker_only_run_is_said_to_be_ignored() -> None:
    """A worker machine runs its master's profile: `--profile spike` there ran `steady` (say)
    without a word. Masters printed `--profile` in the worker command, so it is not refused."""
    done = harness("load", *WORKER_ONLY, "--profile", "spike", env=SECRET_ONLY)
    assert done.stderr.splitlines()[0] == (
        "g2a-harness load: --profile spike is ignored: a worker-only run (--master-host) runs "
        "the profile its master runs"
    )


def test_the_master_port_help_says_when_the_port_is_printed() -> None:
    """It said `(default: a free one, printed)`; a master with only local workers prints none."""
    parser = argparse.ArgumentParser(
        formatter_class=lambda prog: argparse.HelpFormatter(prog, width=300, max_help_position=40)
    )
    load.add_arguments(parser)
    lines = parser.format_help().splitlines()
    line = next(line for line in lines if line.lstrip().startswith("--master-port "))
    assert line.split("  ")[-1] == (
        "port the master listens on (default: a free one, printed when it expects remote "
        "workers) or, with --master-host, joins (the port the master printed)"
    )


def test_a_master_port_on_a_standalone_run_is_refused() -> None:
    """A standalone run has no master: the port was ignored. (`--target sandbox` unset ends
    the old run before anything starts.)"""
    done = harness("load", "--master-port", "5601", "--target", "sandbox")
    refusal = "--master-port is for a distributed run: give --workers or --expect-workers too"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"g2a-harness load: {refusal}\n")


def test_list_profiles_shows_how_each_runs_on_the_target() -> None:
    """`--target sandbox` was ignored: the list showed the twin's crowds and throughput
    targets, and the fault profile the sandbox refuses to run."""
    done = harness("load", "--list-profiles", "--target", "sandbox")
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].strip() == "load profiles on sandbox"
    for name, profile in load_profiles().items():
        rows = [line for line in lines if f"│ {name} " in line]
        if profile.faults:
            assert rows == []
            continue
        polite = profile.for_target("sandbox")
        assert f"│ {polite.users} " in rows[0]
        assert polite.users <= 3 < profile.users
        assert f"throughput >= {polite.slos.min_throughput_rps:g} req/s" in done.stdout
    assert lines[-1] == "only on the twin (they inject faults): chaos"
    done = harness("load", "--list-profiles", "--target", "live")
    refusal = "g2a-harness load: load against the live G2A API is refused: use twin or sandbox\n"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", refusal)
