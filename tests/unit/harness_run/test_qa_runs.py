"""QA's path through `g2a-harness run`: new feature files, tags, reasons, a stalled target.

Each test runs the real command against the embedded twin (or a silent loopback listener).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from qa_support import NO_G2A, ROOT, harness, scenario_outcomes

QA_FEATURE = """\
@qa-mine @twin @chk-test-int-order-create
Feature: QA's stock checks
  Scenario: An out-of-stock product cannot be ordered
    Given the adapter is connected to the target
    And product 10000068865001 is out of stock
    When QA orders product 10000068865001
    Then the call fails with a G2A API error with code ORD07

  Scenario: A wrong expectation shows expected and actual
    Given the adapter is connected to the target
    And product 10000068865001 is out of stock
    When QA orders product 10000068865001
    Then the call fails with a G2A API error with code ORD99
"""
TYPO = """
  Scenario: A typo in a step
    Given the adapter is connected to the target
    And product 10000068865001 is out of stok
"""


def _results(reports: Path) -> list[dict[str, Any]]:
    lines = (reports / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "test"]


def test_a_tagged_copy_of_a_feature_runs_alone_and_passes(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    original = (ROOT / "features" / "health.feature").read_text(encoding="utf-8")
    (team / "health_copy.feature").write_text("@qa-copy " + original, encoding="utf-8")
    reports = tmp_path / "reports"
    done = harness(
        "run", "--tags", "@qa-copy", "--features", str(team), "--report-dir", str(reports)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((reports / "checklist.json").read_text())
    ran = _results(reports)
    assert len(ran) == original.count("\n  Scenario") == report["tests"]["passed"]
    assert {r["name"].split(": ", 1)[0] for r in ran} == {"Health of the integration"}
    assert report["selection"] == "tags qa-copy"  # as the title: it read "tags (qa-copy)"
    not_run = next(item for item in report["items"] if item["status"] == "not run")
    assert not_run["evidence"] == ["not run: outside the selection tags qa-copy"]
    statuses = [item["status"] for item in report["items"]]
    assert "failed" not in statuses
    assert statuses.count("not run") > 10
    assert "PASSED" in done.stdout


@pytest.fixture(scope="module")
def qa_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One run of a QA feature: a pass and a wrong expectation."""
    root = tmp_path_factory.mktemp("qa")
    (root / "team").mkdir()
    (root / "team" / "qa_mine.feature").write_text(QA_FEATURE, encoding="utf-8")
    reports = root / "reports"
    done = harness(
        "run",
        "--tags",
        "qa-mine",
        "--features",
        str(root / "team"),
        "--report-dir",
        str(reports),
    )
    return done, reports


def test_each_failing_scenario_shows_its_step_error_and_log_once(qa_run: tuple[Any, Path]) -> None:
    done, reports = qa_run
    assert done.returncode == 1
    screen = done.stdout
    log = f"  log:   {reports / 'pytest.log'}"
    feature = reports.parent / "team" / "qa_mine.feature"
    expected = (
        "FAILED QA's stock checks: A wrong expectation shows expected and actual\n"
        f"  where: {feature}:9\n"  # found by a QA walkthrough: the file was not named
        "  step:  Then the call fails with a G2A API error with code ORD99\n"
        "  error: expected code ORD99, got ORD07 (HTTP 400): Product is out of stock\n" + log
    )
    assert expected in screen
    reasons = [line for line in screen.splitlines() if line.startswith("FAILED ")]
    assert reasons == ["FAILED QA's stock checks: A wrong expectation shows expected and actual"]
    assert screen.count(log) == 1
    assert "FAILED: 0 passed, 1 failed, 3 skipped, 27 not run;" in screen


def test_a_tagged_run_shows_the_items_it_ran_and_counts_those_it_left_out(
    qa_run: tuple[Any, Path],
) -> None:
    """Found by a QA walkthrough: a selection's run printed every item it did not run, about
    120 lines, before its summary, and the three only the gate or the sandbox prove as skipped
    rows, read as work missing. checklist.md still lists them all."""
    done, reports = qa_run
    rows = [line for line in done.stdout.splitlines() if line.startswith("│ ")]
    statuses = {row.split("│")[1].strip() for row in rows} - {""}
    assert statuses == {"failed"}
    printed = " ".join(done.stdout.split())
    assert (
        "27 checklist item(s) not run: outside the selection (tags qa-mine); checklist.md lists "
        "them" in printed
    )
    assert (
        "3 checklist item(s) proven elsewhere, not by a run on twin: handoff-green, "
        "handoff-live-switch (by g2a-harness gate); handoff-sandbox-smoke (by a run on sandbox "
        "against sandboxapi.g2a.com)" in printed
    )
    report = json.loads((reports / "checklist.json").read_text(encoding="utf-8"))
    assert [item["status"] for item in report["items"]].count("not run") == 27
    markdown = (reports / "checklist.md").read_text(encoding="utf-8")
    assert all(f"`{item['id']}`" in markdown for item in report["items"])


