"""`g2a-harness run` / `record`: bad invocations end in one clear line, exit code 2."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.bdd.discovery import PYTEST_MARKS
from harness.checklist import RunResult
from harness.commands.run import CONTRACT_PATH, Selection, _nothing_matched, pytest_command
from harness.run_results import DESELECTED
from harness.targets import allowed_on

ROOT = Path(__file__).resolve().parents[3]
NO_G2A = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}


def _harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", *args],
        cwd=ROOT,
        env=env or NO_G2A,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env_extra", "line"),
    [
        (
            ("run", "--target", "moon"),
            {},
            "g2a-harness run: unknown target 'moon'; choose one of twin, sandbox, live",
        ),
        (
            ("run", "--target", "sandbox"),
            {},
            "g2a-harness run: target sandbox needs G2A_API_URL, G2A_API_HASH, G2A_API_KEY in the "
            "environment; missing: G2A_API_URL, G2A_API_HASH, G2A_API_KEY (the twin target "
            "needs none)",
        ),
        (
            ("run", "--target", "sandbox"),
            {
                "G2A_API_URL": "http://sandboxapi.g2a.com/v1",
                "G2A_API_HASH": "h" * 16,
                "G2A_API_KEY": "c" * 64,
            },
            "g2a-harness run: G2A_API_URL must use https (plain http only to a loopback host)",
        ),
        (
            ("run", "--target", "sandbox"),
            {
                "G2A_ENV": "live",  # the target decides: this was told to set what it had set
                "G2A_API_URL": "https://api.g2a.com/v1",
                "G2A_API_HASH": "h" * 16,
                "G2A_API_KEY": "c" * 64,
            },
            "g2a-harness run: target sandbox runs with G2A_ENV=sandbox, but G2A_API_URL is "
            "G2A's live host api.g2a.com (use --target live)",
        ),
        (
            ("run", "--suite", "medium"),
            {},
            "g2a-harness run: unknown suite 'medium'; choose one of full, smoke",
        ),
        (
            ("run", "--tags", "@smoke and"),
            {},
            "g2a-harness run: not a tag expression: '@smoke and' (e.g. '@smoke and not @webhooks')",
        ),
        (  # found by a QA walkthrough: it ran, and ended in "no test matched the selection"
            ("run", "--tags", "@smoke and not @anyio"),
            {},
            "g2a-harness run: not a tag in '@smoke and not @anyio': @anyio is a mark registered "
            "with pytest in this run (mark the (coroutine function) test to be run asynchronously "
            "via anyio.), which no tag expression can select",
        ),
        *(
            (
                ("run", "--max-time", seconds),
                {},
                "g2a-harness run: --max-time must be a positive number of seconds",
            )
            for seconds in ("0", "-5", "nan", "inf")
        ),
        (
            ("run", "--prometheus-url", "prometheus:9090"),
            {},
            "g2a-harness run: --prometheus-url must be an http(s) URL with a host, "
            "not 'prometheus:9090'",
        ),
        (
            ("run", "--prometheus-url", "https://ops:s3cret-pw@prometheus.example:99999"),
            {},
            "g2a-harness run: --prometheus-url 'https://<scrubbed>@prometheus.example:99999' "
            "is not a valid URL (Port out of range 0-65535)",
        ),
        (  # urllib would read `Pr0m` as the port, and its error would quote it
            ("run", "--prometheus-url", "https://admin:Pr0m#Pass@prom.example:9090"),
            {},
            "g2a-harness run: --prometheus-url 'https://<scrubbed>@prom.example:9090' is not a "
            "valid URL (percent-encode a `/`, `?`, `#` or `@` in its password: %2F, %3F, %23, "
            "%40)",
        ),
        (
            (
                "seller",
                "check",
                "--url",
                "https://g2a:S3ll3r/Pw@seller.example",
                "--product-id",
                "1",
            ),
            {},
            "g2a-harness seller: --url 'https://<scrubbed>@seller.example' is not a valid URL "
            "(percent-encode a `/`, `?`, `#` or `@` in its password: %2F, %3F, %23, %40)",
        ),
        (
            ("record", "--target", "live"),
            {},
            "g2a-harness record: cannot record from 'live'; choose one of twin, sandbox",
        ),
    ],
)
def test_bad_invocations_are_one_line(
    args: tuple[str, ...], env_extra: dict[str, str], line: str
) -> None:
    done = _harness(*args, env={**NO_G2A, **env_extra})
    assert done.returncode == 2
    assert done.stderr == line + "\n"
    assert "Traceback" not in done.stdout + done.stderr


def test_an_unreachable_host_is_one_line() -> None:
    # sandbox host name resolution is impossible offline: the reachability check refuses it
    env = {
        **NO_G2A,
        "G2A_API_URL": "https://sandboxapi.g2a.com/v1",
        "G2A_API_HASH": "h" * 16,
        "G2A_API_KEY": "c" * 64,
    }
    done = _harness("run", "--target", "sandbox", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("g2a-harness run: cannot reach sandboxapi.g2a.com:443 (")
    assert done.stderr.count("\n") == 1
    assert "k" * 64 not in done.stderr


def test_the_pytest_command_writes_every_report_and_selects_the_suite(tmp_path: Path) -> None:
    command = pytest_command(Selection("smoke", None, None), "sandbox", tmp_path)
    assert command[:3] == [sys.executable, "-m", "pytest"]
    assert "tests/bdd" in command
    assert f"--junitxml={tmp_path / 'junit.xml'}" in command
    assert f"--cucumberjson={tmp_path / 'cucumber.json'}" in command
    assert f"--g2a-results={tmp_path / 'results.jsonl'}" in command
    assert "--target=sandbox" in command
    # the plugin loads because the command asks for it, wherever it runs (no entry point)
    assert command[command.index("harness.bdd.plugin") - 1] == "-p"
    assert command[-2:] == ["-m", "(smoke)"]
    assert "-m" not in pytest_command(Selection("full", None, None), "twin", tmp_path)[3:]


@pytest.mark.parametrize(
    ("suite", "markers", "keyword", "contracts"),
    [
        ("full", None, None, True),
        ("full", None, "token", True),  # -k may name a contract test
        ("full", "not qa_wip", None, True),
        ("full", "qa or not wip", None, True),
        ("full", "qa_own", None, False),
        ("full", "qa and not wip", "token", False),
        ("smoke", None, None, False),
        ("smoke", "not webhooks", None, False),
    ],
)
def test_the_run_collects_the_contract_suite_only_when_its_tags_can_keep_an_untagged_test(
    tmp_path: Path, suite: str, markers: str | None, keyword: str | None, contracts: bool
) -> None:
    """The contract suite's tests carry no tag: a selection whose tags need one would only
    deselect them, after building every schemathesis case (seconds of each run)."""
    command = pytest_command(Selection(suite, markers, keyword), "twin", tmp_path)
    paths = [arg for arg in command if arg.startswith("tests/")]
    assert paths == ["tests/bdd", "tests/contract"] if contracts else ["tests/bdd"]


def test_no_contract_test_is_marked_with_what_a_tag_expression_can_name() -> None:
    """What lets a tagged run leave the contract suite out: none of its tests carries a mark
    that `--tags` can select (pytest's own marks are refused there as tags)."""
    marks = {
        node.attr
        for path in (ROOT / CONTRACT_PATH).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
    }
    assert marks, "no mark found: the scan reads nothing"
    assert marks <= set(PYTEST_MARKS)


def test_a_selection_becomes_pytest_options_and_its_own_report_folder() -> None:
    selection = Selection("smoke", "webhooks and not slow", "token")
    assert selection.pytest_args() == ["-m", "(smoke) and (webhooks and not slow)", "-k", "token"]
    assert selection.describe() == "smoke, tags webhooks and not slow, -k token"
    assert Selection("smoke", None, None).describe() == "smoke"
    assert selection.slug() == "smoke-tags-webhooks-and-not-slow-k-token"
    assert Selection("smoke", None, None).slug() == "smoke"
    assert Selection("full", None, None).slug() == "full"
    assert Selection("full", None, None).describe() == ""


def test_a_run_is_titled_after_its_suite_or_what_it_selected() -> None:
    assert Selection("full", None, None).title() == "full"
    assert Selection("smoke", None, None).title() == "smoke"
    assert Selection("full", "webhooks and not slow", None).title() == "tags webhooks and not slow"
    assert Selection("full", None, "token").title() == "-k token"
    assert Selection("smoke", "webhooks", "token").title() == "smoke, tags webhooks, -k token"


def test_a_selection_that_matches_nothing_fails(tmp_path: Path) -> None:
    done = _harness(
        "run", "--tags", "@qa-frist", "--report-dir", str(tmp_path), env=NO_G2A
    )  # a typo of @qa-first: no scenario carries it
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "g2a-harness run: no test matched the selection (tags qa-frist); no feature file is "
        "tagged @qa-frist; nothing was checked"
    )
    report = json.loads((tmp_path / "checklist.json").read_text())
    assert (report["passed"], report["pytest_exit_code"]) == (False, 5)


