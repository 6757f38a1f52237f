"""`g2a-harness steps --check`: a dry run that finds every step the library does not know."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from qa_support import NO_G2A, ROOT, harness

from harness.bdd.check import check_features
from harness.bdd.discovery import scenario_filter

FEATURE = """\
@twin
Feature: Checked without running
  Background:
    Given the adapter is connected to the target

  Scenario Outline: Stock, then an order
    Given product <product> has <keys> keys in stock
    When QA orders product <product>
    Then an order id made of digits is returned with a price in EUR

    Examples:
      | product        | keys |
      | 10000068865001 | 5    |
      | 10000027819004 | many |

  Scenario: Two mistakes
    When QA ordrs product 10000068865001
    And the call fails with a G2A API error with code ORD07
    Then the call fails with a G2A API error with code ORD07
"""


def _write(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "checked.feature"
    path.write_text(FEATURE, encoding="utf-8")
    return path


def test_each_step_is_matched_as_the_run_matches_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "qa")

    result = check_features([path.parent])

    # The Outline runs once per Examples row; the Background runs before every scenario.
    assert (result.scenarios, result.steps) == (3, 4 + 4 + 4)
    # Reported as a run reports them (file, line, the step as run, the closest steps).
    assert [message.split("; did you mean ")[0] for message in result.unknown] == [
        f'{path}:14: step "Given product 10000027819004 has many keys in stock" '
        "(line 7, with the values of the Examples row at line 14): "
        '{quantity}: "many" is not a whole number in digits, no sign (300)',  # a row's word
        f'{path}:17: unknown step "When QA ordrs product 10000068865001"',  # a typo
        f'{path}:18: unknown step "And the call fails with a G2A API error with code ORD07"',
    ]  # the last is a Then step under a When: matched by kind, as a run matches it
    typo = result.unknown[1]
    assert typo.split("; did you mean ")[1].startswith('"When QA orders product 10000068865001";')
    assert typo.endswith("? (g2a-harness steps --grep WORD lists the catalogue)")


def test_the_command_lists_the_unknown_steps_and_fails(tmp_path: Path) -> None:
    path = _write(tmp_path / "qa")

    done = harness("steps", "--check", str(path.parent))

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:3]] == [
        f"{path}:14",  # the Examples row that filled in the step at line 7
        f"{path}:17",
        f"{path}:18",
    ]
    assert lines[-1] == "12 steps in 3 scenarios: 3 unknown"


def test_the_repository_s_features_are_all_known() -> None:
    done = harness("steps", "--check", "features")

    assert done.returncode == 0, done.stdout
    assert done.stdout.rstrip().endswith("scenarios: all known")


def test_nothing_to_check_or_a_missing_path_is_not_a_pass(tmp_path: Path) -> None:
    empty = harness("steps", "--check", str(tmp_path))
    assert empty.returncode == 1
    assert "nothing was checked" in empty.stdout

    missing = harness("steps", "--check", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no such feature file or folder" in missing.stderr
    assert str(ROOT) not in missing.stderr


BROKEN = {
    "syntax.feature": "@twin\nFeature: Broken\n  Scenario: A line without a keyword\n"
    "    Given the adapter is connected to the target\n    Whatever this line is\n",
    "empty.feature": "# a comment and nothing else\n",
    "latin1.feature": "Feature: Caf\xe9\n",  # written as Latin-1 below: not UTF-8
    # valid Gherkin, saved with a byte-order mark as older Windows Notepad saves UTF-8
    "bom.feature": "@twin\nFeature: Marked\n  Scenario: Read\n"
    "    When QA lists the first page of products\n",
}
# how a file of BROKEN is written, when not as plain UTF-8
ENCODINGS = {"latin1.feature": "latin-1", "bom.feature": "utf-8-sig"}


def _write_broken(folder: Path) -> Path:
    folder.mkdir()
    for name, text in BROKEN.items():
        (folder / name).write_text(text, encoding=ENCODINGS.get(name, "utf-8"))
    return folder


def expected_problems(folder: Path) -> list[str]:
    return [
        f"{folder / 'bom.feature'}:1: not valid Gherkin: the file starts with a byte-order mark "
        "(U+FEFF, as some Windows editors write UTF-8), which pytest-bdd cannot read: save it "
        "as UTF-8 without BOM",
        f"{folder / 'empty.feature'}: not valid Gherkin: no `Feature:` line",
        f"{folder / 'latin1.feature'}: not valid Gherkin: the file is not UTF-8 text",
        f"{folder / 'syntax.feature'}:5: not valid Gherkin: Unexpected token found. Check "
        "Gherkin syntax near the reported error. (Whatever this line is)",
    ]


def test_a_file_that_is_not_gherkin_is_named_with_its_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    folder = _write_broken(tmp_path / "qa")

    assert list(check_features([folder]).invalid) == expected_problems(folder)
    done = harness("steps", "--check", str(folder))
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (
        1,
        expected_problems(folder),
        "",
    )


SEVERAL_ERRORS = """\
@twin
Feature: Broken in three places
  Scenario: Two lines without a keyword and a short table row
    Given the adapter is connected to the target
    Whatever this line is
    When QA lists the first page of products
    Another stray line
    Then the log records show the fields
      | field   | present |
      | orderId |
"""
UNEXPECTED = "Unexpected token found. Check Gherkin syntax near the reported error."


def test_each_error_the_gherkin_parser_finds_in_a_file_is_named_with_its_line(
    tmp_path: Path,
) -> None:
    """The parser collects every error of a file; pytest-bdd raises with the first: each is
    named, so one check run lists every line to mend."""
    path = qa_feature(tmp_path, SEVERAL_ERRORS)

    assert check_features([path]).messages() == [
        f"{path}:5: not valid Gherkin: {UNEXPECTED} (Whatever this line is)",
        f"{path}:7: not valid Gherkin: {UNEXPECTED} (Another stray line)",
        f"{path}:10: not valid Gherkin: inconsistent cell count within the table (| orderId |)",
    ]


TAGS_TAG_NOTHING = (
    "the file ends with tags that tag nothing: put them on the line above the Feature, Rule, "
    "Scenario or Examples they tag, or remove them"
)
NOT_KNOWN_TO_PYTEST_BDD = {
    "a short table row": (
        "@twin\nFeature: F\n  Scenario: S\n    Then the log records show the fields\n"
        "      | field   | present |\n      | orderId |\n",
        [":6: not valid Gherkin: inconsistent cell count within the table (| orderId |)"],
    ),
    "a tag with a space": (
        "@twin @qa first\nFeature: F\n  Scenario: S\n"
        "    When QA lists the first page of products\n",
        [
            ":1: not valid Gherkin: A tag may not contain whitespace (@twin @qa first)",
            f":1: not valid Gherkin: {UNEXPECTED} (@twin @qa first)",
        ],
    ),
    "a language Gherkin has not": (
        "# language: xx\nFeature: F\n  Scenario: S\n    When QA lists the first page of products\n",
        [":1: not valid Gherkin: Language not supported: xx (# language: xx)"],
    ),
    # the parser names these with its token names (`unexpected end of file, expected:
    # #TagLine, #RuleLine, #Comment, #Empty`), on the line after the last
    "tags and nothing they tag": (
        "@twin\n",
        [f":1: not valid Gherkin: {TAGS_TAG_NOTHING} (@twin)"],
    ),
    "tags after the last scenario": (
        "@twin\nFeature: F\n  Scenario: S\n    When QA lists the first page of products\n\n"
        "  @qa-wip\n# the end\n\n",
        [f":6: not valid Gherkin: {TAGS_TAG_NOTHING} (@qa-wip)"],
    ),
    "a doc string never closed": (
        '@twin\nFeature: F\n  Scenario: S\n    Then the log records show "x"\n      """\n'
        '      a\n      """\n    And the log records show "y"\n      ```json\n      b\n',
        [
            ":9: not valid Gherkin: this doc string is never closed: end it with a line of ``` "
            "(```json)"
        ],
    ),
}


