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
from collections.abc import Iterable
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


def closest_refusals(kind: str | None, text: str, contexts: Iterable[Any]) -> list[str]:
    """Why `text` does not fit the library step of this kind that it would fit if each declared
    parameter could say anything: one line per parameter outside its format. Of several
    such steps, the one with the fewest parameters refused, saying the least (`QA orders
    product 1 in Eur` orders in a currency that is none, not a product `1 in Eur`); empty when
    there is none."""
    fits = [
        refused
        for context in contexts
        if context.type in (None, kind) and (refused := _refused(context.parser, text))
    ]
    refused = min(fits, key=_weight, default=[])
    return [format_.refusal(said, name) for name, said, format_ in refused]


def _weight(refused: _Refused) -> tuple[int, int]:
    """How far a line is from a step: the parameters it refuses, then the text they say."""
    return len(refused), sum(len(said) for _, said, _ in refused)


def _refused(parser: Any, text: str) -> _Refused:
    """Each declared parameter outside its format, with what it says in `text`, when `text`
    fits the step once they may say anything; empty otherwise."""
    declared = _declared(parser)
    said = said_in(_loose(parser), text) if declared else None
    if said is None:
        return []
    return [
        (name, said[name], format_)
        for name, format_ in declared.items()
        if name in said and not format_.accepts(said[name])
    ]


def _declared(parser: Any) -> dict[str, ParameterFormat]:
    return {name: f for name, f in parameter_formats(parser).items() if f is not None}


def _loose(parser: Any) -> Any:
    """The step's compiled pattern (a regex, or a `parse.Parser`) with every declared
    parameter any text."""
    names = frozenset(_declared(parser))
    base = parser.base if isinstance(parser, Worded) else parser
    regex = regex_of(base)
    if regex is not None:
        return _loose_regex(regex.pattern, names)
    return _loose_parse(str(base.name), names)


@cache
def _loose_regex(regex: str, names: frozenset[str]) -> re.Pattern[str]:
    return re.compile(loosened(regex, names))


@cache
def _loose_parse(pattern: str, names: frozenset[str]) -> Any:
    """The compiled `parse` pattern (a `parse.Parser`) with the fields of `names` untyped."""

    def untyped(field: re.Match[str]) -> str:
        return f"{{{field['name']}}}" if field["name"] in names else field[0]

    return parsers.parse(PARSE_FIELD.sub(untyped, pattern)).parser