def test_a_tagged_run_is_titled_after_its_selection(qa_run: tuple[Any, Path]) -> None:
    """Not "(full)": the run checked only the scenarios its tags selected."""
    done, reports = qa_run
    assert "Handoff checklist on twin (tags qa-mine)" in done.stdout
    assert "(full)" not in done.stdout
    markdown = (reports / "checklist.md").read_text(encoding="utf-8").splitlines()
    assert markdown[2] == "- target: **twin**, run: **tags qa-mine**"
    report = json.loads((reports / "checklist.json").read_text(encoding="utf-8"))
    assert (report["suite"], report["title"]) == ("full", "tags qa-mine")


def test_an_unknown_step_stops_the_run_naming_line_text_and_did_you_mean(tmp_path: Path) -> None:
    """Before pytest starts, as `g2a-harness steps --check` says it (a run with pytest itself
    fails the scenario with the same message)."""
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "qa_mine.feature").write_text(QA_FEATURE + TYPO, encoding="utf-8")
    reports = tmp_path / "reports"

    done = harness(
        "run", "--tags", "qa-mine", "--features", str(tmp_path / "team"),
        "--report-dir", str(reports),
    )  # fmt: skip

    assert done.returncode == 2
    message, refusal = done.stderr.splitlines()
    assert message.endswith(
        'qa_mine.feature:17: unknown step "And product 10000068865001 is out of stok"; '
        'did you mean "Given product 10000068865001 is out of stock"; '
        '"Given product 10000068865001 has 5 keys in stock"; '
        '"Then product 10000027819004 has at most 500 keys in stock"? '
        "(g2a-harness steps --grep WORD lists the catalogue)"
    )
    checked = harness("steps", "--check", str(tmp_path / "team"))
    assert checked.stdout.splitlines()[0] == message
    assert refusal.endswith("nothing ran")
    assert not (reports / "pytest.log").exists()