@pytest.mark.parametrize(
    ("text", "problems"), NOT_KNOWN_TO_PYTEST_BDD.values(), ids=NOT_KNOWN_TO_PYTEST_BDD.keys()
)
def test_an_error_pytest_bdd_does_not_know_is_named_in_plain_words_with_its_line(
    tmp_path: Path, text: str, problems: list[str]
) -> None:
    """pytest-bdd words such an error "Unknown parsing error: Parser errors:" and the parser's
    report on a line of its own, `(6:7): …`, naming no file; the line says what is wrong, in
    the parser's words but for a file that ends too early, on the line to mend."""
    path = qa_feature(tmp_path, text)

    assert check_features([path]).messages() == [f"{path}{problem}" for problem in problems]


def test_a_file_that_cannot_run_is_named_the_same_given_as_written_or_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`steps --check qa` reads the folder as written, `run --features qa` resolved: a file
    below the working directory is named relative to it either way."""
    monkeypatch.chdir(tmp_path)
    folder = _write_broken(tmp_path / "qa")

    as_written = check_features([Path("qa")]).messages()

    assert check_features([folder.resolve()]).messages() == as_written
    assert [line.split(":", 1)[0] for line in as_written] == [
        "qa/bom.feature",
        "qa/empty.feature",
        "qa/latin1.feature",
        "qa/syntax.feature",
    ]


def test_a_step_and_a_tag_outside_the_working_directory_are_named_by_their_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`steps --check ../qa` named a tag `../qa/…` and a step by pytest-bdd's absolute path;
    both are absolute now, as `run` names them."""
    path = qa_feature(tmp_path, TAG_TYPO_AND_WIP)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    messages = check_features([Path("..") / path.name]).messages()

    assert [line.split(": ", 1)[0] for line in messages] == [f"{path}:6", f"{path}:12"]


@pytest.mark.parametrize(
    "selection", [(), ("--tags", "@twin"), ("-k", "Broken")], ids=["all", "tags", "keyword"]
)
def test_a_run_with_a_file_that_is_not_gherkin_stops_before_anything_runs(
    tmp_path: Path, selection: tuple[str, ...]
) -> None:
    folder = _write_broken(tmp_path / "qa")
    reports = tmp_path / "reports"

    done = harness("run", *selection, "--features", str(folder), "--report-dir", str(reports))

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        *expected_problems(folder),
        "g2a-harness run: 4 feature file(s) cannot run as written; nothing ran",
    ]
    assert not reports.exists()


