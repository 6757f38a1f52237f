"""End to end: `g2a-harness load` runs Locust as subprocesses and judges the run.

Locust is never imported here (it patches the process with gevent); every run is a
subprocess of its own, with short run times from the command line.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from machine_support import require
from process_support import HAS_PROC, children

from harness.load.heartbeats import DEAF_LINE, LISTENING_LINE
from harness.ports import PORTS, free_port

ROOT = Path(__file__).resolve().parents[2]
# the console script's entry point (`python -m harness.cli` would load the CLI twice)
G2A_HARNESS = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]

pytestmark = pytest.mark.slow


def _load(report_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    command = [*G2A_HARNESS, "load", "--report-dir", str(report_dir), *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    environment.update(env or {})
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240
    )
    return done.returncode, done.stdout + done.stderr


def _verdict(report_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((report_dir / "load" / "load.json").read_text())
    return report


def _check(report: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    matches = [c for c in report[kind] if c["name"] == name]
    assert len(matches) == 1, f"{name} not in {[c['name'] for c in report[kind]]}"
    return matches[0]


def _assert_smoke_passed(report: dict[str, Any], output: str, workers: int) -> None:
    assert report["kind"] == "load"
    assert report["profile"] == "smoke"
    assert report["target"] == "twin"
    assert report["workers"] == workers
    assert report["generated_at"].endswith("Z")
    failed = [c for c in report["slos"] + report["invariants"] if not c["passed"]]
    assert report["passed"] is True, f"failed checks: {failed}\n{output[-3000:]}"
    assert {c["name"] for c in report["invariants"]} == {
        "no_double_payment",
        "webhooks_exactly_once",
        "forgeries_rejected",
    }
    ops = {op["name"]: op for op in report["operations"]}
    # every user class ran, through the adapter, and the business flows were exercised
    for name in ("products.list", "orders.purchase", "auth.token", "offers.list", "webhook.valid"):
        assert ops[name]["requests"] > 0, name
    assert report["totals"]["failures"] == 0
    assert report["evidence"]["purchases"] > 0
    assert report["evidence"]["tokens_issued"] > 0


def test_smoke_profile_passes_locally_with_every_artefact(tmp_path: Path) -> None:
    code, output = _load(tmp_path, "--profile", "smoke", "--run-time", "12s")

    assert code == 0, output[-3000:]
    report = _verdict(tmp_path)
    _assert_smoke_passed(report, output, workers=0)
    out = tmp_path / "load"
    for name in ("locust_stats.csv", "locust_failures.csv", "locust.html", "journal.json"):
        assert (out / name).stat().st_size > 0, name
    assert "load profile smoke on twin, 1 standalone process: PASSED" in output
    printed = output.split("reports:\n", 1)[1].split()
    assert printed[0] == str(out / "load.json")
    assert all(Path(path).is_file() for path in printed), printed
    assert {Path(p).name for p in printed} >= {"locust.html", "locust_stats.csv", "journal.json"}
    # the CSV counts what the verdict counted (Locust's own missed the run's last second)
    with (out / "locust_stats.csv").open(newline="") as rows:
        counted = {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(rows)}
    assert counted.pop("Aggregated") == report["totals"]["requests"]
    assert counted == {op["name"]: op["requests"] for op in report["operations"]}
    # its rates run from the test's start (when Locust reset its stats), as Locust's do
    test_started = json.loads((out / "journal.json").read_text())["test_started"]
    final = json.loads((out / "locust_stats.json").read_text())
    assert test_started < min(entry["start_time"] for entry in final)
    last = max(entry["last_request_timestamp"] for entry in final)
    with (out / "locust_stats.csv").open(newline="") as rows:
        aggregated = [row for row in csv.DictReader(rows) if row["Name"] == "Aggregated"]
    assert float(aggregated[0]["Requests/s"]) == report["totals"]["requests"] / (
        last - test_started
    )
    assert report["totals"]["throughput_rps"] == float(aggregated[0]["Requests/s"])  # one rate
    # what ran: headless, the whole crowd, the whole run time (first to last request)
    assert report["web"] is False
    assert report["measured"]["peak_users"] == 6
    assert 0.75 * 12 <= report["measured"]["duration_s"] <= 12 + 10  # --stop-timeout
    # the token-churn user outlived its 3 s tokens: the adapter refreshed them
    assert report["evidence"]["tokens_issued"] >= 3
    # the report carries no secret: neither the API key nor the webhook secret
    text = (out / "load.json").read_text()
    assert "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875" not in text
    # nor the keys its purchases were given: the run's own store lived for the run only
    assert not list(out.glob("idempotency.sqlite3*"))


def test_smoke_profile_passes_distributed_over_two_workers(tmp_path: Path) -> None:
    code, output = _load(tmp_path, "--profile", "smoke", "--run-time", "12s", "--workers", "2")

    assert code == 0, output[-3000:]
    report = _verdict(tmp_path)
    _assert_smoke_passed(report, output, workers=2)
    assert "load profile smoke on twin, master + 2 worker(s): PASSED" in output
    assert report["worker_exit_codes"] == [0, 0]
    journal = json.loads((tmp_path / "load" / "journal.json").read_text())
    # both workers shipped all their outcomes and stats to the master, the last ones included
    # (purchases in flight when the run ended, the users' on_stop counters)
    assert journal["gaps"] == []
    stats_purchases = sum(
        op["requests"] for op in report["operations"] if op["name"].startswith("orders.purchase")
    )
    purchases = [e for e in journal["entries"] if e.get("op") == "purchase"]
    assert len(purchases) == stats_purchases
    # ... so the journal knows every key the twin saw pay an order
    paid = _check(report, "invariants", "no_double_payment")["actual"]
    keys = {e["key"] for e in purchases if e.get("order_id")}
    assert paid.startswith(f"{len(keys)} keys paid {len(keys)} orders, 0 doubled"), paid


def test_chaos_profile_keeps_every_invariant_under_faults(tmp_path: Path) -> None:
    code, output = _load(tmp_path, "--profile", "chaos", "--run-time", "15s")

    report = _verdict(tmp_path)
    for name in ("no_double_payment", "webhooks_exactly_once", "forgeries_rejected"):
        check = _check(report, "invariants", name)
        assert check["passed"], f"{check}\n{output[-3000:]}"
    kinds = {f["kind"] for f in report["faults"]}
    assert kinds == {"status", "rate_limit", "reset", "latency"}
    # the faults were really hit and absorbed by the adapter's retries
    assert report["evidence"]["adapter_retries"] > 0
    assert code == (0 if report["passed"] else 1)


def test_breaking_idempotency_fails_the_verdict(tmp_path: Path) -> None:
    code, output = _load(
        tmp_path,
        "--profile", "smoke", "--run-time", "10s",
        env={"G2A_LOAD_BREAK_IDEMPOTENCY": "1"},
    )  # fmt: skip

    assert code == 1, output[-3000:]
    report = _verdict(tmp_path)
    assert report["passed"] is False
    check = _check(report, "invariants", "no_double_payment")
    assert check["passed"] is False
    # the twin's record: repeated purchases with one key paid several orders
    assert re.search(r"\b[1-9][0-9]* keys paid more than one order", check["detail"])
    assert re.search(r"'[0-9a-f]{32}: orders [0-9]+, [0-9]+", check["detail"])
    # the repeated purchases that bought a second order are business failures too
    repeats = next(op for op in report["operations"] if op["name"] == "orders.purchase[repeat]")
    assert repeats["failures"] > 0
    assert "FAIL" in output


def test_live_target_is_refused_before_anything_starts(tmp_path: Path) -> None:
    code, output = _load(tmp_path, "--profile", "smoke", "--target", "live")

    assert code == 2
    assert "live G2A API is refused" in output
    assert not (tmp_path / "load" / "load.json").exists()


def test_sandbox_target_refuses_fault_injection(tmp_path: Path) -> None:
    code, output = _load(tmp_path, "--profile", "chaos", "--target", "sandbox")

    assert code == 2
    assert "sandbox target refuses fault injection" in output


def test_a_sandbox_that_refuses_the_credentials_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    """`run` and `record` ask the sandbox for a token first; `load` only checked that the host
    accepted connections, then ran the whole profile, every call refused, against the shared
    sandbox. The sandbox here is a twin on loopback: nothing reaches G2A."""
    from harness.serving import serve_asgi
    from harness.twin.app import create_app
    from harness.twin.config import TwinConfig
    from harness.twin.credentials import SANDBOX_API_HASH

    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "load.json").write_text("{}")  # the previous run's, kept
    wrong_key = "e" * 64
    with serve_asgi(create_app(TwinConfig.fast())) as twin_url:
        env = {"G2A_API_URL": f"{twin_url}/v1", "G2A_API_HASH": SANDBOX_API_HASH}
        args = ["--target", "sandbox", "--run-time", "4s"]
        code, output = _load(tmp_path, *args, env={**env, "G2A_API_KEY": wrong_key})

    assert code == 2, output[-3000:]
    assert f"sandbox target {twin_url} refused the probe's credentials" in output
    assert wrong_key not in output
    assert (tmp_path / "load" / "load.json").read_text() == "{}"


def test_a_worker_started_like_on_another_machine_joins_the_master(tmp_path: Path) -> None:
    """The documented two-machine command lines, here both on loopback."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    env["G2A_WEBHOOK_SECRET"] = "shared-load-secret-for-both-machines"
    remote_log = (tmp_path / "remote-worker.log").open("wb")
    remote = subprocess.Popen(
        [*G2A_HARNESS, "load", "--master-host", "127.0.0.1", "--master-port", str(port)],
        cwd=ROOT, env=env, stdout=remote_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        code, output = _load(
            tmp_path,
            "--profile", "smoke", "--run-time", "8s",
            "--workers", "1", "--expect-workers", "2", "--master-port", str(port),
            env={"G2A_WEBHOOK_SECRET": env["G2A_WEBHOOK_SECRET"]},
        )  # fmt: skip
        remote_code = remote.wait(timeout=60)
    finally:
        if remote.poll() is None:
            remote.kill()
            remote.wait()
        remote_log.close()

    remote_output = (tmp_path / "remote-worker.log").read_text()[-2000:]
    assert code == 0, output[-3000:] + remote_output
    assert remote_code == 0, remote_output
    report = _verdict(tmp_path)
    assert report["passed"] is True
    assert report["workers"] == 1
    assert report["expected_workers"] == 2


def test_web_mode_serves_locust_s_ui_running_the_profile_then_prints_the_verdict(
    tmp_path: Path,
) -> None:
    with _web_run(tmp_path, "6s") as (process, ui):
        assert process.stdout is not None
        page = _first_answer(ui)
        assert page.status_code == 200
        assert "locust" in page.text.lower()
        rest = process.stdout.read()
        assert process.wait(timeout=240) == 0, rest[-3000:]
    assert "load profile smoke on twin, 1 standalone process: PASSED" in rest
    assert _verdict(tmp_path)["passed"] is True
    assert _verdict(tmp_path)["web"] is True  # the gate refuses it: the operator ran the crowd


@pytest.mark.parametrize(
    "env", [{}, {"LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP": "3"}],
    ids=["locust-default", "3s-more"],
)  # fmt: skip
def test_web_mode_over_workers_ends_with_every_worker_clean(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """At --run-time a web run's master stops the test (Locust's `stop` to each worker, which
    then ignores its master for --stop-timeout plus LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_
    AFTER_STOP): its workers did not take that for silence, and the master's quit reached them.

    Before, the master quit --autoquit (= --stop-timeout) after the stop and told only the
    workers ready again: with 3 s more, none was; it exited 1 once its master went silent."""
    code, output = _load(
        tmp_path, "--web", "--workers", "1", "--profile", "smoke", "--run-time", "6s",
        env=env,
    )  # fmt: skip

    assert code == 0, output[-3000:]
    assert "load profile smoke on twin, master + 1 worker(s): PASSED" in output
    assert _verdict(tmp_path)["worker_exit_codes"] == [0]
    log = (tmp_path / "load" / "locust.log").read_text()
    assert "went silent" not in log
    # said for the worker-only command alone: before, local workers' lines landed in the log
    assert DEAF_LINE not in log
    assert LISTENING_LINE not in log


def test_web_mode_ends_with_a_remote_worker_clean_whose_stop_sequence_outlasts_the_master(
    tmp_path: Path,
) -> None:
    """A remote worker's stop sequence (--stop-timeout plus its own LOCUST_WORKER_ADDITIONAL_
    WAIT_BEFORE_READY_AFTER_STOP, 8 s) outlasts the web run's master (--autoquit 10 s after the
    stop): the master's quit waits in the worker's socket, and the worker's command lets it read
    it rather than take the closed port for a master gone.

    Before, the command stopped its worker 5 s after the master's port closed, and exited 1."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    env["G2A_WEBHOOK_SECRET"] = "shared-load-secret-for-both-machines"
    remote_env = {**env, "LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP": "8"}
    remote = subprocess.Popen(
        [*G2A_HARNESS, "load", "--master-host", "127.0.0.1", "--master-port", str(port)],
        cwd=ROOT, env=remote_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        code, output = _load(
            tmp_path, "--web", "--profile", "smoke", "--run-time", "6s",
            "--expect-workers", "1", "--master-port", str(port),
            env={"G2A_WEBHOOK_SECRET": env["G2A_WEBHOOK_SECRET"]},
        )  # fmt: skip
        remote_output, _ = remote.communicate(timeout=120)
    finally:
        if remote.poll() is None:
            remote.kill()
            remote.wait()

    assert code == 0, output[-3000:]
    assert remote.returncode == 0, remote_output[-3000:]
    assert "is gone" not in remote_output
    assert "went silent" not in remote_output


def test_after_a_web_stop_and_start_the_evidence_is_the_last_test_s_the_invariants_both(
    tmp_path: Path,
) -> None:
    """Locust resets its statistics at each Start: the evidence the report shows is the test
    the statistics count (each purchase and each webhook post is one request and one journal
    entry), while the invariants judge both tests' journal entries, and the report says what
    covers what.

    Before, a Start emptied the journal: what the first test did was judged by no invariant."""
    import httpx

    with _web_run(tmp_path, "25s") as (process, ui):
        assert process.stdout is not None
        _wait_for_requests(ui, "orders.purchase")  # the first test bought
        assert httpx.post(ui + "stop", timeout=30).status_code == 200
        _wait_for_state(ui, "stopped")
        started = httpx.post(
            ui + "swarm", data={"user_count": "5", "spawn_rate": "5"}, timeout=30
        )  # a smaller crowd than the first test's 6
        assert started.json()["success"] is True, started.text
        rest = process.stdout.read()  # --run-time stops the second test, then Locust quits
        assert process.wait(timeout=240) == 0, rest[-3000:]

    report = _verdict(tmp_path)
    requests = {op["name"]: op["requests"] for op in report["operations"]}
    purchases = sum(n for name, n in requests.items() if name.startswith("orders.purchase"))
    posts = sum(n for name, n in requests.items() if name.startswith("webhook."))
    assert purchases > 0
    assert report["evidence"]["purchases"] == purchases
    assert report["evidence"]["webhook_deliveries"] == posts
    assert report["measured"]["tests"] == 2
    assert report["measured"]["peak_users"] == 5  # the second test's crowd, not the first's
    journal = json.loads((tmp_path / "load" / "journal.json").read_text())
    first = [e for e in journal["entries"] if e["period"] == 1 and e.get("op") == "purchase"]
    assert first, "the first test's purchases are in the journal"
    keys = {e["key"] for e in journal["entries"] if e.get("op") == "purchase" and e["order_id"]}
    paid = _check(report, "invariants", "no_double_payment")["actual"]
    assert paid.startswith(f"{len(keys)} keys paid {len(keys)} orders, 0 doubled"), paid
    assert report["notes"] == [
        "the run held 2 tests (Start after Stop in the web UI): Locust's statistics, the SLOs, "
        "`measured` and the journal's evidence counts are of the last period, from Locust's "
        "last reset of its statistics (a Start or Reset Stats); the invariants judge the "
        "journal entries of the whole run, as the twin's orders and the receiver's record span "
        "it, and a journal gap of any test fails `run completed`"
    ]
    assert "the run held 2 tests" in rest


def test_after_a_web_reset_stats_the_evidence_restarts_with_the_statistics(
    tmp_path: Path,
) -> None:
    """The web UI's Reset Stats resets Locust's statistics mid-test: the evidence counts
    restart with them, the journal keeps every entry for the invariants, and a note says so.

    Before, the evidence counted the whole test against statistics of its end, unnoted."""
    import httpx

    with _web_run(tmp_path, "20s") as (process, ui):
        assert process.stdout is not None
        _wait_for_requests(ui, "orders.purchase")  # the users bought before the reset
        assert httpx.post(ui + "stats/reset", timeout=30).text == "ok"
        rest = process.stdout.read()
        assert process.wait(timeout=240) == 0, rest[-3000:]

    report = _verdict(tmp_path)
    requests = {op["name"]: op["requests"] for op in report["operations"]}
    purchases = sum(n for name, n in requests.items() if name.startswith("orders.purchase"))
    posts = sum(n for name, n in requests.items() if name.startswith("webhook."))
    assert report["evidence"]["purchases"] == purchases
    assert report["evidence"]["webhook_deliveries"] == posts
    assert (report["measured"]["tests"], report["measured"]["stats_resets"]) == (1, 1)
    journal = json.loads((tmp_path / "load" / "journal.json").read_text())
    assert [e for e in journal["entries"] if e["period"] == 1], "entries before the reset kept"
    assert report["notes"] == [
        "the run saw 1 Reset Stats in the web UI: Locust's statistics, the SLOs, `measured` "
        "and the journal's evidence counts are of the last period, from Locust's last reset "
        "of its statistics (a Start or Reset Stats); the invariants judge the journal entries "
        "of the whole run, as the twin's orders and the receiver's record span it, and a "
        "journal gap of any test fails `run completed`; `evidence.tokens_issued` and "
        "`evidence.adapter_retries` do not restart at a Reset Stats: each user reports them "
        "once, as it stops, counting its whole life, before the reset too"
    ]


@contextlib.contextmanager
def _web_run(tmp_path: Path, run_time: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`g2a-harness load --web` of the smoke profile for `run_time`, without the machine's G2A_
    settings: the process, once it printed its web UI's address, and that address."""
    command = [*G2A_HARNESS, "load", "--report-dir", str(tmp_path), "--web"]
    command += ["--profile", "smoke", "--run-time", run_time]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    with subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        ui = re.search(r"Locust web UI at (http://\S+:(\d+)/) running profile smoke", first)
        assert ui, first
        assert int(ui.group(2)) in PORTS  # never one port 0 could hand another server
        yield process, ui.group(1)


def _wait_for_stats(
    url: str, shown: Callable[[dict[str, Any]], bool], what: str, timeout_s: float = 60
) -> None:
    """Until the statistics of Locust's web UI at `url` show `what` (`shown` says so); the UI
    listens a moment after the run printed its address."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if shown(httpx.get(url + "stats/requests", timeout=10).json()):
                return
        time.sleep(0.5)
    raise AssertionError(f"Locust's web UI showed no {what} within {timeout_s} s")


def _wait_for_state(url: str, state: str) -> None:
    """Until Locust's web UI says its runner is in `state`."""
    _wait_for_stats(url, lambda stats: stats["state"] == state, f"runner {state}")


def _wait_for_requests(url: str, name: str) -> None:
    """Until Locust's web UI counts a finished `name` request of the current test."""

    def counted(stats: dict[str, Any]) -> bool:
        return any(row["name"] == name and row["num_requests"] > 0 for row in stats["stats"])

    _wait_for_stats(url, counted, f"{name} request")


def _first_answer(url: str) -> Any:
    """GET `url` once the server listens (Locust starts a moment after printing its URL)."""
    import httpx

    for _ in range(100):
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_a_remote_worker_that_quits_cleanly_mid_run_fails_the_run(tmp_path: Path) -> None:
    require(HAS_PROC, "this platform has no Linux /proc to find the worker")
    """Locust's master carries on when a worker says it quits (its operator pressed Ctrl-C, say)
    and exits 0: the run made by fewer workers than it was started with is not a pass."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    env["G2A_WEBHOOK_SECRET"] = "shared-load-secret-for-both-machines"
    remote = subprocess.Popen(
        [*G2A_HARNESS, "load", "--master-host", "127.0.0.1", "--master-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    master = subprocess.Popen(
        [
            *G2A_HARNESS, "load", "--report-dir", str(tmp_path),
            "--profile", "smoke", "--run-time", "20s",
            "--workers", "1", "--expect-workers", "2", "--master-port", str(port),
        ],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _wait_for_users(tmp_path / "load" / "locust_stats_history.csv")
        for worker in children(remote.pid):  # the remote Locust worker quits cleanly
            os.kill(worker, signal.SIGINT)
        output, _ = master.communicate(timeout=120)
    finally:
        for process in (remote, master):
            if process.poll() is None:
                process.kill()
                process.wait()

    assert master.returncode == 1, output[-3000:]
    completed = _check(_verdict(tmp_path), "slos", "run completed")
    assert completed["passed"] is False
    assert re.search(r"worker \S+: left before the run ended", completed["detail"]), completed


def _wait_for_users(history: Path, timeout_s: float = 120) -> None:
    """Until Locust's stats history shows users running: the run is under way."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = history.read_text().splitlines()[1:] if history.exists() else []
        if any(int(row.split(",")[1]) > 0 for row in rows):
            return
        time.sleep(0.5)
    raise AssertionError(f"no user ran within {timeout_s} s")


def test_a_sandbox_run_says_it_capped_the_users_and_its_report_keeps_it(tmp_path: Path) -> None:
    """`--users 5` on the sandbox ran 3 users without a word. The sandbox here is a twin on
    loopback, named by the sandbox's settings: nothing reaches G2A."""
    from harness.serving import serve_asgi
    from harness.twin.app import create_app
    from harness.twin.config import TwinConfig
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    with serve_asgi(create_app(TwinConfig.fast())) as twin_url:
        env = {"G2A_API_URL": f"{twin_url}/v1", "G2A_API_HASH": SANDBOX_API_HASH}
        args = ["--target", "sandbox", "--users", "5", "--run-time", "4s"]
        _, output = _load(tmp_path, *args, env={**env, "G2A_API_KEY": SANDBOX_API_KEY})

    capped = [
        "5 users capped to 3 on the sandbox (sandbox.max_users 3 of profile smoke)",
        "a spawn rate of 6/s capped to 1/s on the sandbox (sandbox.max_spawn_rate 1 of profile "
        "smoke)",
        "waits of 0.05-0.3 s between tasks raised to 1-1 s on the sandbox (sandbox.min_wait 1 "
        "of profile smoke)",
    ]
    lines = output.splitlines()
    assert [f"g2a-harness load: {note}" in lines for note in capped] == [True] * 3, output
    report = _verdict(tmp_path)
    assert (report["users"], report["notes"][:3]) == (3, capped)