class _Page(HTMLParser):
    """The parts of checklist.html a QA lead reads: items, scenarios, step rows, errors."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.facts: dict[str, str] = {}
        self.assets: list[str] = []
        self._text: list[str] = []
        self._cells: list[str] = []
        self.current: dict[str, Any] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag in {"script", "link", "img"} or "src" in attributes or "href" in attributes:
            self.assets.append(tag)
        self.stack.append((tag, attributes))
        self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text).strip()
        classes = {c for _, a in self.stack for c in a.get("class", "").split()}
        if tag == "code" and "item" in classes and "scenario" not in classes:
            self.current = self.items.setdefault(text, {"scenarios": [], "steps": [], "errors": []})
        elif tag == "summary" and "scenario" in classes:
            self.current["scenarios"].append(text)
        elif tag in {"td", "th"}:
            self._cells.append(text)
        elif tag == "tr" and "scenario" in classes:
            self.current["steps"].append(" | ".join(self._cells))
        elif tag == "tr" and "facts" in classes:
            self.facts[self._cells[0]] = self._cells[1]
        elif tag == "div" and "error" in classes:
            self.current["errors"].append(text)
        if tag == "tr":
            self._cells = []
        self.stack.pop()
        if tag not in {"code", "span"}:
            self._text = []


def test_the_html_report_shows_items_scenarios_steps_and_errors(qa_run: tuple[Any, Path]) -> None:
    _, reports = qa_run
    page = _Page()
    text = (reports / "checklist.html").read_text(encoding="utf-8")
    page.feed(text)
    assert page.assets == []
    assert text.count('<details class="item"') == len(page.items) > 20
    assert page.facts["target"] == "twin"
    assert page.facts["host"] == socket.gethostname()
    assert len(page.facts["commit"]) == 40
    assert page.facts["target URL"].startswith("http://127.0.0.1:")
    item = page.items["test-int-order-create"]
    assert len(item["scenarios"]) == 2
    assert any("failed" in s and "A wrong expectation" in s for s in item["scenarios"])
    assert any(s.startswith("passed") and "out-of-stock product" in s for s in item["scenarios"])
    assert any(
        "Then the call fails with a G2A API error with code ORD07" in s for s in item["steps"]
    )
    assert all(s.endswith(" s") for s in item["steps"] if s[:6] in {"passed", "failed"})
    assert (
        "Then the call fails with a G2A API error with code ORD99: expected code ORD99, "
        "got ORD07 (HTTP 400): Product is out of stock"
    ) in item["errors"]
    cucumber = json.loads((reports / "cucumber.json").read_text())
    steps = sum(len(e["steps"]) for f in cucumber for e in f["elements"])
    assert steps == len(item["steps"]) - 2  # one header row per scenario table


@pytest.fixture
def silent_host() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_stalled_sandbox_ends_the_run_fast_in_one_line(silent_host: int, tmp_path: Path) -> None:
    env = {
        "G2A_API_URL": f"http://127.0.0.1:{silent_host}",
        "G2A_API_HASH": "h" * 16,
        "G2A_API_KEY": "c" * 64,
        "G2A_TIMEOUT_MS": "2000",
    }
    started = time.monotonic()
    done = harness("run", "--target", "sandbox", "--report-dir", str(tmp_path), env=env)
    elapsed = time.monotonic() - started
    assert elapsed < 30
    assert done.returncode == 1
    assert re.fullmatch(
        rf"g2a-harness run: sandbox target http://127\.0\.0\.1:{silent_host} did not answer "
        r"an authenticated token request within G2A_TIMEOUT_MS=2000 ms "
        r"\(waited \d+\.\d s: POST /oauth/token: read_timeout\); no suite ran\n",
        done.stderr,
    ), done.stderr
    assert "read_timeout" in done.stderr
    assert "k" * 64 not in done.stdout + done.stderr
    assert not (tmp_path / "checklist.json").exists()


def test_max_time_stops_a_long_run_and_reports_what_ran(tmp_path: Path) -> None:
    done = harness("run", "--max-time", "4", "--report-dir", str(tmp_path))
    assert done.returncode == 1
    assert re.search(
        rf"g2a-harness run: stopped after --max-time 4 s; \d+ test\(s\) ran, \d+ not run, see "
        rf"{re.escape(str(tmp_path / 'pytest.log'))}\n$",
        done.stderr,
    ), done.stderr
    report = json.loads((tmp_path / "checklist.json").read_text())
    assert report["stopped_after_max_time"] == 4
    assert report["passed"] is False
    assert report["duration_seconds"] < 30
    # found by a QA walkthrough: the items it never reached read "skipped: no evidence ran"
    dashboards = next(i for i in report["items"] if i["id"] == "handoff-dashboards")
    assert (dashboards["status"], dashboards["evidence"]) == (
        "not run",
        ["not run dashboards [prometheus:dashboards]: not reached (the run stopped after "
         "--max-time 4 s)"],
    )  # fmt: skip
    assert not [e for i in report["items"] for e in i["evidence"] if "no evidence ran" in e]


SLOW_FEATURE = """\
@qa-slow @twin
Feature: QA's long run
  Scenario: A quick one
    Given the adapter is connected to the target
    When QA lists the first page of products
    Then every product has an id, a name, a stock quantity and a price

  Scenario: A slow one
    Given the adapter times out after 600000 milliseconds
    And the twin delays the next product list request by 60000 milliseconds
    When QA lists the first page of products

  Scenario: One never reached
    Given the adapter is connected to the target
    When QA lists the first page of products