def _pytest_over(features: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest as QA starts it in the checkout, with `features` as its G2A_FEATURES folder."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**NO_G2A, "G2A_FEATURES": str(features)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _collection_errors(output: str) -> dict[str, list[str]]:
    """What pytest shows for each module it could not collect (its `ERROR collecting` section
    of the output), by the module's path."""
    sections: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("_") and " ERROR collecting " in line:
            lines = sections.setdefault(line.strip("_ ").removeprefix("ERROR collecting "), [])
        elif line.startswith("="):
            lines = []
        else:
            lines.append(line)
    return sections


# pytest's exit code for each way of starting it over a module that cannot be collected
COLLECTING = {"": 2, "--collect-only": 2, "--fixtures": 0, "-n 2": 1}


@pytest.mark.parametrize("option", COLLECTING)
def test_pytest_over_a_file_that_is_not_gherkin_names_each_file_not_a_traceback(
    tmp_path: Path, option: str
) -> None:
    """pytest-bdd's own reading stopped at the first file with its traceback (an INTERNALERROR
    for a file that is not UTF-8); the module binding the features now fails to collect with
    every such file on a line, as `steps --check` words it, over xdist's workers too."""
    folder = _write_broken(tmp_path / "qa")

    done = _pytest_over(folder, *option.split(), "tests/bdd")

    assert done.returncode == COLLECTING[option], done.stdout[-2000:] + done.stderr[-2000:]
    assert _collection_errors(done.stdout) == {
        "tests/bdd/test_features.py": expected_problems(folder)
    }
    for trace in ("Traceback", "pytest_bdd.exceptions", "UnicodeDecodeError", "INTERNALERROR"):
        assert trace not in done.stdout + done.stderr


def test_a_broken_module_beside_broken_features_keeps_its_own_error(tmp_path: Path) -> None:
    """Each module that cannot be collected shows its own error: a test module's syntax error
    is not taken for the feature files'."""
    folder = _write_broken(tmp_path / "qa")
    (tmp_path / "test_broken.py").write_text("def test_x(:\n", encoding="utf-8")

    done = _pytest_over(folder, "tests/bdd", str(tmp_path / "test_broken.py"))

    assert done.returncode == 2
    errors = _collection_errors(done.stdout)
    assert errors.pop("tests/bdd/test_features.py") == expected_problems(folder)
    [broken] = errors.values()
    assert "SyntaxError: invalid syntax" in "\n".join(broken)


def test_pytest_without_scenarios_runs_beside_a_file_that_is_not_utf_8(tmp_path: Path) -> None:
    """The plugin reads the tags of every feature file as pytest starts: one that is not UTF-8
    has none to register, and only the module binding the features fails (the tests above)."""
    folder = _write_broken(tmp_path / "qa")

    done = _pytest_over(folder, "tests/unit/harness_run/test_wordings.py")

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def qa_feature(folder: Path, text: str) -> Path:
    """A feature file as QA would write it, in `folder`."""
    path = folder / "qa.feature"
    path.write_text(text, encoding="utf-8")
    return path


def run_qa_feature(
    tmp_path: Path, text: str, *selection: str
) -> tuple[Path, subprocess.CompletedProcess[str], Path]:
    """`g2a-harness run *selection` over one QA feature file of `text`: the file, the run and
    its reports folder."""
    folder = tmp_path / "qa"
    folder.mkdir()
    path = qa_feature(folder, text)
    reports = tmp_path / "reports"
    done = harness("run", *selection, "--features", str(folder), "--report-dir", str(reports))
    return path, done, reports


UNRUNNABLE = {
    "no step": (
        "@twin\nFeature: Quiet\n  Scenario: A step without its keyword\n"
        "    the adapter is connected to the target\n",
        ":3: scenario 'A step without its keyword' has no step (does each step line start "
        "with Given, When, Then, And or But?)",
    ),
    "a name twice": (
        "@twin\nFeature: Twice\n  Scenario: Order a product\n"
        "    Given the adapter is connected to the target\n"
        "  Scenario: Order a product\n    Given the adapter is connected to the target\n",
        ":5: scenario 'Order a product' is named twice: only one would run",
    ),
}


@pytest.mark.parametrize(("text", "problem"), UNRUNNABLE.values(), ids=UNRUNNABLE.keys())
def test_a_scenario_that_would_check_nothing_or_be_hidden_is_refused(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = qa_feature(tmp_path, text)

    assert check_features([path]).invalid == (f"{path}{problem}",)


BACKGROUND = "@twin\nFeature: F\n  Background:\n    Given the adapter is connected to the target\n"
TABLE = "\n      | metric |\n      | g2a_webhook_events_total |"
TRIPS = {
    "a tampering outside its wording": (
        "  Scenario: S\n    When a delivery for the order arrives with a wrong signature\n",
        ':6: step "When a delivery for the order arrives with a wrong signature": "a wrong '
        'signature" is not a tampering the step knows; a tampering is one of "a signature made '
        'with another secret", "a body changed after signing",',
    ),
    "a fault outside its wording": (
        "  Scenario: S\n    Given the twin fails every product list request with HTTP 5O3\n",
        ':6: step "Given the twin fails every product list request with HTTP 5O3": "HTTP 5O3" is '
        'not a fault the step knows; a fault is one of "HTTP <status>", "a rate limit asking to '
        'wait <seconds, a whole number from 0 to 3600> s", "a connection reset", "a malformed '
        'body"',
    ),
    "a rate limit asking to wait longer than the twin's Retry-After takes": (
        "  Scenario: S\n"
        "    Given the twin answers the next 1 order requests with a rate limit asking to wait "
        "7200 s\n",
        '"a rate limit asking to wait 7200 s" is not a fault the step knows; a fault is one of '
        '"HTTP <status>", "a rate limit asking to wait <seconds, a whole number from 0 to '
        '3600> s"',
    ),
    "a refusal code longer than the twin takes": (
        "  Scenario: S\n"
        f"    Given the twin refuses the next offers request with HTTP 401 and code {'A' * 257}\n",
        f': {{code}}: "{"A" * 257}" is not a word of 1 to 256 letters, digits or _;',
    ),
    "an adapter timeout the adapter's settings refuse": (
        "  Scenario: S\n    Given the adapter times out after 0 milliseconds\n",
        ': {ms}: "0" is not a whole number from 1 to 600000;',
    ),
    "an adapter timeout above the adapter's settings' bound": (
        "  Scenario: S\n    Given the adapter times out after 600001 milliseconds\n",
        ': {ms}: "600001" is not a whole number from 1 to 600000;',
    ),
    "a minimum seller rating the adapter's order refuses": (
        "  Scenario: S\n"
        "    When QA orders product 10000027819004 from a seller rated at least 1.5\n",
        ': {rating}: "1.5" is not a number from 0 to 1;',
    ),
    "an order's maximum price of 0, which G2A reads as no limit": (
        "  Scenario: S\n    When QA orders product 10000068865001 for at most 0 EUR\n",
        ': {price}: "0" is not a number above 0;',
    ),
    "a purchase's maximum price of 0": (
        "  Scenario: S\n"
        "    When QA purchases product 10000068865001 for at most 0.00 EUR "
        'with idempotency key "k"\n',
        ': {price}: "0.00" is not a number above 0;',
    ),
    "a product's price of 0, which G2A does not list (a QA walkthrough: the twin sold at 0)": (
        "  Scenario: S\n    Given product 10000068865001 costs 0 EUR\n",
        ': {price}: "0" is not a number above 0;',
    ),
    "an HTTP status the twin cannot answer": (
        "  Scenario: S\n    Given the twin fails the next 2 order requests with HTTP 999\n",
        ':6: step "Given the twin fails the next 2 order requests with HTTP 999": "HTTP 999" is '
        'not a fault the step knows; a fault is one of "HTTP <status>"',
    ),
    "a 1xx status, which is no answer": (
        "  Scenario: S\n    Given the twin fails the next 2 order requests with HTTP 101\n",
        '"HTTP 101" is not a fault the step knows',
    ),
    "a refusal with a success status": (
        "  Scenario: S\n"
        "    Given the twin refuses the next offers request with HTTP 204 and code X\n",
        ':6: unknown step "Given the twin refuses the next offers request with HTTP 204 and '
        'code X"; did you mean "Given the twin refuses the next offers request with HTTP 401 '
        'and code AUTH02"',
    ),
    "a fault sequence outside its wording": (
        "  Scenario: S\n"
        '    Given the twin answers order requests with the sequence "HTTP 503, ok"\n',
        ': "HTTP 503, ok" is not a fault sequence the step knows; a fault sequence is one or more',
    ),
    "a price bound outside its wording": (
        "  Scenario: S\n    Then product 10000068865001 costs under 12 EUR\n",
        ':6: step "Then product 10000068865001 costs under 12 EUR": "under" is not a bound the '
        'step knows; a bound is one of "at most", "at least", "exactly"',
    ),
    # found by a QA walkthrough: the bound was read as "at" and the count as "least 1.5"
    "a stock bound right, its count not whole": (
        "  Scenario: S\n    Then product 10000068865001 has at least 1.5 keys in stock\n",
        ':6: step "Then product 10000068865001 has at least 1.5 keys in stock": {count}: "1.5" is '
        "not a whole number in digits, no sign (300); did you mean",
    ),
    "a store backend outside its wording": (
        "  Scenario: S\n    Given an idempotency store backed by sqlite\n",
        ':6: step "Given an idempotency store backed by sqlite": "sqlite" is not a store backend '
        'the step knows; a store backend is one of "memory", "an embedded SQLite"',
    ),
    "a table missing": (
        "  Scenario: S\n    Then it exposes the metrics\n",
        ':6: step "Then it exposes the metrics" needs a data table under it, headed | metric |',
    ),
    "a table without its header": (
        "  Scenario: S\n    Then it exposes the metrics\n      | g2a_nothing_total |\n",
        ':6: step "Then it exposes the metrics" needs its table headed | metric |, not '
        "| g2a_nothing_total |",
    ),
    "a table that would be ignored": (
        "  Scenario: S\n    Then the call succeeds\n      | anything |\n",
        ':6: step "Then the call succeeds" takes no data table: the data table under it would be '
        "ignored",
    ),
    "a placeholder no column fills": (
        '  Scenario Outline: S\n    When QA asks for the details of order "<order>"\n\n'
        "    Examples:\n      | ordr | code  |\n      | 1    | ORD03 |\n",
        ':6: step "When QA asks for the details of order "<order>"" has <order> but the Examples '
        "columns are ordr, code: nothing fills it in",
    ),
    "a placeholder in a scenario without Examples": (
        "  Scenario: S\n    When QA orders product <product>\n",
        ':6: step "When QA orders product <product>" has <product> but there are no Examples: '
        "nothing fills it in",
    ),
    "waits that are not numbers": (
        '  Scenario: S\n    Given the twin retries an unanswered webhook after "0.1 and 0.5" '
        "seconds\n",
        ': "0.1 and 0.5" is not a list of waits the step knows; a list of waits is 1 to 10 of '
        "\"<seconds, a number from 0 to 60>\", separated by ','",
    ),
    "more waits than the twin takes": (
        '  Scenario: S\n    Given the twin retries an unanswered webhook after "'
        + ", ".join(["1"] * 11)
        + '" seconds\n',
        "is not a list of waits the step knows",
    ),
    "a health check the receiver has not": (
        '  Scenario: S\n    Then the checks "tokn, store" are reported "ok"\n',
        ': "tokn, store" is not a health check the step knows; a health check is one or more of '
        '"store", "token", separated by \',\'',
    ),
    "a seller rated above G2A's scale": (
        "  Scenario: S\n    Given the twin sells product 10000027819004 from sellers rated 1.5 "
        "at 10.00 EUR\n",
        ': "1.5 at 10.00 EUR" is not a list of sellers the step knows; a list of sellers is one '
        'or more of "<rating, a number from 0 to 1> at <price, a number from 0.01 to '
        "1000000000> EUR\", separated by ',' or 'and'",
    ),
    "a seller selling for nothing": (
        "  Scenario: S\n    Given the twin sells product 10000027819004 from a seller rated 0.5 "
        "at 0 EUR\n",
        '"0.5 at 0 EUR" is not a list of sellers the step knows',
    ),
    "statuses that are not a list of HTTP statuses": (
        '  Scenario: S\n    Then the log records show the statuses "503; 200" in that order\n',
        ': "503; 200" is not a list of HTTP statuses the step knows',
    ),
    "a call log line before the first": (
        '  Scenario: S\n    Then call log line 0 shows "method=GET"\n',
        ': {number}: "0" is not a whole number of at least 1;',
    ),
    "call log fields not written name=value": (
        '  Scenario: S\n    Then call log line 1 shows "method GET"\n',
        ': "method GET" is not a list of fields the step knows; a list of fields is one or more '
        "of \"<name>=<value>\", separated by ' '",
    ),
    "a setting the adapter has not": (
        "  Scenario: S\n    Then the setting G2A_RETRIES is 2\n",
        ': "G2A_RETRIES" is not a setting the step knows; a setting is one of "G2A_API_URL",',
    ),
    "a refusal reason the step cannot look for": (
        "  Scenario: S\n    Then the base URL is refused because it is not HTTPS\n",
        ': "it is not HTTPS" is not a refusal reason the step knows; a refusal reason is one of '
        '"it must use https",',
    ),
    "a twin-only step in a scenario tagged for the sandbox": (
        "  @sandbox\n  Scenario: S\n    Given product 10000068865001 is out of stock\n",
        ':7: step "Given product 10000068865001 is out of stock" runs only on twin, but the '
        "scenario is tagged for sandbox: tag it @twin only",
    ),
}


@pytest.mark.parametrize(("body", "problem"), TRIPS.values(), ids=TRIPS.keys())
def test_a_known_step_a_run_would_trip_over_is_reported_with_what_is_valid(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = qa_feature(tmp_path, BACKGROUND + body)

    result = check_features([path])

    reported = [*result.unknown, *result.problems]
    assert len(reported) == 1, reported
    assert reported[0].startswith(str(path)), reported
    assert problem in reported[0], reported[0]


@pytest.mark.parametrize("ms", [0, 1, 600_000, 600_001])
def test_the_adapter_timeout_step_takes_what_the_adapter_s_settings_take(ms: int) -> None:
    """The step's bound is read from `Settings`' validation, not written twice."""
    from g2a_adapter import ConfigError, Settings
    from harness.bdd.steps.client import TIMEOUT_MS

    try:
        Settings(
            api_url="https://sandboxapi.g2a.com/v1", api_hash="h", api_key="f" * 64, timeout_ms=ms
        )
    except ConfigError:
        taken = False
    else:
        taken = True
    assert TIMEOUT_MS.accepts(str(ms)) is taken


FITS = (
    "Given product 10000068865001 costs 12 EUR",
    "Given product 10000068865001 costs 12.50 EUR",
    "When 1 seconds pass",
    "Given the twin completes a paid order after 2 seconds",
    "Then the order costs 12 EUR",
    "Then that request took at least 1 seconds",
    "When QA orders product 10000068865001 from a seller rated at least 1",
    "Then the request counter shows 1 request with status 200",
    "Then the request counter shows 2 requests with status 200",
    "Then the latency histogram holds 2 product list requests",
    "Then the retry counter shows 1 retry",
    "Given the twin allows 1 request per second",
    "Given the twin fails the next 1 key request with a connection reset",
    "Given the twin never answers the next 2 order requests",
    "When a delivery for the order arrives with a body larger than 64 KiB",
    'Given the twin answers order requests with the sequence "a rate limit asking to wait 2 s, '
    'passes"',
    f"Then it exposes the metrics{TABLE}",
    "Then product 10000068865001 costs at most 12.50 EUR",
    "Then product 10000068865001 costs at least 12 EUR",
    "Then product 10000068865001 costs exactly 12.50 EUR",
    "Then product 10000068865001 has at least 1 key in stock",
    "Then product 10000068865001 has at most 20 keys in stock",
    "Given the twin fails every order request with a rate limit asking to wait 3600 s",
    f"Given the twin refuses the next offers request with HTTP 401 and code {'A' * 256}",
    "Given the adapter times out after 600000 milliseconds",
    "When QA orders product 10000068865001 for at most 0.01 EUR",
)
NOT_A_NUMBER = "is not a whole or decimal number in digits, no sign (12 or 12.50)"
REFUSED = {
    "Given product 10000068865001 costs -1 EUR": f'{{price}}: "-1" {NOT_A_NUMBER}',
    "Given product 10000068865001 costs 1e3 EUR": f'{{price}}: "1e3" {NOT_A_NUMBER}',
    "When -1 seconds pass": f'{{seconds}}: "-1" {NOT_A_NUMBER}',
}


def test_numbers_are_whole_or_decimal_and_counts_singular_or_plural(tmp_path: Path) -> None:
    lines = "".join(f"    {line}\n" for line in (*FITS, *REFUSED))
    path = qa_feature(tmp_path, f"{BACKGROUND}  Scenario: S\n{lines}")

    result = check_features([path])

    assert result.problems == ()
    refused = [
        message.split(': step "')[1].split("; did you mean")[0] for message in result.unknown
    ]
    assert refused == [f'{line}": {why}' for line, why in REFUSED.items()]


NOT_WHOLE = "is not a whole number in digits, no sign (300)"
NOT_A_CURRENCY = "is not three capital letters (EUR)"
# a line a catalogue step fits but for what one parameter says -> what that parameter takes
MISTYPED = {
    "Given product 10000068865001 has five keys in stock": f'{{quantity}}: "five" {NOT_WHOLE}',
    "Given product 10000068865001 has -1 keys in stock": f'{{quantity}}: "-1" {NOT_WHOLE}',
    "Given product 10000068865001 costs 12,50 EUR": f'{{price}}: "12,50" {NOT_A_NUMBER}',
    "Then an order id made of digits is returned with a price in euros": (
        f'{{currency}}: "euros" {NOT_A_CURRENCY}'
    ),
    "Then the order costs 12.50 euros": f'{{currency}}: "euros" {NOT_A_CURRENCY}',
    "When QA orders product 10000068865001 in Eur": f'{{currency}}: "Eur" {NOT_A_CURRENCY}',
}


# a number the twin refuses (its admin API's 400 once the step ran) -> the step's bounds
OUT_OF_BOUNDS = {
    "Given the twin answers the next 0 product list requests with HTTP 503": (
        '{times}: "0" is not a whole number of at least 1'
    ),
    "Given the twin never answers the next 0 order requests": (
        '{times}: "0" is not a whole number of at least 1'
    ),
    "Given the twin allows 0 requests per second": (
        '{count}: "0" is not a whole number of at least 1'
    ),
    "Given the twin delays the next order request by 70000 milliseconds": (
        '{ms}: "70000" is not a whole number from 0 to 60000'
    ),
    "Given the twin's catalogue holds 3 products": (
        '{size}: "3" is not a whole number from 4 to 5000'
    ),
    "Given the twin issues access tokens that live 0 seconds": (
        '{seconds}: "0" is not a whole number from 1 to 86400'
    ),
    "Given the twin completes a paid order after 4000 seconds": (
        '{seconds}: "4000" is not a number from 0 to 3600'
    ),
    "Given the twin delivers every webhook 0 times": (
        '{times}: "0" is not a whole number from 1 to 11'
    ),
    "Given the twin waits 0 milliseconds for the receiver to answer a webhook": (
        '{ms}: "0" is not a whole number from 1 to 60000'
    ),
}


@pytest.mark.parametrize(
    ("line", "why"), {**MISTYPED, **OUT_OF_BOUNDS}.items(), ids=[*MISTYPED, *OUT_OF_BOUNDS]
)
def test_a_parameter_of_the_wrong_type_is_named_with_what_it_takes(
    tmp_path: Path, line: str, why: str
) -> None:
    """Not only "unknown step; did you mean" a step that looks the same: which parameter is
    wrong, and what it takes (the closest steps follow all the same)."""
    path = qa_feature(tmp_path, f"{BACKGROUND}  Scenario: S\n    {line}\n")

    (message,) = check_features([path]).unknown

    assert message.startswith(f'{path}:6: step "{line}": {why}; did you mean "'), message


def test_a_line_refused_for_a_parameter_is_offered_the_step_it_fits_first(tmp_path: Path) -> None:
    """The suggestions lead with the example of the step the line fits but for its price, not
    with a Given step whose text looks closer."""
    line = "Then product 10000027819004 costs exactly 7,5 EUR"
    path = qa_feature(tmp_path, f"{BACKGROUND}  Scenario: S\n    {line}\n")

    (message,) = check_features([path]).unknown

    first = message.split('; did you mean "', 1)[1].split('"', 1)[0]
    assert first == "Then product 10000027819004 costs at most 50 EUR", message


LISTING = "When QA lists the first page of products"
# a step with a character that only looks plain -> what the check says of it, and the step
# as it should be typed
LOOKALIKES = {
    "a non-breaking space": (
        "When QA lists the first\u00a0page of products",
        "column 28: a non-breaking space (U+00A0) where a plain space is expected",
        LISTING,
    ),
    "a double space": (
        "When QA lists the first  page of products",
        "column 28: 2 spaces where one is expected",
        LISTING,
    ),
    "a tab": (
        "When QA lists the first\tpage of products",
        "column 28: a tab (U+0009) where a plain space is expected",
        LISTING,
    ),
    "curly quotes": (
        "When QA purchases product 10000068865001 with idempotency key \u201cqa-1\u201d",
        'columns 67 and 72: curly quotes \u201c \u201d where straight quotes " are expected',
        'When QA purchases product 10000068865001 with idempotency key "qa-1"',
    ),
    "a typographic apostrophe": (
        "Given the twin\u2019s catalogue holds 45 products",
        "column 19: a typographic apostrophe \u2019 where a straight apostrophe ' is expected",
        "Given the twin's catalogue holds 45 products",
    ),
}


@pytest.mark.parametrize(("line", "why", "typed"), LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_a_character_that_only_looks_plain_is_named_with_its_column(
    tmp_path: Path, line: str, why: str, typed: str
) -> None:
    """Not "unknown step; did you mean" the same-looking step: which character, where, and
    the step it is once typed plainly."""
    path = qa_feature(tmp_path, f"{BACKGROUND}  Scenario: S\n    {line}\n")

    (message,) = check_features([path]).unknown

    assert message == f'{path}:6: step "{line}": {why}; retype it as "{typed}"'


def test_the_command_lists_every_message_in_file_order(tmp_path: Path) -> None:
    body = "  Scenario: S\n    Then it exposes the metrics\n    When QA ordrs product 1\n"
    path = qa_feature(tmp_path, BACKGROUND + body)

    done = harness("steps", "--check", str(path))

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:2]] == [f"{path}:6", f"{path}:7"]
    assert lines[-1] == "3 steps in 1 scenario: 1 unknown, 1 problem"


def test_a_whole_number_is_digits_only_and_a_misworded_step_gets_suggestions_too(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "qa"
    folder.mkdir()
    path = qa_feature(
        folder,
        "@twin\nFeature: Numbers\n  Scenario: Signs and bases\n"
        "    Given product 10000068865001 has -1 keys in stock\n"
        "    And product 10000068865001 has +5 keys in stock\n"
        "    And the adapter times out after 0x10 milliseconds\n"
        "    And the twin answers the next 2 product list requests with HTTP 5xx\n"
        "    When QA lists the first page of products\n",
    )

    unknown = check_features([folder]).unknown

    assert [message.split(": ", 1)[0] for message in unknown] == [
        f"{path}:{line}" for line in (4, 5, 6, 7)
    ]
    assert all("; did you mean " in message for message in unknown), unknown
    assert '"HTTP 5xx" is not a fault the step knows' in unknown[3]


QUERY_NAME_TYPOS = """\
@twin
Feature: Filters
  Scenario: A query name in another case
    When QA lists products with a minimum quantity of 100
    Then the twin received a product list request asking for minqty 100

  Scenario Outline: Query names from a table
    When QA lists products with a minimum price of 20
    Then the twin received a product list request asking for <query name> 20

    Examples:
      | query name   |
      | minPriceFrom |
      | minPrice     |
"""
QUERY_NAMES = '"page", "id", "minQty", "minPriceFrom", "minPriceTo"'


def test_a_query_name_the_adapter_never_sends_is_reported_an_examples_row_s_by_its_line(
    tmp_path: Path,
) -> None:
    """`asking for minqty 100` passed the check, and a run failed it only after the When
    step's calls, as "expected …, got minQty=100&page=1": a name is one the adapter sends."""
    path = qa_feature(tmp_path, QUERY_NAME_TYPOS)

    result = check_features([path])

    assert [message.split("; did you mean ")[0] for message in result.messages()] == [
        f'{path}:5: step "Then the twin received a product list request asking for minqty 100": '
        f'"minqty" is not a query parameter the step knows (did you mean "minQty"?); a query '
        f"parameter is one of {QUERY_NAMES}",
        # close to two names (minPriceFrom, minPriceTo): no guess
        f'{path}:14: step "Then the twin received a product list request asking for minPrice '
        '20" (line 9, with the values of the Examples row at line 14): "minPrice" is not a '
        f"query parameter the step knows; a query parameter is one of {QUERY_NAMES}",
    ]
    meant = '; did you mean "Then the twin received a product list request asking for minQty 5"'
    assert all(meant in message for message in result.messages()), result.messages()
    assert (result.scenarios, result.steps) == (3, 6)


MISTAGGED = """\
@twn @qa-own @qa-sandbox @lively
Feature: Mistagged
  @sanbox @chk-test-int-produtcs
  Scenario: A read
    When QA lists the first page of products

  @Live @chk-no-such-item @smoke
  Scenario: Another read
    When QA lists the first page of products
"""


def mistagged_messages(path: Path) -> list[str]:
    return [
        f"{path}:1: tag @twn is no target: did you mean @twin? (the targets are @twin, "
        "@sandbox, @live)",
        f"{path}:1: tag @qa-sandbox is no target: the scenario has no target tag, so it runs on "
        "the twin only (add @sandbox?)",
        f"{path}:3: tag @sanbox is no target: did you mean @sandbox? (the targets are @twin, "
        "@sandbox, @live)",
        f"{path}:3: tag @chk-test-int-produtcs names no checklist item: did you mean "
        "@chk-test-int-products? (harness/checklist.toml lists the items)",
        f"{path}:7: tag @Live is no target: did you mean @live? (the targets are @twin, "
        "@sandbox, @live)",
        f"{path}:7: tag @chk-no-such-item names no checklist item (harness/checklist.toml lists "
        "the items)",
    ]


def test_a_tag_close_to_a_target_or_naming_no_checklist_item_is_reported(tmp_path: Path) -> None:
    path = qa_feature(tmp_path, MISTAGGED)

    result = check_features([path])

    assert result.unknown == ()
    # a team's own tag is theirs (@qa-own), and so is one a target's name is only part of a
    # word of (@lively)
    assert result.messages() == mistagged_messages(path)


def test_the_command_fails_on_a_mistyped_tag(tmp_path: Path) -> None:
    path = qa_feature(tmp_path, MISTAGGED)

    done = harness("steps", "--check", str(path))

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        *mistagged_messages(path),
        "2 steps in 2 scenarios: all known, 6 problems",
    ]


def test_a_run_with_a_mistyped_tag_stops_before_anything_runs(tmp_path: Path) -> None:
    folder = tmp_path / "qa"
    folder.mkdir()
    path = qa_feature(folder, MISTAGGED)
    reports = tmp_path / "reports"

    done = harness("run", "--features", str(folder), "--report-dir", str(reports))

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        *mistagged_messages(path),
        "g2a-harness run: 6 step(s) or tag(s) cannot run as written (g2a-harness steps --check "
        "lists them); nothing ran",
    ]
    assert not reports.exists()


SELECTED_APART = (
    MISTAGGED
    + """
  @twin @qa-good
  Scenario: A clean read
    When QA lists the first page of products

  @twin @qa-wip
  Scenario: Work in progress
    When QA ordrs product 10000068865001

  @sandbox @qa-wip
  Scenario: A twin fault on the sandbox
    Given the twin refuses the next product list request with HTTP 400 and code BR02
"""
)


def test_a_tag_flag_stops_any_run_and_a_step_flag_only_one_selecting_its_scenario(
    tmp_path: Path,
) -> None:
    """A misread tag is what drops a scenario from the selection it was meant for, so it stops
    every run; an unknown step, or one its target does not allow, only stops a run that
    selects its scenario (as Cucumber and behave check only what they run)."""
    path = qa_feature(tmp_path, SELECTED_APART)
    every = check_features([path])
    unknown = f'{path}:17: unknown step "When QA ordrs product 10000068865001"'
    steps = [m for m in every.messages() if not m.split(": ", 2)[1].startswith("tag @")]

    good = check_features([path], scenario_filter("twin", "qa-good"))
    wip = check_features([path], scenario_filter("twin", "qa-wip"))

    assert every.messages()[:6] == mistagged_messages(path)
    assert [m.split(": ")[0] for m in steps] == [f"{path}:17", f"{path}:21"]
    assert steps[0].startswith(unknown)
    assert good.messages() == mistagged_messages(path)
    assert good.warnings == tuple(steps)
    # on the twin, @qa-wip selects the unknown step's scenario, not the @sandbox one
    assert wip.messages() == [*mistagged_messages(path), steps[0]]
    assert wip.warnings == (steps[1],)
    # no selection (`steps --check`): everything stops the run, nothing is a warning
    assert every.warnings == ()


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param(("--tags", "@qa-good"), id="tags"),
        # `-k` leaves scenarios out as `--tags` does: pytest's own collection says which (it
        # matches the names pytest gives the tests)
        pytest.param(("--tags", "@qa-own", "-k", "clean"), id="k"),
    ],
)
def test_a_run_warns_of_step_flags_outside_its_selection_and_runs_it(
    tmp_path: Path, selection: tuple[str, ...]
) -> None:
    # SELECTED_APART's last three scenarios, under a Feature line without flags
    text = "@qa-own\nFeature: Mistagged\n" + SELECTED_APART.split("\n\n", 2)[2]
    path, done, reports = run_qa_feature(tmp_path, text, *selection)

    assert done.returncode == 0, done.stdout + done.stderr
    warned = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert [line.split(": ")[1] for line in warned] == [f"{path}:{n}" for n in (9, 13)]
    assert (
        "g2a-harness run: 2 step(s) of scenarios this run does not select cannot run as written "
        "(the warnings above); the selection runs"
    ) in done.stderr
    results = (reports / "results.jsonl").read_text(encoding="utf-8")
    assert '"name": "Mistagged: A clean read", "feature": "Mistagged", "outcome": "passed"' in (
        results
    )


