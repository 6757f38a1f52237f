"""What each parameter of a library step takes, and why a line that fits a step but for what
its parameters say is refused.

A parameter's format is declared with its step: a `parse` type (`{count:whole}`,
`{currency:currency}`), a regex group whose body is one (`\\d+`, `[A-Z]{3}`: digits only is
`whole`), a regex group of a few phrases (`(?P<state>new|in progress)`), or a format given to
`worded` (a `Wording`, a `Between`). The catalogue describes each parameter from here, and a
line no step matches is read once more with every declared parameter loosened to any text: a
step it then fits refuses it with what each parameter takes (`{count}: "five" is not a whole
number ...`), where "unknown step" would leave QA to spot the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import cache
from typing import Any

from pytest_bdd import parsers

from harness.bdd.readable import choices, fixed_phrases, loosened, named_groups, whole_numbers
from harness.bdd.wordings import (
    PARAMETER_TYPES,
    TYPES_BY_NAME,
    WHOLE_TYPE,
    OneOf,
    ParameterFormat,
    Worded,
    Wording,
    said_in,
)

# a `parse` field: `{name}` or `{name:spec}`
PARSE_FIELD = re.compile(r"\{(?P<name>\w+)(?::(?P<spec>[^}]*))?\}")


def regex_of(parser: Any) -> re.Pattern[str] | None:
    """A regex step's regex (a worded one's too); None for a `parse` or string step."""
    found = getattr(parser.base if isinstance(parser, Worded) else parser, "regex", None)
    return found if isinstance(found, re.Pattern) else None


def parameter_formats(parser: Any) -> dict[str, ParameterFormat | None]:
    """Each parameter of a step's parser -> what it takes, None for any text; a regex group
    that can only hold one phrase is text of the line, no parameter."""
    if isinstance(parser, Worded):
        return {**parameter_formats(parser.base), **parser.wordings}
    if (regex := regex_of(parser)) is not None:
        return _group_formats(regex.pattern)
    return {
        field["name"]: TYPES_BY_NAME.get(field["spec"] or "")
        for field in PARSE_FIELD.finditer(parser.name)
    }


def _group_formats(regex: str) -> dict[str, ParameterFormat | None]:
    phrases = {name: OneOf(tuple(forms)) for name, forms in choices(regex).items()}
    whole = dict.fromkeys(whole_numbers(regex), WHOLE_TYPE)
    fixed = fixed_phrases(regex)
    return {
        name: phrases.get(name) or whole.get(name) or _format_of(body)
        for name, body in named_groups(regex)
        if name not in fixed
    }


def _format_of(body: str) -> ParameterFormat | None:
    """The format whose pattern a regex group's body is (`[A-Z]{3}`: a currency), if any."""
    return next((format_ for format_ in PARAMETER_TYPES if format_.pattern == body), None)


_Refused = list[tuple[str, str, ParameterFormat]]  # (parameter, what it says, its format)


def refused_fit(kind: str | None, text: str, contexts: Iterable[Any]) -> tuple[Any, list[str]]:
    """The library step of this kind that `text` would fit if each declared parameter could
    say anything, with why it does not: one line per parameter outside its format. Of several
    such steps, the one with the fewest parameters refused, saying the least (`QA orders
    product 1 in Eur` orders in a currency that is none, not a product `1 in Eur`); (None, [])
    when there is none."""
    fits = [
        (context, refused)
        for context in contexts
        if context.type in (None, kind) and (refused := _refused(context.parser, text))
    ]
    context, refused = min(fits, key=lambda fit: _weight(fit[1]), default=(None, []))
    return context, [format_.refusal(said, name) for name, said, format_ in refused]


def _weight(refused: _Refused) -> tuple[int, int]:
    """How far a line is from a step: the parameters it refuses, then the text they say."""
    return len(refused), sum(len(said) for _, said, _ in refused)


def _refused(parser: Any, text: str) -> _Refused:
    """Each declared parameter outside its format, with what it says in `text`, when `text`
    fits the step once they may say anything; empty otherwise. A parameter of a few phrases
    is first read as one of them, so a right phrase leaves the words after it to the next
    parameter (`has at least 1.5 keys`: {count} says "1.5", not {bound} "at" and {count}
    "least 1.5")."""
    declared = _declared(parser)
    if not declared:
        return []
    phrased = {name: regex for name, f in declared.items() if (regex := _phrases_regex(f))}
    said = phrased and said_in(_loose(parser, declared.keys() - phrased.keys(), phrased), text)
    said = said or said_in(_loose(parser, declared.keys()), text)
    if said is None:
        return []
    return [
        (name, said[name], format_)
        for name, format_ in declared.items()
        if name in said and not format_.accepts(said[name])
    ]


def _declared(parser: Any) -> dict[str, ParameterFormat]:
    return {name: f for name, f in parameter_formats(parser).items() if f is not None}


def _phrases_regex(format_: ParameterFormat) -> str | None:
    """The regex of a parameter of a few fixed phrases (a `OneOf`, a `Wording` of forms
    without groups or separators), the longest first (`at least` before `at`); None for
    another."""
    if isinstance(format_, OneOf):
        regexes = [re.escape(phrase) for phrase in format_.phrases]
    elif isinstance(format_, Wording) and not format_.separators:
        regexes = [regex for regex, _ in format_.forms.values()]
    else:
        return None
    if any(re.compile(regex).groups for regex in regexes):
        return None
    return "|".join(sorted(regexes, key=len, reverse=True))


def _loose(parser: Any, names: Collection[str], phrased: Mapping[str, str] | None = None) -> Any:
    """The step's compiled pattern (a regex, or a `parse.Parser`) with each parameter of
    `names` any text and each of `phrased` its phrases' regex (a regex step's group keeps its
    own)."""
    base = parser.base if isinstance(parser, Worded) else parser
    regex = regex_of(base)
    if regex is not None:
        return _loose_regex(regex.pattern, frozenset(names))
    kept = tuple(sorted((phrased or {}).items()))
    return _loose_parse(str(base.name), frozenset(names), kept)


@cache
def _loose_regex(regex: str, names: frozenset[str]) -> re.Pattern[str]:
    return re.compile(loosened(regex, names))


@cache
def _loose_parse(pattern: str, names: frozenset[str], phrased: tuple[tuple[str, str], ...]) -> Any:
    """The compiled `parse` pattern (a `parse.Parser`) with the fields of `names` untyped and
    each of `phrased` one of its phrases."""
    phrases = dict(phrased)

    def loosened_field(field: re.Match[str]) -> str:
        name = field["name"]
        if name in phrases:
            return f"{{{name}:phrase_{name}}}"
        return f"{{{name}}}" if name in names else field[0]

    types = {f"phrase_{name}": _phrase_type(regex) for name, regex in phrased}
    return parsers.parse(PARSE_FIELD.sub(loosened_field, pattern), extra_types=types).parser


def _phrase_type(regex: str) -> Callable[[str], str]:
    """The type `parse` reads a phrase field with (its regex is the converter's `pattern`,
    as `ParameterType.parse_type`'s); the field's value is the text, as an untyped field's."""

    def as_said(text: str) -> str:
        return text

    as_said.pattern = regex  # type: ignore[attr-defined]
    return as_said
