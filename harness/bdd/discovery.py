"""Which feature files run, and which scenarios a selection keeps.

`tests/bdd/test_features.py` binds every scenario of `features/**/*.feature` plus each folder
named in `G2A_FEATURES` (os.pathsep-separated; `g2a-harness run --features DIR` sets it), so a
new feature file runs without any Python. Gherkin tag expressions map onto pytest's `-m`,
`scenario_filter` tells, from its tags, whether a run keeps a scenario, and `kept_by_keyword`
asks pytest's collection which scenarios a `-k` keeps.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import pairwise, takewhile
from pathlib import Path

from harness.project import project_root
from harness.targets import allowed_on

FEATURES_ENV = "G2A_FEATURES"
FEATURE_SUFFIX = ".feature"
_TAG_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"and", "or", "not"}
_TAG = re.compile(r"@?[A-Za-z0-9_][\w.\-]*")
# The marks of pytest, pytest-bdd and pytest-recording (a harness dependency, so loaded in every
# run), with what pytest does to a scenario tagged with one: `-m` would select by them
# (pytest-bdd marks an Outline's rows `parametrize`), though no feature file's tag is meant, and
# pytest-bdd turns such a tag into the mark itself.
PYTEST_MARKS = {
    "parametrize": "stop the collection of every scenario",
    "usefixtures": "stop the collection of every scenario",
    "skip": "skip the scenario",
    "skipif": "skip the scenario",
    "xfail": "count the scenario's failure as xfailed",
    "filterwarnings": "to no effect, as a tag gives it no filter",
    "vcr": "replay the scenario from a cassette it does not have, failing it",
    "block_network": "cut the scenario off the network, the twin included",
    "default_cassette": "name a cassette for the scenario",
    "allowed_hosts": "cut the scenario off every host",
}


# A scenario as it runs, the same whether read from a collected test or from its feature file:
# the feature file (resolved), the line of its `Scenario:`, its Examples row's values (sorted).
ScenarioKey = tuple[str, int, tuple[tuple[str, str], ...]]


def scenario_key(filename: str, line: int, row: Mapping[str, str]) -> ScenarioKey:
    """The `ScenarioKey` of the scenario at `line` of `filename`, run with Examples `row`."""
    return str(Path(filename).resolve()), line, tuple(sorted(row.items()))


class SelectionError(ValueError):
    """A tag expression or features folder that cannot be used."""


def repo_features() -> Path:
    return project_root() / "features"


def feature_dirs(environ: Mapping[str, str] | None = None) -> list[str]:
    """The repository's features folder, then every existing folder named in G2A_FEATURES."""
    env = os.environ if environ is None else environ
    extra = [Path(p).resolve() for p in env.get(FEATURES_ENV, "").split(os.pathsep) if p]
    missing = [str(p) for p in extra if not p.is_dir()]
    if missing:
        raise SelectionError(f"no features folder at {', '.join(missing)}")
    return [str(p) for p in dict.fromkeys([repo_features(), *extra])]


def marker_expression(tags: str, marks: Callable[[], Mapping[str, str]] | None = None) -> str:
    """A Gherkin tag expression (`@smoke and not @webhooks`) as a pytest `-m` expression;
    pytest's own marks (`PYTEST_MARKS`) are refused as tags, and so are those of pytest's
    plugins and the project's configuration (`@anyio`) given `marks` (the run's: `pytest_marks`,
    asked only of a name that is none of the plugin's own tags)."""
    tokens = _TAG_TOKEN.findall(tags)
    if not tokens:
        raise SelectionError("empty tag expression")
    words = []
    for token in tokens:
        name = token.removeprefix("@")
        if token in "()" or token in _OPERATORS:
            words.append(token)
        elif (mark := _mark_named(name, marks)) is not None:
            raise SelectionError(
                f"not a tag in {tags!r}: @{name} {mark}, which no tag expression can select"
            )
        elif _TAG.fullmatch(token):
            words.append(name)
        else:
            raise SelectionError(f"not a tag in {tags!r}: {token!r}")
    expression = " ".join(words)
    try:  # read once: operands joined by `and`/`or`, each perhaps under `not`, balanced
        _MarkerMatch(expression, frozenset()).value()
    except SelectionError:
        raise SelectionError(
            f"not a tag expression: {tags!r} (e.g. '@smoke and not @webhooks')"
        ) from None
    return expression