SANDBOX_TYPO = """\
Feature: Meant for the sandbox
  @Sandbox @qa-sb
  Scenario: Products on the sandbox
    When QA lists the first page of products

  @sandbox @qa-sb
  Scenario: Also on the sandbox
    When QA lists the first page of products
"""


def test_a_tag_typo_that_drops_a_scenario_from_the_selection_stops_the_run(
    tmp_path: Path,
) -> None:
    """`@Sandbox` leaves its scenario out of a sandbox run: the typo must not pass silently
    just because the run (by that very typo) does not select the scenario."""
    path, done, reports = run_qa_feature(
        tmp_path, SANDBOX_TYPO, "--target", "sandbox", "--tags", "@qa-sb"
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"{path}:2: tag @Sandbox is no target: did you mean @sandbox? (the targets are @twin, "
        "@sandbox, @live)",
        "g2a-harness run: 1 step(s) or tag(s) cannot run as written (g2a-harness steps --check "
        "lists them); nothing ran",
    ]
    assert not reports.exists()


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        (
            "@twin @chk-no-such-item\nFeature: Only a Feature line\n",
            "no scenario in {path}: nothing was checked",
        ),
        (
            "@twin\nFeature: Rules\n  @chk-no-such-item\n  Rule: Nothing here yet\n\n"
            "  Rule: Reads\n    Scenario: A read\n"
            "      When QA lists the first page of products\n",
            "1 step in 1 scenario: all known, 1 problem",
        ),
    ],
)
def test_a_flagged_tag_of_a_feature_or_rule_without_scenarios_is_reported(
    tmp_path: Path, text: str, summary: str
) -> None:
    path = qa_feature(tmp_path, text)
    line = text.splitlines().index(next(s for s in text.splitlines() if "@chk" in s)) + 1

    done = harness("steps", "--check", str(path))

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{path}:{line}: tag @chk-no-such-item names no checklist item (harness/checklist.toml "
        "lists the items)",
        summary.format(path=path),
    ]