def test_a_tag_no_feature_file_carries_is_named_with_the_one_it_was_likely_meant_to_be(
    tmp_path: Path,
) -> None:
    """Found by a QA walkthrough: `--tags "@qa-frist and not @qa-wip"` over a folder of
    scenarios tagged @qa-first said only that no test matched. A tag ruled out is no typo."""
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "mine.feature").write_text(
        "@qa-first @twin\nFeature: Mine\n  Scenario: Listed\n"
        "    When QA lists the first page of products\n",
        encoding="utf-8",
    )
    done = _harness(
        "run", "--tags", "@qa-frist and not @qa-wip", "--features", str(tmp_path / "team"),
        "--report-dir", str(tmp_path / "reports"), env=NO_G2A,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "g2a-harness run: no test matched the selection (tags qa-frist and not qa-wip); no "
        "feature file is tagged @qa-frist (did you mean @qa-first?); nothing was checked"
    )


K_REFUSALS = {
    "price limit": "expected end of input; got identifier at column 7",
    # pytest reads it, then refuses it as it matches the first test: once the run has started
    "good(x=1)": "keyword expressions do not support call parameters at column 5",
    "good and (": "expected not OR left parenthesis OR identifier; got end of input at column 11",
}


@pytest.mark.parametrize(("keyword", "reason"), K_REFUSALS.items(), ids=K_REFUSALS.keys())
def test_a_k_expression_pytest_cannot_read_is_refused_before_the_run(
    tmp_path: Path, keyword: str, reason: str
) -> None:
    """As a bad `--tags` is: exit 2, one line with a hint, no report folder (pytest used to
    refuse it once the run had started, which wrote a FAILED report)."""
    reports = tmp_path / "reports"

    done = _harness("run", "-k", keyword, "--report-dir", str(reports), env=NO_G2A)

    assert (done.returncode, done.stderr) == (
        2,
        f"g2a-harness run: not a -k expression: {keyword!r} ({reason}); -k takes words of test "
        "names joined by and, or, not, as in -k 'price and limit', with _ for a space inside a "
        "name: -k 'price_limit'\n",
    )
    assert not reports.exists()


