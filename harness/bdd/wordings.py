"""What a step parameter may say: closed vocabularies (`Wording`), the `whole` and `number` types.

A parameter that takes one of a few business phrasings (a fault, a tampering) is declared
with `worded(parser, name=WORDING)`: the step then matches only the wording's forms, the
catalogue lists them, and a feature line saying something else is reported (by
`g2a-harness steps --check` and by a run) with the forms it may say instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pytest_bdd import parsers
from pytest_bdd.parsers import StepParser

T = TypeVar("T")

NUMBER = r"\d+(?:\.\d+)?"
WHOLE = r"\d+"


def _number(text: str) -> float:
    return float(text)


def shown(number: float) -> str:
    """A number in a message, every digit it holds and no more: `12.5000001`, `1234567.89`,
    `10` (never `12.5` for 12.5000001, nor `1.23457e+06`)."""
    return f"{Decimal(repr(number)).normalize():f}"


def _whole(text: str) -> int:
    return int(text)


# parse reads a custom type's regex from its `pattern`
_number.pattern = NUMBER  # type: ignore[attr-defined]
_whole.pattern = WHOLE  # type: ignore[attr-defined]
PARSE_TYPES: dict[str, Callable[[str], Any]] = {"number": _number, "whole": _whole}


def parse(pattern: str) -> parsers.parse:
    """A `parse` step pattern that also knows `{name:whole}`, a whole number written in digits
    (`0`, `300`; no sign, no `0x`), given to the step as an int, and `{name:number}`, a whole
    or decimal number (`12`, `12.5`, `0.10`; no sign, no exponent), given as a float."""
    return parsers.parse(pattern, extra_types=PARSE_TYPES)


@dataclass(frozen=True)
class Wording(Generic[T]):
    """A closed vocabulary: each form as the catalogue shows it -> (the regex it stands for,
    what a match means, built from the regex's groups). With a `separator`, a parameter holds
    several forms in a row (`HTTP 503, passes`)."""

    noun: str
    forms: Mapping[str, tuple[str, Callable[..., T]]]
    separator: str | None = None

    def _parts(self, text: str) -> list[str]:
        parts = text.split(self.separator) if self.separator else [text]
        return [part.strip() for part in parts]

    def _read(self, part: str) -> tuple[Callable[..., T], tuple[str, ...]] | None:
        for regex, meaning in self.forms.values():
            if match := re.fullmatch(regex, part):
                return meaning, match.groups()
        return None

    def accepts(self, text: str) -> bool:
        return all(self._read(part) is not None for part in self._parts(text))

    def values(self, text: str) -> list[T]:
        """What each form of `text` means; an AssertionError naming the valid forms if one
        is not a form of this wording."""
        read = [self._read(part) for part in self._parts(text)]
        return [meaning(*groups) for meaning, groups in _every(read, self.refusal(text))]

    def value(self, text: str) -> T:
        (value,) = self.values(text)
        return value

    def describe(self) -> str:
        forms = ", ".join(f'"{form}"' for form in self.forms)
        if self.separator:
            return f"one or more of {forms}, separated by {self.separator!r}"
        return f"one of {forms}"

    def refusal(self, text: str) -> str:
        noun = f"{'an' if self.noun[0] in 'aeiou' else 'a'} {self.noun}"
        return f'"{text}" is not {noun} the step knows; {noun} is {self.describe()}'


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
    """A step parser whose named parameters must each say a form of their `Wording`."""

    def __init__(self, base: StepParser, wordings: Mapping[str, Wording[Any]]) -> None:
        super().__init__(base.name)
        self.base = base
        self.wordings = dict(wordings)

    def parse_arguments(self, name: str) -> dict[str, Any] | None:
        arguments: dict[str, Any] | None = self.base.parse_arguments(name)
        return arguments

    def misworded(self, name: str) -> list[str]:
        """Why a step line that otherwise fits this step is refused: one line per parameter
        that says no form of its wording (empty when the line fits, or does not fit at all)."""
        if not self.base.is_matching(name):
            return []
        arguments = self.base.parse_arguments(name) or {}
        return [
            wording.refusal(str(arguments[param]))
            for param, wording in self.wordings.items()
            if not wording.accepts(str(arguments[param]))
        ]

    def is_matching(self, name: str) -> bool:
        return bool(self.base.is_matching(name)) and not self.misworded(name)


def worded(base: StepParser, **wordings: Wording[Any]) -> Worded:
    """`base`, with each named parameter held to its wording."""
    return Worded(base, wordings)