TARGETED_TEAM_TAGS = """\
@qa-first
Feature: A team's own tags next to a real target tag
  @twin @nosandbox
  Scenario: A twin-only fault
    When QA lists the first page of products

  @twin @alive @olive @lived @lives @twins @twin2 @live2 @win @tin @give @love @life
  Scenario: Tags built on a target's name
    When QA lists the first page of products

  @sandbox2 @sandboxes @sandbox-2 @live_smoke @twin-first
  Rule: A rule's tags with a target on each of its scenarios

    @twin
    Scenario: On the twin
      When QA lists the first page of products

    Scenario Outline: On the twin by its Examples
      When QA looks up product <id>

      @twin
      Examples:
        | id             |
        | 10000027819004 |
"""


def test_a_tag_close_to_a_target_is_left_alone_when_the_scenario_has_a_target(
    tmp_path: Path,
) -> None:
    path = qa_feature(tmp_path, TARGETED_TEAM_TAGS)

    assert check_features([path]).messages() == []


ONLY_ELSEWHERE = """\
@qa-first
Feature: A tag saying one target only, on a scenario tagged for another
  @twin @sandbox-only
  Scenario: Sandbox only, on the twin
    When QA lists the first page of products

  @live_only
  Rule: Live only, on the twin and the sandbox

    @twin @sandbox
    Scenario: On both
      When QA lists the first page of products

  @sandbox @sandbox-only @twin-only
  Scenario: Sandbox only, on the sandbox; twin only, not on the twin
    When QA lists the first page of products

  @twin @not-sandbox-only @sandbox-first
  Scenario: Ruled out, or not only
    When QA lists the first page of products
"""