"""


def test_max_time_writes_the_reports_of_what_ran_and_names_the_rest_not_run(
    tmp_path: Path,
) -> None:
    """Found by a QA walkthrough: a run stopped by --max-time left no junit.xml or
    cucumber.json, and its scenarios not reached were missing from every report."""
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "slow.feature").write_text(SLOW_FEATURE, encoding="utf-8")
    reports = tmp_path / "reports"
    done = harness(
        "run", "--tags", "@qa-slow", "--features", str(tmp_path / "team"),
        "--max-time", "15", "--report-dir", str(reports),
    )  # fmt: skip
    assert done.returncode == 1
    # the twin's answer the run cut short printed uvicorn's errors and a traceback after it
    assert done.stderr.endswith(
        "g2a-harness run: stopped after --max-time 15 s; 1 test(s) ran, 2 not run, see "
        f"{reports / 'pytest.log'}\n"
    ), done.stderr
    # found by a QA review: pytest wrote the test it cut short as an empty `<testcase />`,
    # which a CI dashboard importing junit shows as a test that passed
    junit = ElementTree.parse(reports / "junit.xml")  # noqa: S314 - the run's own file
    suite = junit.getroot().find("testsuite")
    assert suite is not None
    cases = [
        (case.get("name"), [(s.tag, s.get("message"), s.text) for s in case])
        for case in suite.iter("testcase")
    ]
    assert cases == [
        ("test_a_quick_one", []),
        ("test_a_slow_one", [
            ("skipped", "not run: cut short (the run stopped after --max-time 15 s)",
             f"{tmp_path / 'team' / 'slow.feature'}:8: not run: cut short (the run stopped after "
             "--max-time 15 s)"),
        ]),
    ]  # fmt: skip
    assert (suite.get("tests"), suite.get("skipped")) == ("2", "1")
    cucumber = json.loads((reports / "cucumber.json").read_text(encoding="utf-8"))
    assert [e["name"] for f in cucumber for e in f["elements"]] == ["A quick one"]
    assert [(r["name"], r["outcome"], r["message"]) for r in _results(reports)] == [
        ("QA's long run: A quick one", "passed", ""),
        ("QA's long run: A slow one", "not run", "cut short"),
        ("QA's long run: One never reached", "not run", "not reached"),
    ]
    report = json.loads((reports / "checklist.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["status"], r["reason"]) for r in report["other_scenarios"]] == [
        ("A quick one", "passed", ""),
        ("A slow one", "not run", "cut short (the run stopped after --max-time 15 s)"),
        ("One never reached", "not run", "not reached (the run stopped after --max-time 15 s)"),
    ]
    assert (
        "FAILED: other scenarios: 2 not run, 1 passed; checklist items: 0 passed, 0 failed, "
        "3 skipped, 28 not run;" in " ".join(done.stdout.split())
    )


def test_a_sandbox_run_records_the_url_its_scenarios_called(tmp_path: Path) -> None:
    """A `G2A_TWIN_URL` left in the environment names no host of a sandbox run: its envelope
    names the G2A_API_URL the scenarios called (here a twin on loopback, which the gate then
    refuses as sandbox evidence)."""
    from harness.twin.config import TwinConfig
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
    from harness.twin.server import running_twin

    with running_twin(TwinConfig.fast()) as twin:
        env = {
            "G2A_API_URL": twin.export_url,
            "G2A_API_HASH": SANDBOX_API_HASH,
            "G2A_API_KEY": SANDBOX_API_KEY,
            "G2A_TWIN_URL": "https://sandboxapi.g2a.com/v1",
        }
        done = harness(
            "run", "--target", "sandbox", "--tags", "chk-test-int-token",
            "--report-dir", str(tmp_path), env=env,
        )  # fmt: skip
        called = {(r["method"], r["path"]) for r in twin.admin.requests()}
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("POST", "/oauth/token") in called
    envelope = json.loads((tmp_path / "checklist.json").read_text())["envelope"]
    assert (envelope["target"], envelope["base_url"]) == ("sandbox", twin.export_url)
    assert envelope["host"] == "127.0.0.1"


# A step of no library: the adapter's settings as no step of the harness's can set them any more
# (`steps --check` and `run` refuse a timeout `Settings` would), so that building the client
# fails inside `Settings`, whose frames hold the API key.
REFUSED_SETTINGS_STEP = """\
from pytest_bdd import given

@given("the adapter is given a timeout its settings refuse")
def refused_timeout(g2a_world):
    g2a_world.override("timeout_ms", 700000)