def _mark_named(name: str, marks: Callable[[], Mapping[str, str]] | None) -> str | None:
    """What mark `name` is (`is one of pytest's own marks (…)`), or None for a tag."""
    from harness.bdd.plugin import own_tags

    if name in PYTEST_MARKS:
        return f"is one of pytest's own marks ({', '.join(PYTEST_MARKS)})"
    if marks is None or name in own_tags() or name not in (registered := marks()):
        return None
    return f"is a mark registered with pytest in this run ({registered[name]})"


def keyword_expression(keyword: str) -> str:
    """A `-k` expression, refused (`SelectionError`, with a hint) when pytest cannot read it
    (`Expression.compile`, which pytest's own `-k` reads it with once the run's pytest has
    collected every test) or reads a call with parameters in it (`name(x=1)`, which `-m`
    takes and `-k` refuses only as it matches a test), so that a bad `-k` is refused before
    any run starts."""
    from _pytest.mark.expression import Expression

    try:
        Expression.compile(keyword.lstrip())  # pytest strips the start of `-k` too
        _no_call(keyword.lstrip())
    except SyntaxError as exc:
        raise SelectionError(
            f"not a -k expression: {keyword!r} ({exc.msg} at column {exc.offset}); -k takes "
            "words of test names joined by and, or, not, as in -k 'price and limit', with _ "
            "for a space inside a name: -k 'price_limit'"
        ) from None
    return keyword


def _no_call(keyword: str) -> None:
    """A SyntaxError at the first call with parameters of a `-k` pytest can read: a name then
    `(`, as pytest's parser reads a call."""
    from _pytest.mark.expression import Scanner, TokenType

    for name, after in pairwise(Scanner(keyword).lex(keyword)):
        if name.type is TokenType.IDENT and after.type is TokenType.LPAREN:
            raise SyntaxError(
                "keyword expressions do not support call parameters",
                ("<-k>", 1, after.pos + 1, keyword),
            )


def scenario_filter(target: str, markers: str | None) -> Callable[[frozenset[str]], bool]:
    """Whether a run on `target` selecting `markers` (a pytest `-m` expression, such as
    `marker_expression` writes) keeps a scenario with these tags (without their `@`): the
    target allows it, as the plugin decides, and its tags satisfy `markers`, as `-m` decides
    (`not` binds first, then `and`, then `or`)."""

    def keeps(tags: frozenset[str]) -> bool:
        if not allowed_on(target, tags)[0]:
            return False
        return markers is None or _MarkerMatch(markers, tags).value()

    return keeps


def keeps_untagged(markers: str | None) -> bool:
    """Whether a `-m` expression (such as `marker_expression` writes) keeps a test without
    tags, as the contract suite's tests are: `@qa` does not, `not @qa-wip` does."""
    return markers is None or _MarkerMatch(markers, frozenset()).value()


def kept_by_keyword(
    target: str, markers: str | None, keyword: str, environ: Mapping[str, str]
) -> frozenset[ScenarioKey]:
    """The scenarios a run on `target` keeps under `-m markers -k keyword`, as pytest's own
    collection of `tests/bdd` (in `environ`) keeps them: `-k` matches the names pytest gives a
    test, its module's and folders' too, which only a collection knows. A `SelectionError`
    with pytest's reason when it cannot collect (a `-k` it refuses)."""
    with tempfile.TemporaryDirectory(prefix="g2a-harness-kept-") as folder:
        kept = Path(folder) / "kept.json"
        selection = [*(["-m", markers] if markers else []), "-k", keyword]
        args = ["tests/bdd", "--co", "-q", f"--target={target}", *selection, f"--g2a-kept={kept}"]
        done = _pytest(args, environ, f"collect with -k {keyword!r}")
        if done.returncode not in (0, 5) or not kept.is_file():  # 5: -k kept no test
            raise SelectionError(f"pytest could not collect with -k {keyword!r}: {_reason(done)}")
        listed = json.loads(kept.read_text(encoding="utf-8"))
    return frozenset((path, line, tuple((k, v) for k, v in row)) for path, line, row in listed)


