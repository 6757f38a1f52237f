"""A regex step pattern as the step catalogue shows it: what a feature line says, not regex.

- a named group is a `{name}` placeholder, like a `parse` step's; one that can only hold one
  phrase (`(?P<another> again as another G2A order)?`) shows the phrase, and `choices` lists
  the phrases of one that holds one of a few (`(?P<state>new|in progress)`);
- alternatives read `a/b` (`(?:answers|fails)`: `answers/fails`), parenthesised when one of
  them has more than one word (`(?:a seller|sellers)`: `(a seller/sellers)`, not "a seller" or
  "a sellers");
- an optional group is in `[brackets]`, an optional letter in parentheses (`requests?`:
  `request(s)`);
- the anchors `^` and `$` are left out, and an escaped character is shown as itself.

`fixed_phrases` names the groups shown as their one phrase, and `whole_numbers` the groups
that take only digits (`\\d+`, `\\d{3}`, `[45]\\d\\d`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

_CLOSING = {"(": ")", "[": "]"}
_NON_LITERAL = frozenset("\\()[]{}.*+?|^$")
# a group body of one digit or more and nothing else: `\d`, `[0-9]` or `[45]`, each once or
# repeated (`+`, `{3}`, `{1,4}`)
_DIGITS_ONLY = re.compile(r"(?:(?:\\d|\[(?:\d(?:-\d)?)+\])(?:\+|\{[1-9]\d*(?:,\d*)?\})?)+")


def readable(regex: str) -> str:
    """`regex` (a step's full pattern) in the catalogue's words."""
    return _sequence(regex.removeprefix("^").removesuffix("$"))


def choices(regex: str) -> dict[str, list[str]]:
    """Each named group that holds one of a few phrases (`(?P<state>new|in progress)`) -> the
    phrases, which the catalogue lists as the parameter's forms."""
    found = {}
    for name, body in named_groups(regex):
        phrases = _branches(body)
        if len(phrases) > 1 and all(_NON_LITERAL.isdisjoint(p) for p in phrases):
            found[name] = phrases
    return found


def fixed_phrases(regex: str) -> list[str]:
    """The named groups that can only hold one phrase (`(?P<another> again as another G2A
    order)?`): shown as that phrase, they are text of the line, not a parameter."""
    return [name for name, body in named_groups(regex) if _fixed(body)]


def _fixed(body: str) -> bool:
    """Whether a group's body is one fixed phrase (no regex syntax in it)."""
    return _NON_LITERAL.isdisjoint(body)


def whole_numbers(regex: str) -> list[str]:
    """The named groups that take a whole number in digits and nothing else."""
    return [name for name, body in named_groups(regex) if _DIGITS_ONLY.fullmatch(body)]


def named_groups(regex: str) -> Iterator[tuple[str, str]]:
    """Each `(?P<name>body)` of `regex`, as (name, body)."""
    for name, start, end in _group_bodies(regex):
        yield name, regex[start:end]


def _group_bodies(regex: str) -> Iterator[tuple[str, int, int]]:
    """Each `(?P<name>body)` of `regex`, as (name, where its body starts, where it ends)."""
    index = regex.find("(?P<")
    while index != -1:
        start = regex.index(">", index) + 1
        yield regex[index + 4 : start - 1], start, _closing(regex, index)
        index = regex.find("(?P<", index + 1)


def loosened(regex: str, names: Collection[str]) -> str:
    """`regex` with the body of each named group of `names` made any text (`.+?`), so that a
    line fits whatever those parameters say (`harness.bdd.parameters`)."""
    pieces, done = [], 0
    for name, start, end in _group_bodies(regex):
        if name in names and start > done:  # a group inside one loosened already is gone
            pieces += [regex[done:start], ".+?"]
            done = end
    return "".join(pieces) + regex[done:]


def _sequence(regex: str, bracketed: bool = False) -> str:
    """A sequence, alternatives joined by `/`; an alternative's spaces at both ends are moved
    outside the sequence (`(?:a |an )?`: `[a/an] `). Alternatives of more than one word are
    parenthesised (`(a seller/sellers)`), unless an optional's brackets already hold them."""
    shown = [_piece_by_piece(branch) for branch in _branches(regex)]
    if len(shown) == 1:
        return shown[0]
    before = " " if all(branch.startswith(" ") for branch in shown) else ""
    after = " " if all(branch.endswith(" ") for branch in shown) else ""
    phrases = [branch.strip() for branch in shown]
    either = "/".join(phrases)
    if not bracketed and any(" " in phrase for phrase in phrases):
        either = f"({either})"
    return before + either + after


def _piece_by_piece(regex: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(regex):
        end = _piece_end(regex, index)
        optional = regex[end : end + 1] == "?"
        piece = _piece(regex[index:end], bracketed=optional)
        out.append(_optional(piece, grouped=regex[index] == "(") if optional else piece)
        index = end + optional
    return "".join(out)


def _piece_end(regex: str, index: int) -> int:
    """Where the piece starting at `index` ends: a group, a class, an escape or a character."""
    if regex[index] in _CLOSING:
        return _closing(regex, index) + 1
    return index + (2 if regex[index] == "\\" else 1)


def _piece(piece: str, bracketed: bool) -> str:
    """A group as `_group` shows it, an escaped character as itself, anything else as is."""
    if piece.startswith("("):
        return _group(piece[1:-1], bracketed)
    return piece.removeprefix("\\")


def _group(body: str, bracketed: bool) -> str:
    """A group's body: `(?P<name>…)` a placeholder (or its one phrase), `(?:…)` its text."""
    if body.startswith("?P<"):
        name, _, inner = body[3:].partition(">")
        return inner if _fixed(inner) else f"{{{name}}}"
    return _sequence(body.removeprefix("?:"), bracketed)


def _optional(piece: str, grouped: bool) -> str:
    if not grouped:
        return f"({piece})"
    before = " " if piece.startswith(" ") else ""
    after = " " if piece.endswith(" ") else ""
    return f"{before}[{piece.strip()}]{after}"


def _branches(regex: str) -> list[str]:
    """`regex` split at its top-level `|`."""
    branches, start, index = [], 0, 0
    while index < len(regex):
        char = regex[index]
        if char in _CLOSING:
            index = _closing(regex, index)
        elif char == "\\":
            index += 1
        elif char == "|":
            branches.append(regex[start:index])
            start = index + 1
        index += 1
    return [*branches, regex[start:]]


def _closing(regex: str, opening: int) -> int:
    """The index of the `)` or `]` closing the bracket at `opening` (escapes skipped; in a
    character class, nothing opens)."""
    depth, index = 0, opening
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 1
        elif regex[opening] == "[":
            if char == "]" and index > opening + 1:
                return index
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced {regex[opening]!r} in {regex!r}")
