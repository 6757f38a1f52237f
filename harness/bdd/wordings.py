"""What a step parameter may say: its type (`ParameterType`), a closed vocabulary (`Wording`),
a range (`Between`), one of a few phrases (`OneOf`) or a word of a bounded length (`Word`).

A parameter that takes one of a few business phrasings (a fault, a tampering) is declared
with `worded(parser, name=WORDING)`: the step then matches only the wording's forms, the
catalogue lists them, and a feature line saying something else is reported (by
`g2a-harness steps --check` and by a run) with the forms it may say instead. A typed
parameter (`{count:whole}`, `{currency:currency}`) is held to its `ParameterType` the same way
(`harness.bdd.parameters`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from pytest_bdd import parsers
from pytest_bdd.parsers import StepParser

T = TypeVar("T")

NUMBER = r"\d+(?:\.\d+)?"
WHOLE = r"\d+"


def exact(number: float | Decimal) -> Decimal:
    """A step's number as the decimal it was written as (`12.50` is 12.5, never the float's
    12.4999…), to compare with the adapter's prices, which are `Decimal`s."""
    return number if isinstance(number, Decimal) else Decimal(repr(number))


def shown(number: float | Decimal) -> str:
    """A number in a message, every digit it holds and no more: `12.5000001`, `1234567.89`,
    `10` (never `12.5` for 12.5000001, nor `1.23457e+06`)."""
    return f"{exact(number).normalize():f}"


class ParameterFormat(Protocol):
    """What a parameter takes, as the catalogue describes it and a refusal names it."""

    def accepts(self, text: str) -> bool: ...

    def describe(self) -> str: ...

    def refusal(self, text: str, name: str) -> str:
        """Why `text` is refused as parameter `name`."""
        ...


def _not(text: str, name: str, what: str) -> str:
    return f'{{{name}}}: "{text}" is not {what}'


def _quoted(phrases: Iterable[str]) -> str:
    return ", ".join(f'"{phrase}"' for phrase in phrases)


@dataclass(frozen=True)
class ParameterType:
    """A parameter type of the step patterns (`{name:whole}`): the text it takes (`pattern`),
    what the step gets (`convert`), how the catalogue's legend explains it and what a number
    of it is called in a range (`Between`: "a whole number from 1 to 11")."""

    name: str
    pattern: str
    convert: Callable[[str], Any]
    description: str
    noun: str

    def accepts(self, text: str) -> bool:
        return re.fullmatch(self.pattern, text) is not None

    def describe(self) -> str:
        return self.name

    def refusal(self, text: str, name: str) -> str:
        return _not(text, name, self.description)

    def parse_type(self) -> Callable[[str], Any]:
        """The type `parse` reads `{name:<this type>}` with (it reads its regex from the
        converter's `pattern`)."""

        def convert(text: str) -> Any:
            return self.convert(text)

        convert.pattern = self.pattern  # type: ignore[attr-defined]
        return convert


WHOLE_TYPE = ParameterType(
    "whole", WHOLE, int, "a whole number in digits, no sign (300)", "a whole number"
)
NUMBER_TYPE = ParameterType(
    "number",
    NUMBER,
    float,
    "a whole or decimal number in digits, no sign (12 or 12.50)",
    "a number",
)
CURRENCY_TYPE = ParameterType(
    "currency", r"[A-Z]{3}", str, "three capital letters (EUR)", "a currency"
)
PARAMETER_TYPES: tuple[ParameterType, ...] = (WHOLE_TYPE, NUMBER_TYPE, CURRENCY_TYPE)
TYPES_BY_NAME = {f.name: f for f in PARAMETER_TYPES}
PARSE_TYPES: dict[str, Callable[[str], Any]] = {f.name: f.parse_type() for f in PARAMETER_TYPES}


def parse(pattern: str) -> parsers.parse:
    """A `parse` step pattern that also knows each of `PARAMETER_TYPES`: `{name:whole}`, a whole
    number written in digits (`0`, `300`; no sign, no `0x`), given to the step as an int,
    `{name:number}`, a whole or decimal number (`12`, `12.5`, `0.10`; no sign, no exponent),
    given as a float, and `{name:currency}`, three capital letters (`EUR`)."""
    return parsers.parse(pattern, extra_types=PARSE_TYPES)


