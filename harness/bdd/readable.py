"""A regex step pattern as the step catalogue shows it: what a feature line says, not regex.

- a named group is a `{name}` placeholder, like a `parse` step's; one that can only hold one
  phrase (`(?P<another> again as another G2A order)?`) shows the phrase, and `choices` lists
  the phrases of one that holds one of a few (`(?P<state>new|in progress)`);
- alternatives read `a/b` (`(?:answers|fails)`: `answers/fails`);
- an optional group is in `[brackets]`, an optional letter in parentheses (`requests?`:
  `request(s)`);
- the anchors `^` and `$` are left out, and an escaped character is shown as itself.
"""

from __future__ import annotations

_CLOSING = {"(": ")", "[": "]"}
_NON_LITERAL = frozenset("\\()[]{}.*+?|^$")


def readable(regex: str) -> str:
    """`regex` (a step's full pattern) in the catalogue's words."""
    return _sequence(regex.removeprefix("^").removesuffix("$"))


def choices(regex: str) -> dict[str, list[str]]:
    """Each named group that holds one of a few phrases (`(?P<state>new|in progress)`) -> the
    phrases, which the catalogue lists as the parameter's forms."""
    found = {}
    index = regex.find("(?P<")
    while index != -1:
        name, _, body = regex[index + 4 : _closing(regex, index)].partition(">")
        phrases = _branches(body)
        if len(phrases) > 1 and all(_NON_LITERAL.isdisjoint(p) for p in phrases):
            found[name] = phrases
        index = regex.find("(?P<", index + 1)
    return found


def _sequence(regex: str) -> str:
    """A sequence, alternatives joined by `/`; an alternative's spaces at both ends are moved
    outside the sequence (`(?:a |an )?`: `[a/an] `)."""
    shown = [_piece_by_piece(branch) for branch in _branches(regex)]
    if len(shown) == 1:
        return shown[0]
    before = " " if all(branch.startswith(" ") for branch in shown) else ""
    after = " " if all(branch.endswith(" ") for branch in shown) else ""
    return before + "/".join(branch.strip() for branch in shown) + after


def _piece_by_piece(regex: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(regex):
        char = regex[index]
        if char in _CLOSING:
            end = _closing(regex, index)
            piece = _group(regex[index + 1 : end]) if char == "(" else regex[index : end + 1]
            index = end + 1
        elif char == "\\":
            piece, index = regex[index + 1 : index + 2], index + 2
        else:
            piece, index = char, index + 1
        optional = regex[index : index + 1] == "?"
        index += optional
        out.append(_optional(piece, grouped=char == "(") if optional else piece)
    return "".join(out)


def _group(body: str) -> str:
    """A group's body: `(?P<name>…)` a placeholder (or its one phrase), `(?:…)` its text."""
    if body.startswith("?P<"):
        name, _, inner = body[3:].partition(">")
        return inner if _NON_LITERAL.isdisjoint(inner) else f"{{{name}}}"
    return _sequence(body.removeprefix("?:"))


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