def test_a_tag_saying_one_target_only_is_reported_where_the_scenario_is_tagged_for_others(
    tmp_path: Path,
) -> None:
    """`@twin @sandbox-only`: never run on the sandbox, whatever the tag says."""
    path = qa_feature(tmp_path, ONLY_ELSEWHERE)

    assert check_features([path]).messages() == [
        f"{path}:3: tag @sandbox-only is no target: the scenario is tagged @twin, so it never "
        "runs on the sandbox (tag it @sandbox instead?)",
        f"{path}:7: tag @live_only is no target: the scenario is tagged @twin @sandbox, so it "
        "never runs on live (tag it @live instead?)",
        f"{path}:14: tag @twin-only is no target: the scenario is tagged @sandbox, so it never "
        "runs on the twin (tag it @twin instead?)",
    ]


def untargeted(feature_tags: str, scenario_tags: str, examples_tags: str) -> str:
    """A feature with these tags on its line 1, on line 7 (a scenario with no target tag of
    its own) and on line 19 (the Examples table of an Outline whose other table is `@twin`)."""
    return f"""\
{feature_tags}
Feature: Target-like tags where a scenario has no target
  @twin
  Scenario: Targeted
    When QA lists the first page of products

  {scenario_tags}
  Scenario: Untargeted
    When QA lists the first page of products

  Scenario Outline: Targeted by one Examples table only
    When QA looks up product <id>

    @twin
    Examples:
      | id             |
      | 10000027819004 |

    {examples_tags}
    Examples:
      | id             |
      | 10000068865001 |
"""


TARGETS_SHOWN = "(the targets are @twin, @sandbox, @live)"


def test_a_tag_close_to_a_target_is_reported_where_a_scenario_carrying_it_has_none(
    tmp_path: Path,
) -> None:
    path = qa_feature(tmp_path, untargeted("@twim", "@sanbox", "@lives"))

    assert check_features([path]).messages() == [
        f"{path}:1: tag @twim is no target: did you mean @twin? {TARGETS_SHOWN}",
        f"{path}:7: tag @sanbox is no target: did you mean @sandbox? {TARGETS_SHOWN}",
        f"{path}:19: tag @lives is no target: did you mean @live? {TARGETS_SHOWN}",
    ]


def _runs_on_the_twin(path: Path, line: int, tag: str, meant: str) -> str:
    return (
        f"{path}:{line}: tag {tag} is no target: the scenario has no target tag, so it runs on "
        f"the twin only (add {meant}?)"
    )