@dataclass(frozen=True)
class OneOf:
    """One of a few phrases (a regex step's `(?P<state>new|in progress)`)."""

    phrases: tuple[str, ...]

    def accepts(self, text: str) -> bool:
        return text in self.phrases

    def describe(self) -> str:
        return f"one of {_quoted(self.phrases)}"

    def refusal(self, text: str, name: str) -> str:
        return _not(text, name, self.describe())


@dataclass(frozen=True)
class Between:
    """A number of a `ParameterType` (`whole` or `number`) from `low` to `high` (both
    included, `low` excluded when `above`; no `high`: no upper bound)."""

    kind: ParameterType
    low: float
    high: float = math.inf
    above: bool = field(default=False, kw_only=True)

    def accepts(self, text: str) -> bool:
        if not self.kind.accepts(text):
            return False
        number = float(text)
        return (self.low < number if self.above else self.low <= number) and number <= self.high

    def describe(self) -> str:
        if self.above:
            upper = "" if self.high == math.inf else f" and at most {shown(self.high)}"
            return f"{self.kind.noun} above {shown(self.low)}{upper}"
        if self.high == math.inf:
            return f"{self.kind.noun} of at least {shown(self.low)}"
        return f"{self.kind.noun} from {shown(self.low)} to {shown(self.high)}"

    def refusal(self, text: str, name: str) -> str:
        """Out of range, or no number as `kind` writes one (`12,50`: `kind`'s own words)."""
        if not self.kind.accepts(text):
            return self.kind.refusal(text, name)
        return _not(text, name, self.describe())

    def value(self, text: str) -> Any:
        """What `text` means (`kind` converts it); a ValueError when it is out of range, which
        refuses it as a `Wording` form."""
        if not self.accepts(text):
            raise ValueError(f'"{text}" is not {self.describe()}')
        return self.kind.convert(text)


@dataclass(frozen=True)
class Word:
    """A word (letters, digits, `_`) of at most `most` characters: a code, as the twin takes
    one."""

    most: int

    def accepts(self, text: str) -> bool:
        return re.fullmatch(rf"\w{{1,{self.most}}}", text) is not None

    def describe(self) -> str:
        return f"a word of 1 to {self.most} letters, digits or _"

    def refusal(self, text: str, name: str) -> str:
        return _not(text, name, self.describe())


@dataclass(frozen=True)
class Wording(Generic[T]):
    """A closed vocabulary: each form as the catalogue shows it -> (the regex it stands for,
    what a match means, built from the regex's groups; a meaning that raises ValueError refuses
    the match, as `Between.value` refuses a number out of range). With `separators`, a
    parameter holds one or more forms in a row (`HTTP 503, passes`), at most `most`."""

    noun: str
    forms: Mapping[str, tuple[str, Callable[..., T]]]
    separators: tuple[str, ...] = ()
    most: int | None = None

    def _parts(self, text: str) -> list[str]:
        if not self.separators:
            return [text.strip()]
        return re.split("|".join(map(_split_at, self.separators)), text.strip())

    def _read(self, part: str) -> tuple[T] | None:
        """What `part` means, in a tuple (a meaning may be None); None when it is no form."""
        for regex, meaning in self.forms.values():
            if match := re.fullmatch(regex, part):
                try:
                    return (meaning(*match.groups()),)
                except ValueError:
                    return None
        return None

    def _meanings(self, text: str) -> list[tuple[T] | None]:
        parts = self._parts(text)
        if self.most is not None and len(parts) > self.most:
            return [None]
        return [self._read(part) for part in parts]

    def accepts(self, text: str) -> bool:
        return None not in self._meanings(text)

    def values(self, text: str) -> list[T]:
        """What each form of `text` means; an AssertionError naming the valid forms if one
        is not a form of this wording."""
        return [value for (value,) in _every(self._meanings(text), self.refusal(text))]

    def value(self, text: str) -> T:
        (value,) = self.values(text)
        return value

    def describe(self) -> str:
        forms = _quoted(self.forms)
        if not self.separators:
            return f"one of {forms}"
        count = "one or more" if self.most is None else f"1 to {self.most}"
        separators = " or ".join(map(repr, self.separators))
        return f"{count} of {forms}, separated by {separators}"

    def refusal(self, text: str, name: str = "") -> str:
        """Why `text` is no form of this wording (its noun says which parameter, so `name` is
        not repeated), with the form it was likely meant to be, if one is close."""
        noun = f"{'an' if self.noun[0] in 'aeiou' else 'a'} {self.noun}"
        meant = self._meant(text)
        guess = f' (did you mean "{meant}"?)' if meant else ""
        return f'"{text}" is not {noun} the step knows{guess}; {noun} is {self.describe()}'

    def _meant(self, text: str) -> str | None:
        """The fixed form (one without a placeholder) `text` misspells: the same in another
        case, else the one form `difflib` finds close (none when two are: `minPrice` may be
        either bound); None for a list of forms."""
        if self.separators:
            return None
        fixed = {form.lower(): form for form in self.forms if "<" not in form}
        said = text.strip().lower()
        close = difflib.get_close_matches(said, fixed, n=2, cutoff=0.8)
        return fixed.get(said) or (fixed[close[0]] if len(close) == 1 else None)