"""


def test_no_report_of_a_run_shows_the_api_key_a_failing_step_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A step whose adapter settings are refused fails with a traceback: pytest showed the
    arguments of each frame, the settings' values with the API key among them, in
    pytest.log, junit.xml and cucumber.json. The run's pytest is started as `run` starts it,
    past its check (which knows the harness's steps only), with a step of a plugin of its own."""
    from harness.commands import run
    from harness.twin.config import TwinConfig
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
    from harness.twin.server import running_twin

    features = tmp_path / "features"
    features.mkdir()
    (features / "refused.feature").write_text(
        "@sandbox\nFeature: refused settings\n  Scenario: a timeout the adapter refuses\n"
        "    Given the adapter is given a timeout its settings refuse\n"
        "    When QA lists page 1 of products, out-of-stock ones included\n"
    )
    (tmp_path / "refusing_settings.py").write_text(REFUSED_SETTINGS_STEP)
    reports = tmp_path / "reports"
    selection = run.Selection("full", None, "adapter_refuses")
    with running_twin(TwinConfig.fast()) as twin:
        env = {**NO_G2A, "G2A_API_URL": twin.export_url, "G2A_API_HASH": SANDBOX_API_HASH,
               "G2A_API_KEY": SANDBOX_API_KEY, "G2A_TARGET": "sandbox",
               "G2A_FEATURES": str(features), "PYTHONPATH": str(tmp_path),
               "PYTEST_PLUGINS": "refusing_settings"}  # fmt: skip
        code = run._run_checklist(
            "sandbox",
            selection,
            reports,
            env,
            None,
            {"target_url": twin.export_url},
            lambda _: None,
        )
    shown = capsys.readouterr()
    assert code == 1, shown.out + shown.err
    assert [r["outcome"] for r in _results(reports)] == ["failed"]
    written = {path.name: path.read_text() for path in reports.iterdir() if path.is_file()}
    assert {"pytest.log", "junit.xml", "cucumber.json", "results.jsonl"} <= written.keys()
    assert "ConfigError" in written["pytest.log"]
    leaks = [name for name, text in written.items() if SANDBOX_API_KEY in text]
    assert (leaks, SANDBOX_API_KEY in shown.out + shown.err) == ([], False)


SAME_KEY_PURCHASES = """\
@qa-keys @twin
Feature: QA's purchases
  Scenario: A purchase under a key
    Given the adapter is connected to the target
    When QA purchases product 10000027819004 with idempotency key "qa-same"
    Then the purchase returns a key for a new order

  Scenario: Another purchase under the same key
    Given the adapter is connected to the target
    When QA purchases product 10000027819004 with idempotency key "qa-same"
    Then the purchase returns a key for a new order
    And the twin received 1 order request for product "10000027819004" in "EUR"

  Scenario: Purchases under two keys
    When QA purchases product 10000027819004 with idempotency key "qa-one"
    And QA purchases product 10000027819004 with idempotency key "qa-two"
    Then the twin received 2 order requests for product "10000027819004" in "EUR"
"""


def test_a_scenario_s_purchases_are_its_own_without_a_store_step(tmp_path: Path) -> None:
    """Without `Given the adapter keeps purchase progress in an idempotency store`, purchases
    keep their progress in the scenario's own store, not in the settings' default file in the
    working directory, where the key of another scenario (or of an earlier run) was found: the
    second scenario resumed the first one's purchase."""
    outcomes = scenario_outcomes(tmp_path, SAME_KEY_PURCHASES, "qa-keys")

    assert {name: t["outcome"] for name, t in outcomes.items()} == {
        "A purchase under a key": "passed",
        "Another purchase under the same key": "passed",
        "Purchases under two keys": "passed",  # a count other than 1 (a QA walkthrough's wish)
    }


OWN_CHECKS = """\
@qa-own @twin
Feature: QA's own checks
  Scenario: The first page is full
    When QA lists the first page of products
    Then the page holds exactly 20 products

  Scenario: The first page is short
    When QA lists the first page of products
    Then the page holds exactly 7 products
"""


def test_scenarios_that_prove_no_item_are_named_with_their_outcome_and_file(
    tmp_path: Path,
) -> None:
    """Found by a QA walkthrough: a QA team's own scenarios were only counted ("other
    scenarios: 1 passed, 1 failed"), never named, passing or not."""
    (tmp_path / "team").mkdir()
    feature = tmp_path / "team" / "own.feature"
    feature.write_text(OWN_CHECKS, encoding="utf-8")

    done = harness(
        "run", "--tags", "qa-own", "--features", str(tmp_path / "team"),
        "--report-dir", str(tmp_path / "reports"),
    )  # fmt: skip

    assert done.returncode == 1, done.stdout + done.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in done.stdout.split("Other scenarios", 1)[1].splitlines()
        if line.startswith("│ ")
    ]
    assert rows == [
        ["passed", "QA's own checks: The first page is full", f"{feature}:3"],
        ["failed", "QA's own checks: The first page is short", f"{feature}:7"],
    ]
    report = json.loads((tmp_path / "reports" / "checklist.json").read_text(encoding="utf-8"))
    assert [r["where"] for r in report["other_scenarios"]] == [f"{feature}:3", f"{feature}:7"]