def test_a_team_tag_built_on_a_target_is_reported_where_a_scenario_carrying_it_has_none(
    tmp_path: Path,
) -> None:
    tags = (
        "@live_smoke @qa-first",
        "@sandbox-only @twin_or-live @Live-Not-Sandbox",
        "@sandbox-only",
    )
    path = qa_feature(tmp_path, untargeted(*tags))

    assert check_features([path]).messages() == [
        _runs_on_the_twin(path, 1, "@live_smoke", "@live"),
        _runs_on_the_twin(path, 7, "@sandbox-only", "@sandbox"),
        _runs_on_the_twin(path, 7, "@twin_or-live", "@twin or @live"),
        # the target it rules out is not suggested
        _runs_on_the_twin(path, 7, "@Live-Not-Sandbox", "@live"),
        _runs_on_the_twin(path, 19, "@sandbox-only", "@sandbox"),
    ]


# A checklist item; tags ruling a target out (a negation word before its name, apart or joined);
# tags naming the twin alone. Each keeps an untargeted scenario on the twin, as its author meant.
KEEP_TO_THE_TWIN = (
    "@chk-env-sandbox-default @skip-live @no-live @not_sandbox @non-twin @without-live",
    "@Except-Sandbox @nosandbox @skip-on-live @twin-first @twin_only @Twin-First",
    "@chk-env-sandbox-default @no-twin-or-live @twin-not-live",
)


def test_a_checklist_item_a_ruled_out_target_or_the_twin_alone_is_no_target_like_tag(
    tmp_path: Path,
) -> None:
    path = qa_feature(tmp_path, untargeted(*KEEP_TO_THE_TWIN))

    assert check_features([path]).messages() == []


CHECKLIST_LIKE = """\
@twin
Feature: Checklist tags written another way
  @Chk-test-int-products @CHK-test-int-products
  Scenario: Capitals
    When QA lists the first page of products

  @chk_test-int-products @chktest-int-products @chk_test_int_products
  Scenario: Another separator or none
    When QA lists the first page of products

  @chkfoo @chk @check-me @chk-test-int-products
  Scenario: A letter after chk, a bare chk, another word, a real item
    When QA lists the first page of products
"""
LISTS_THEM = "(harness/checklist.toml lists the items)"


def test_a_tag_written_as_a_checklist_tag_is_reported_unless_it_is_one(tmp_path: Path) -> None:
    path = qa_feature(tmp_path, CHECKLIST_LIKE)
    meant = f"did you mean @chk-test-int-products? {LISTS_THEM}"

    assert check_features([path]).messages() == [
        f"{path}:3: tag @Chk-test-int-products names no checklist item: {meant}",
        f"{path}:3: tag @CHK-test-int-products names no checklist item: {meant}",
        f"{path}:7: tag @chk_test-int-products names no checklist item: {meant}",
        f"{path}:7: tag @chktest-int-products names no checklist item: {meant}",
        f"{path}:7: tag @chk_test_int_products names no checklist item: {meant}",
        f"{path}:11: tag @chkfoo names no checklist item {LISTS_THEM}",
    ]


SMOKE_LIKE = """\
@twin
Feature: Smoke tags written another way
  @smok @Smoke
  Scenario: A letter missed, a capital
    When QA lists the first page of products

  @smoek @SMOKE @smoke
  Scenario: Next to the real tag
    When QA lists the first page of products

  @qa-smoke @smoke-wip @nosmoke @no-smoke @smokey @store @some @snake @smile
  Rule: Team tags built on the word

    Scenario: Left alone, but for a typo
      When QA lists the first page of products

    @smoke
    Scenario: Tagged for the smoke suite
      When QA lists the first page of products
"""
NOT_SMOKE = (
    "is not @smoke: did you mean @smoke? (--suite smoke runs the scenarios tagged @smoke, the "
    "short path; this one it leaves out)"
)


def test_a_tag_close_to_smoke_is_reported_where_a_scenario_carrying_it_is_not_smoke(
    tmp_path: Path,
) -> None:
    """`@smok`, `@Smoke` would leave the scenario out of `--suite smoke`, as `@sanbox` leaves
    it on the twin: reported by the same rule, where a scenario carrying it has no `@smoke`."""
    path = qa_feature(tmp_path, SMOKE_LIKE)

    assert check_features([path]).messages() == [
        f"{path}:3: tag @smok {NOT_SMOKE}",
        f"{path}:3: tag @Smoke {NOT_SMOKE}",
        f"{path}:11: tag @smokey {NOT_SMOKE}",
    ]


AREA_LIKE = """\
@twin @webhoks
Feature: Area tags written another way
  @product @Health
  Scenario: A letter missed, a capital
    When QA lists the first page of products

  @order @orders @qa-products @noproducts @wealthy @auths
  Scenario: Next to the real tag, a team's tags, two edits off
    When QA lists the first page of products
"""


def test_a_tag_one_edit_from_an_area_s_tag_is_reported_as_a_smoke_typo_is(tmp_path: Path) -> None:
    """Found by a QA walkthrough: `@webhoks` passed `--check` silently, and `--tags @webhooks`
    then left the scenario out. `@auths` is one edit from `@auth` alone; `@wealthy` is two
    from `@health`."""
    path = qa_feature(tmp_path, AREA_LIKE)

    def meant(area: str) -> str:
        return (
            f"is not @{area}: did you mean @{area}? (--tags @{area} selects the scenarios tagged "
            f"@{area}; this one it leaves out)"
        )

    assert check_features([path]).messages() == [
        f"{path}:1: tag @webhoks {meant('webhooks')}",
        f"{path}:3: tag @product {meant('products')}",
        f"{path}:3: tag @Health {meant('health')}",
        f"{path}:7: tag @auths {meant('auth')}",
    ]


def test_a_comment_after_the_tags_of_a_line_is_not_checked(tmp_path: Path) -> None:
    path = qa_feature(
        tmp_path,
        "Feature: Commented tags\n  @twin # was @sanbox before, and @chk-nothing\n"
        "  Scenario: S\n    When QA lists the first page of products\n",
    )

    assert check_features([path]).messages() == []


PYTEST_MARK_TAGS = """\
@qa-marks @filterwarnings
Feature: pytest's own marks as tags
  @twin @skip @skipif
  Scenario: Skipped by its tags
    When QA lists the first page of products

  @twin @xfail
  Scenario: Expected to fail by its tag
    When QA lists the first page of products

  @usefixtures
  Rule: A rule pytest would collect nothing under

    @twin @parametrize
    Scenario: Parametrized by its tag
      When QA lists the first page of products
"""


def pytest_mark_messages(path: Path) -> list[str]:
    def flagged(line: int, tag: str, effect: str) -> str:
        return (
            f"{path}:{line}: tag @{tag} is one of pytest's own marks: pytest would apply it "
            f"({effect}); choose another tag"
        )

    return [
        flagged(1, "filterwarnings", "to no effect, as a tag gives it no filter"),
        flagged(3, "skip", "skip the scenario"),
        flagged(3, "skipif", "skip the scenario"),
        flagged(7, "xfail", "count the scenario's failure as xfailed"),
        flagged(11, "usefixtures", "stop the collection of every scenario"),
        flagged(14, "parametrize", "stop the collection of every scenario"),
    ]


PLUGIN_MARK_TAGS = """\
@qa-marks @twin
Feature: Tags that are plugins' marks
  @anyio
  Scenario: Tagged with a plugin's mark
    When QA lists the first page of products

  @slow
  Scenario: Tagged with a mark of the project's configuration
    When QA lists the first page of products
"""


def plugin_mark_messages(path: Path) -> list[str]:
    return [
        f"{path}:3: tag @anyio is a mark registered with pytest in this run (mark the "
        "(coroutine function) test to be run asynchronously via anyio.): pytest would apply it "
        "to the scenario; choose another tag",
        f"{path}:7: tag @slow is a mark registered with pytest in this run (takes more than a "
        "few seconds): pytest would apply it to the scenario; choose another tag",
    ]


