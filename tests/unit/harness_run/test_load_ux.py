"""`g2a-harness load` for performance testers: profiles listed, workers named, failures loud."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_support import harness

from harness.load.profiles import ProfileError, get_profile, load_profiles
from harness.load.report import worker_text
from harness.load.runner import LoadRun, _resolved, first_failure, remote_worker_recipe
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


def test_a_failed_worker_fails_the_run_even_when_others_pass() -> None:
    assert first_failure([0, 0]) == 0
    assert first_failure([0, 3, 1]) == 3
    assert first_failure([0, -9]) == -9  # killed by a signal is a failure too


def test_the_master_tells_remote_workers_what_they_need() -> None:
    run = LoadRun(get_profile("steady"), workers=2, expect_workers=6, bind_host="10.0.0.5")
    recipe = remote_worker_recipe(run, 5601)
    assert recipe.startswith("waiting for 4 remote worker(s) at 10.0.0.5:5601 (up to 90 s);")
    assert "same G2A_WEBHOOK_SECRET and G2A_LOAD_IDEMPOTENCY_URL exported" in recipe
    assert recipe.endswith(
        "  g2a-harness load --profile steady --workers N --master-host 10.0.0.5 --master-port 5601"
    )


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