def test_a_run_whose_pytest_refuses_its_usage_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pytest that refuses its usage once it has collected (here a `-k` with call
    parameters, which `g2a-harness run` itself refuses before it starts one): the run shows
    pytest's `ERROR:` lines, not only its exit code. Tagged, so that pytest collects the
    scenarios alone, not the contract suite's schemathesis cases too (seconds of CPU)."""
    from harness.commands import run

    command = run.pytest_command
    monkeypatch.setattr(run, "pytest_command", lambda *a: [*command(*a), "-k", "good(x=1)"])
    selection = run.Selection("full", "twin", None)
    assert selection.paths() == [run.BDD_PATH]

    code = run._run_checklist(
        "twin", selection, tmp_path, dict(NO_G2A), None, {"target_url": ""}, lambda _: None
    )

    assert code == 1
    lines = capsys.readouterr().err.splitlines()  # pytest may add its summary ("no tests ran")
    assert lines[-1] == (
        f"g2a-harness run: pytest stopped with exit code 4; see {tmp_path / 'pytest.log'}"
    )
    assert "ERROR: Keyword expressions do not support call parameters." in lines


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir() if tasks.is_dir() else []:
        children = task / "children"
        if children.is_file():
            found.extend(int(child) for child in children.read_text().split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("stop_signal", "exit_code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],  # Ctrl-C; a cancelled CI job
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupted_run_stops_its_pytest_too(
    tmp_path: Path, stop_signal: signal.Signals, exit_code: int
) -> None:
    run = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--report-dir", str(tmp_path)],
        cwd=ROOT,
        env={**NO_G2A, "COLUMNS": "200"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "results.jsonl").exists():  # pytest is running its tests
            assert time.monotonic() < deadline
            time.sleep(0.1)
        pytest_children = _children(run.pid)
        assert pytest_children
        run.send_signal(stop_signal)  # to the harness alone
        assert run.wait(timeout=30) == exit_code
        for child in pytest_children:
            assert not Path(f"/proc/{child}").exists() or _zombie(child)
    finally:  # never leave a run behind, whatever failed
        for child in _children(run.pid):
            os.kill(child, signal.SIGKILL)
        run.kill()
        run.wait()


def _zombie(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.is_file() and "\nState:\tZ" in status.read_text()


def test_a_report_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = _harness("contracts", "drift", "--report-dir", str(blocker / "reports"), env=NO_G2A)
    assert done.returncode == 2  # the drift was found and shown, but could not be reported
    assert done.stderr.startswith("g2a-harness contracts: [Errno 20] Not a directory: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def _refused(*markers: str) -> RunResult:
    reason = allowed_on("sandbox", markers)[1]
    return RunResult("f::t", "F: S", "skipped", frozenset(markers), f"{DESELECTED}{reason}")


@pytest.mark.parametrize(
    ("results", "placed"),
    [
        ([_refused("qa", "sanbox")], "no target tag: twin only"),
        ([_refused("qa", "twin"), _refused("qa", "live")], "tagged for live; tagged for twin"),
        (
            [_refused("qa", "twn"), _refused("qa", "twin")],
            "no target tag: twin only; tagged for twin",
        ),
    ],
)
def test_a_selection_no_scenario_of_which_runs_on_the_target_says_where_they_run(
    results: list[RunResult], placed: str
) -> None:
    selection = Selection("full", "qa", None)

    message = _nothing_matched(selection, "sandbox", results, [])

    count = "1 scenario" if len(results) == 1 else f"{len(results)} scenarios"
    assert message == (
        f"the selection (tags qa) matched {count}, but none runs on sandbox ({placed}); "
        "nothing was checked"
    )


def test_the_run_masks_its_secrets_in_what_pytest_wrote_however_it_wrote_them(
    tmp_path: Path,
) -> None:
    from harness.commands.run import _mask_secrets

    secret = 'wh-s3cr&t<"x'
    written = {
        "pytest.log": f"E   secret = {secret!r}\n",
        "junit.xml": '<failure message="wh-s3cr&amp;t&lt;&quot;x">wh-s3cr&amp;t&lt;"x</failure>',
        "cucumber.json": json.dumps({"error_message": secret}),
        "results.jsonl": json.dumps({"message": f"got {secret}"}) + "\n",
    }
    for name, text in written.items():
        (tmp_path / name).write_text(text)
    _mask_secrets(tmp_path, [secret])
    assert {name: (tmp_path / name).read_text() for name in written} == {
        "pytest.log": "E   secret = '***'\n",
        "junit.xml": '<failure message="***">***</failure>',
        "cucumber.json": '{"error_message": "***"}',
        "results.jsonl": '{"message": "got ***"}\n',
    }


@pytest.mark.parametrize(
    ("variable", "redacted_vars"),
    [("G2A_API_KEY", {}), ("SHOP_TOKEN", {"G2A_REDACTED_VARS": "SHOP_*"})],
    ids=["adapter-variable", "variable-named-by-G2A_REDACTED_VARS"],
)
def test_an_interrupted_run_masks_its_secrets_in_what_pytest_wrote(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    redacted_vars: dict[str, str],
) -> None:
    """Ctrl-C stops the run and its pytest; the log pytest wrote so far is masked too."""
    from harness.commands import run

    secret = "apikey-SECRET-1234"
    script = f"print('api_key={secret}', flush=True); import time; time.sleep(30)"
    monkeypatch.setattr(run, "pytest_command", lambda *_: [sys.executable, "-c", script])

    def interrupted(process: subprocess.Popen[bytes], results: Path, max_time: object) -> bool:
        deadline = time.monotonic() + 15
        while secret not in (tmp_path / "pytest.log").read_text():
            assert time.monotonic() < deadline, "the fake pytest wrote nothing"
            time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_show_progress", interrupted)
    selection = run.Selection("full", None, None)
    env = {variable: secret, **redacted_vars}
    with pytest.raises(KeyboardInterrupt):
        run._run_checklist("sandbox", selection, tmp_path, env, None, {}, lambda _: None)
    assert (tmp_path / "pytest.log").read_text() == "api_key=***\n"