# A feature whose tags pytest knows as marks, the messages naming them, and how many steps
# `steps --check` reads and how many problems it and `run` report.
MARK_TAGS = {
    "pytest's own marks": (PYTEST_MARK_TAGS, pytest_mark_messages, 3, 6),
    "marks a plugin or the project registers": (PLUGIN_MARK_TAGS, plugin_mark_messages, 2, 2),
}


@pytest.mark.parametrize("marks", MARK_TAGS)
def test_a_tag_named_after_a_mark_pytest_knows_is_reported(tmp_path: Path, marks: str) -> None:
    """pytest-bdd turns a tag into the mark of its name: `@skip` would skip the scenario
    silently, `@xfail` count its failure as xfailed, `@usefixtures` stop the collection, and a
    registered mark (`@anyio`, the project's `@slow`) would be applied to the scenario."""
    text, messages, steps, problems = MARK_TAGS[marks]
    path = qa_feature(tmp_path, text)

    done = harness("steps", "--check", str(path))

    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        *messages(path),
        f"{steps} steps in {steps} scenarios: all known, {problems} problems",
    ]


@pytest.mark.parametrize("marks", MARK_TAGS)
def test_a_run_with_a_tag_named_after_a_mark_pytest_knows_stops_before_anything_runs(
    tmp_path: Path, marks: str
) -> None:
    text, messages, _, problems = MARK_TAGS[marks]
    path, done, reports = run_qa_feature(tmp_path, text, "--tags", "@qa-marks")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        *messages(path),
        f"g2a-harness run: {problems} step(s) or tag(s) cannot run as written (g2a-harness "
        "steps --check lists them); nothing ran",
    ]
    assert not reports.exists()


TAG_TYPO_AND_WIP = """\
Feature: A tag typo and a step flag, neither selected
  @twin @qa-good
  Scenario: A clean read
    When QA lists the first page of products

  @sanbox @qa-other
  Scenario: A typo tag outside the selection
    When QA lists the first page of products

  @twin @qa-wip
  Scenario: Work in progress
    When QA ordrs product 10000068865001
"""


def test_a_run_refused_for_a_tag_still_warns_of_step_flags_outside_its_selection(
    tmp_path: Path,
) -> None:
    path, done, reports = run_qa_feature(tmp_path, TAG_TYPO_AND_WIP, "--tags", "@qa-good")

    assert done.returncode == 2, done.stdout + done.stderr
    assert [line.split("; did you mean ")[0] for line in done.stderr.splitlines()] == [
        f'warning: {path}:12: unknown step "When QA ordrs product 10000068865001"',
        f"{path}:6: tag @sanbox is no target: did you mean @sandbox? (the targets are @twin, "
        "@sandbox, @live)",
        "g2a-harness run: 1 step(s) or tag(s) cannot run as written (g2a-harness steps --check "
        "lists them); nothing ran",
    ]
    assert not reports.exists()


def test_a_flagged_step_in_a_scenario_k_keeps_stops_the_run(tmp_path: Path) -> None:
    text = "@qa-own\nFeature: Mistagged\n" + SELECTED_APART.split("\n\n", 2)[2]
    path, done, reports = run_qa_feature(tmp_path, text, "--tags", "@qa-own", "-k", "progress")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == f"warning: {path}:13: " + (
        'step "Given the twin refuses the next product list request with HTTP 400 and code BR02" '
        "runs only on twin, but the scenario is tagged for sandbox: tag it @twin only"
    )
    assert done.stderr.splitlines()[1].startswith(
        f'{path}:9: unknown step "When QA ordrs product 10000068865001"'
    )
    assert done.stderr.splitlines()[-1] == (
        "g2a-harness run: 1 step(s) or tag(s) cannot run as written (g2a-harness steps --check "
        "lists them); nothing ran"
    )
    assert not reports.exists()


def test_a_k_expression_with_call_parameters_stops_the_run_before_pytest_collects(
    tmp_path: Path,
) -> None:
    """pytest reads `-k 'good(x=1)'` and refuses it only once it matches a test: the run
    refuses it first, as a `-k` pytest cannot read, flagged steps or not."""
    text = "@qa-own\nFeature: Mistagged\n" + SELECTED_APART.split("\n\n", 2)[2]
    _, done, reports = run_qa_feature(tmp_path, text, "--tags", "@qa-own", "-k", "good(x=1)")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "g2a-harness run: not a -k expression: 'good(x=1)' (keyword expressions do not support "
        "call parameters at column 5); -k takes words of test names joined by and, or, not, as "
        "in -k 'price and limit', with _ for a space inside a name: -k 'price_limit'"
    ]
    assert not reports.exists()


def test_a_run_refused_for_a_tag_does_not_collect_for_its_k(tmp_path: Path) -> None:
    """A tag refuses the run whatever `-k` keeps: pytest's collection is not asked, so a step
    flagged in a scenario the `-k` would leave out is reported, not warned of."""
    path, done, reports = run_qa_feature(tmp_path, TAG_TYPO_AND_WIP, "-k", "good")

    assert done.returncode == 2, done.stdout + done.stderr
    assert [line.split("; did you mean ")[0] for line in done.stderr.splitlines()] == [
        f"{path}:6: tag @sanbox is no target: did you mean @sandbox? (the targets are @twin, "
        "@sandbox, @live)",
        f'{path}:12: unknown step "When QA ordrs product 10000068865001"',
        "g2a-harness run: 2 step(s) or tag(s) cannot run as written (g2a-harness steps --check "
        "lists them); nothing ran",
    ]
    assert not reports.exists()


def test_a_folder_named_like_a_feature_file_is_searched_and_its_scenarios_run(
    tmp_path: Path,
) -> None:
    """pytest-bdd searches a folder named `more.feature/` for feature files; the plugin, which
    reads every feature file's tags as pytest starts, read the folder as a file and ended every
    pytest start in an INTERNALERROR (IsADirectoryError). Now the scenarios in it run, chosen
    by their tag, and `steps --check` checks them."""
    nested = tmp_path / "qa" / "more.feature"
    nested.mkdir(parents=True)
    original = (ROOT / "features" / "health.feature").read_text(encoding="utf-8")
    (nested / "health_copy.feature").write_text("@qa-nested " + original, encoding="utf-8")

    done = _pytest_over(tmp_path / "qa", "tests/bdd", "-m", "qa-nested")

    scenarios = original.count("\n  Scenario")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1].startswith(f"{scenarios} passed, ")
    checked = harness("steps", "--check", str(tmp_path / "qa"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


CASED = (
    "@twin @qa-cased\nFeature: {name}\n  Scenario: {name}\n"
    "    When QA lists the first page of products\n"
)


def test_a_feature_file_named_in_another_case_is_named_not_left_out(tmp_path: Path) -> None:
    """pytest-bdd finds only `*.feature` files in a folder: a `.Feature` beside them was left
    out without a word (`steps --check`: "all known"; a run ran the others). The check, the
    run and pytest's collection now name it and say to rename it."""
    folder = tmp_path / "qa"
    folder.mkdir()
    (folder / "read.feature").write_text(CASED.format(name="Read"), encoding="utf-8")
    (folder / "Orders.Feature").write_text(CASED.format(name="Orders"), encoding="utf-8")
    named = (
        f"{folder / 'Orders.Feature'}: named .Feature, which no run reads (pytest-bdd finds "
        "only files ending in .feature, lower case): rename it Orders.feature"
    )

    checked = harness("steps", "--check", str(folder))
    reports = tmp_path / "reports"
    ran = harness(
        "run", "--tags", "@qa-cased", "--features", str(folder), "--report-dir", str(reports)
    )

    assert (checked.returncode, checked.stdout.splitlines()) == (1, [named])
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stderr.splitlines() == [
        named,
        "g2a-harness run: 1 feature file(s) cannot run as written; nothing ran",
    ]
    assert not reports.exists()
    collected = _pytest_over(folder, "tests/bdd", "--collect-only")
    assert _collection_errors(collected.stdout) == {"tests/bdd/test_features.py": [named]}
