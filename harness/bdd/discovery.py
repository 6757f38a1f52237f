"""Which feature files run, and which scenarios a selection keeps.

`tests/bdd/test_features.py` binds every scenario of `features/**/*.feature` plus each folder
named in `G2A_FEATURES` (os.pathsep-separated; `g2a-harness run --features DIR` sets it), so a
new feature file runs without any Python. Gherkin tag expressions map onto pytest's `-m`, and
`scenario_filter` tells, from its tags, whether a run keeps a scenario.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from itertools import takewhile
from pathlib import Path

from harness.project import project_root
from harness.targets import allowed_on

FEATURES_ENV = "G2A_FEATURES"
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


def marker_expression(tags: str) -> str:
    """A Gherkin tag expression (`@smoke and not @webhooks`) as a pytest `-m` expression;
    pytest's own marks (`PYTEST_MARKS`) are refused as tags."""
    tokens = _TAG_TOKEN.findall(tags)
    if not tokens:
        raise SelectionError("empty tag expression")
    words = []
    for token in tokens:
        name = token.removeprefix("@")
        if token in "()" or token in _OPERATORS:
            words.append(token)
        elif name in PYTEST_MARKS:
            raise SelectionError(
                f"not a tag in {tags!r}: @{name} is one of pytest's own marks "
                f"({', '.join(PYTEST_MARKS)}), which no tag expression can select"
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
            f"not a tag expression: {tags!r} (e.g. '@smoke and not @slow')"
        ) from None
    return expression


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


def feature_tags(folders: list[str]) -> set[str]:
    """Every `@tag` of the feature files in these folders (registered as pytest markers)."""
    return {
        tag
        for folder in folders
        for path in Path(folder).rglob("*.feature")
        for tag in tagged(path)
    }


def tagged(path: Path) -> Iterator[str]:
    """Each `@tag` of a feature file, without its `@`; a word starting with `#` starts a
    comment, which runs to the end of the line."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("@"):
            words = takewhile(lambda word: not word.startswith("#"), line.split())
            yield from (word.removeprefix("@") for word in words if word.startswith("@"))