def pytest_marks(environ: Mapping[str, str]) -> dict[str, str]:
    """The marks registered with pytest in a run of the scenarios (in `environ`): by pytest,
    its plugins, the project's configuration (`registered_marks`, from `pytest --markers`), but
    not the feature files' tags that the harness's plugin registers."""
    from harness.bdd.plugin import plugin_markers

    done = _pytest(["--markers"], environ, "list its marks")
    if done.returncode != 0:
        raise SelectionError(f"pytest could not list its marks: {_reason(done)}")
    own = plugin_markers(feature_dirs(environ))
    prefix = "@pytest.mark."
    lines = (
        line.removeprefix(prefix) for line in done.stdout.splitlines() if line.startswith(prefix)
    )
    return registered_marks(line for line in lines if line not in own)


# how long a pytest started only to collect or list its marks may take (it takes seconds)
PYTEST_TIMEOUT_SECONDS = 120.0


def _pytest(
    args: list[str], environ: Mapping[str, str], doing: str
) -> subprocess.CompletedProcess[str]:
    """pytest with the harness's plugin and `args`, in the project (its configuration)."""
    from harness.bdd import PYTEST_PLUGIN_ARGS

    command = [sys.executable, "-m", "pytest", *PYTEST_PLUGIN_ARGS, "-p", "no:cacheprovider"]
    try:
        return subprocess.run(
            [*command, *args], cwd=project_root(), env=dict(environ), capture_output=True,
            text=True, check=False, timeout=PYTEST_TIMEOUT_SECONDS,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SelectionError(
            f"pytest could not {doing}: no answer in {PYTEST_TIMEOUT_SECONDS:g} s"
        ) from None


def _reason(done: subprocess.CompletedProcess[str]) -> str:
    """pytest's first `ERROR:` line, without it; else the last line it wrote."""
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    return (errors or lines[-1:] or [f"exit code {done.returncode}"])[0]


class _MarkerMatch:
    """One reading of a `-m` expression against a scenario's tags."""

    def __init__(self, markers: str, tags: frozenset[str]) -> None:
        self.markers, self.tags = markers, tags
        self.tokens = _TAG_TOKEN.findall(markers)
        self.at = 0

    def value(self) -> bool:
        value = self._either()
        if self.at != len(self.tokens):
            raise self._refusal()
        return value

    def _either(self) -> bool:
        value = self._both()
        while self._next() == "or":
            self.at += 1
            value = self._both() or value
        return value

    def _both(self) -> bool:
        value = self._operand()
        while self._next() == "and":
            self.at += 1
            value = self._operand() and value
        return value

    def _operand(self) -> bool:
        token = self._next()
        self.at += 1
        if token == "not":
            return not self._operand()
        if token == "(":
            value = self._either()
            if self._next() != ")":
                raise self._refusal()
            self.at += 1
            return value
        if token is None or token in (")", "and", "or"):
            raise self._refusal()
        return token in self.tags

    def _next(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _refusal(self) -> SelectionError:
        return SelectionError(f"not a marker expression: {self.markers!r}")


def feature_files_below(folder: Path) -> list[Path]:
    """The feature files below `folder`, sorted, found as pytest-bdd finds them given a folder
    (`glob`'s `**/*.feature`): names starting with a dot are left out, symlinked folders are
    followed, and a folder named like a feature file (`more.feature/`) is searched, not read.
    `folder`'s own name is taken as written, `[`, `*` and `?` included."""
    return _files_below(folder, "*.feature")


def misnamed_feature_files_below(folder: Path) -> list[Path]:
    """The files below `folder` whose name ends in `.feature` but for its case (`.Feature`,
    `.FEATURE`), sorted: pytest-bdd, given a folder, leaves them out, so no run would."""
    found = _files_below(folder, "*.[Ff][Ee][Aa][Tt][Uu][Rr][Ee]")
    return [path for path in found if path.suffix != FEATURE_SUFFIX]


def _files_below(folder: Path, pattern: str) -> list[Path]:
    """The files below `folder` (recursively, symlinked folders followed, names starting with a
    dot left out) whose name matches `pattern`, sorted."""
    found = glob.glob(os.path.join(glob.escape(str(folder)), "**", pattern), recursive=True)
    return sorted(Path(path) for path in found if os.path.isfile(path))


def feature_tags(folders: list[str]) -> set[str]:
    """Every `@tag` of the feature files in these folders (registered as pytest markers)."""
    return {
        tag
        for folder in folders
        for path in feature_files_below(Path(folder))
        for tag in tagged(path)
    }


def tags_nowhere(expression: str, folders: list[str]) -> dict[str, str | None]:
    """Each tag a `-m` expression (`marker_expression`'s) asks for that no feature file of
    `folders` carries and the plugin gives no meaning, with the one carried tag it was likely
    meant to be (`qa-frist`: `qa-first`), else None; a tag it rules out (`not qa-wip`) is
    no question."""
    from harness.bdd.plugin import own_tags

    carried = sorted(feature_tags(folders) | own_tags())
    tokens = _TAG_TOKEN.findall(expression)
    named = [
        word
        for before, word in pairwise(["", *tokens])
        if word not in {"(", ")", *_OPERATORS} and before != "not"
    ]
    return {
        name: next(iter(difflib.get_close_matches(name, carried, n=1, cutoff=0.8)), None)
        for name in dict.fromkeys(named)
        if name not in carried
    }


def tagged(path: Path) -> Iterator[str]:
    """Each `@tag` of a feature file, without its `@`; a word starting with `#` starts a
    comment, which runs to the end of the line."""
    return (tag for _, tag in tagged_lines(path))


def tagged_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Each `@tag` of a feature file (as `tagged` reads them) with its line number; none of a
    file that is not UTF-8 text, which cannot run: the Gherkin check reports it
    (`harness.bdd.check.invalid_gherkin`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("@"):
            words = takewhile(lambda word: not word.startswith("#"), line.split())
            yield from ((number, w.removeprefix("@")) for w in words if w.startswith("@"))


def registered_marks(markers: Iterable[str]) -> dict[str, str]:
    """Mark name -> what its registration says, from pytest's `markers` ini lines
    (`config.getini("markers")`: `name(args): text`, read as pytest reads them), as pytest
    and its plugins registered them in this run."""
    marks = {}
    for line in markers:
        head, _, text = line.partition(":")
        marks[head.split("(", 1)[0].strip()] = text.strip() or "no description"
    return marks


def mark_tag_problems(folders: list[str], marks: Mapping[str, str]) -> list[str]:
    """`file:line: …` for each tag of the feature files in `folders` that is one of `marks`
    (those registered with pytest in a run: by pytest, its plugins, the project's
    configuration): pytest-bdd makes the tag that mark, and the mark does to the scenario what
    it does to a test (`@anyio`, `@xdist_group`); for pytest's own and pytest-recording's,
    `PYTEST_MARKS` says what."""
    root = project_root()
    problems = []
    for folder in folders:
        for path in feature_files_below(Path(folder)):
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            problems += [
                f"{shown}:{line}: tag @{tag} {problem}"
                for line, tag in tagged_lines(path)
                if (problem := mark_tag_problem(tag, marks)) is not None
            ]
    return problems


def mark_tag_problem(tag: str, marks: Mapping[str, str]) -> str | None:
    """Why a feature file's tag named after a mark cannot run, or None: pytest-bdd makes it
    that mark, which pytest applies (`@skip` skips the scenario, silently; `@anyio` runs it
    under anyio). `steps --check`, `run` and a plain pytest run word it alike."""
    if tag in PYTEST_MARKS:
        return (
            f"is one of pytest's own marks: pytest would apply it ({PYTEST_MARKS[tag]}); "
            "choose another tag"
        )
    if tag in marks:
        return (
            f"is a mark registered with pytest in this run ({marks[tag]}): pytest would apply "
            "it to the scenario; choose another tag"
        )
    return None