def _split_at(separator: str) -> str:
    """Where a `Wording`'s separator splits a parameter, as a regex: a word (`and`) between
    spaces, a space at any run of them, a sign (`,`) with any spaces around it."""
    if separator.isspace():
        return r"\s+"
    if separator.isalpha():
        return rf"\s+{separator}\s+"
    return rf"\s*{re.escape(separator)}\s*"


def _every(items: list[T | None], refusal: str) -> list[T]:
    if any(item is None for item in items):
        raise AssertionError(refusal)
    return [item for item in items if item is not None]


def phrases(meanings: Mapping[str, T]) -> dict[str, tuple[str, Callable[[], T]]]:
    """Fixed phrases (no placeholder) as `Wording` forms, each meaning its value."""
    return {text: (re.escape(text), _constant(value)) for text, value in meanings.items()}


def _constant(value: T) -> Callable[[], T]:
    return lambda: value


class Worded(StepParser):
    """A step parser whose named parameters must each say what their format takes (a form of
    their `Wording`, a number of their `Between`)."""

    def __init__(self, base: StepParser, formats: Mapping[str, ParameterFormat]) -> None:
        super().__init__(base.name)
        self.base = base
        self.wordings = dict(formats)

    def parse_arguments(self, name: str) -> dict[str, Any] | None:
        arguments: dict[str, Any] | None = self.base.parse_arguments(name)
        return arguments

    def is_matching(self, name: str) -> bool:
        said = written_arguments(self.base, name)
        return said is not None and all(
            wording.accepts(said[param])
            for param, wording in self.wordings.items()
            if param in said
        )


def worded(base: StepParser, **formats: ParameterFormat) -> Worded:
    """`base`, with each named parameter held to its format (a `Wording`, a `Between`)."""
    return Worded(base, formats)


def written_arguments(parser: StepParser, text: str) -> dict[str, str] | None:
    """What each named parameter of a `parse` or regex step says in `text`, as written (before
    a `parse` type converts it); None when `text` does not fit the step."""
    compiled = getattr(parser, "parser", None) or getattr(parser, "regex", None)
    if compiled is None:
        return {} if parser.is_matching(text) else None
    return said_in(compiled, text)


def said_in(compiled: Any, text: str) -> dict[str, str] | None:
    """What each named field of a compiled regex or `parse` pattern (a `parse.Parser`) says in
    `text` (a regex's optional group that took no part, nothing), or None when `text` does not
    fit it."""
    if isinstance(compiled, re.Pattern):
        match = compiled.fullmatch(text)
        return (
            None if match is None else {k: v for k, v in match.groupdict().items() if v is not None}
        )
    result = compiled.parse(text)
    if result is None:
        return None
    return {name: text[start:end] for name, (start, end) in result.spans.items()}
