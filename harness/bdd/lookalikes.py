"""Characters that look like a plain space, quote or apostrophe in a feature line but are not.

A word processor, a chat or a web page gives a step a non-breaking space, a tab, a double
space, curly quotes around "qa-1", a typographic apostrophe in the twin's (U+2019) or a
zero-width space: the line looks like a catalogue step and matches none. `plain` is the line
as typed on a plain keyboard, and `lookalikes` says, column by column, what differs from it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# a typographic quote or apostrophe -> the plain one it stands for
_QUOTES = {
    # curly and low double quotes, the double prime, guillemets
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    # curly and low single quotes (the right one: the typographic apostrophe), the prime and
    # the modifier letter apostrophe
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),
}
# characters that show nothing: zero-width spaces and joiners, the word joiner, a soft hyphen
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_PLAIN = str.maketrans({**_QUOTES, **dict.fromkeys(_INVISIBLE, "")})
_SPACES = re.compile(r"\s+")
# what a plain quote is called, alone and several
_QUOTE_NAMES = {
    '"': ("a curly quote", "curly quotes", 'a straight quote "', 'straight quotes "'),
    "'": (
        "a typographic apostrophe",
        "typographic apostrophes",
        "a straight apostrophe '",
        "straight apostrophes '",
    ),
}
_SPACE_NAMES = {" ": "a space", "\t": "a tab (U+0009)", "\u00a0": "a non-breaking space (U+00A0)"}


def plain(text: str) -> str:
    """`text` as typed on a plain keyboard: typographic quotes and apostrophes straight,
    invisible characters dropped, each run of spaces, tabs or other blanks one space."""
    return _SPACES.sub(" ", text.translate(_PLAIN))


def lookalikes(text: str, first_column: int | None) -> list[str]:
    """What in `text` differs from `plain(text)`, one `column N: …` per blank run or
    invisible character and one per kind of quote, in column order; `first_column` is the
    column of the text's first character in its line (None: columns are not told)."""
    found = [*_blanks(text), *_invisible(text), *_quotes(text)]
    return [
        f"{_columns(indexes, first_column)}{what}"
        for indexes, what in sorted(found, key=lambda f: f[0])
    ]


def _columns(indexes: list[int], first_column: int | None) -> str:
    if first_column is None:
        return ""
    columns = [str(first_column + index) for index in indexes]
    if len(columns) == 1:
        return f"column {columns[0]}: "
    return f"columns {', '.join(columns[:-1])} and {columns[-1]}: "


def _blanks(text: str) -> Iterator[tuple[list[int], str]]:
    """Each run of blanks that is not one plain space."""
    for run in _SPACES.finditer(text):
        if run[0] == " ":
            continue
        if set(run[0]) == {" "}:
            yield [run.start()], f"{len(run[0])} spaces where one is expected"
        else:
            names = " and ".join(_blank_name(char) for char in run[0])
            one = "a plain space" if len(run[0]) == 1 else "one plain space"
            yield [run.start()], f"{names} where {one} is expected"


def _blank_name(char: str) -> str:
    return _SPACE_NAMES.get(char) or _with_article(_named(char))


def _invisible(text: str) -> Iterator[tuple[list[int], str]]:
    for index, char in enumerate(text):
        if char in _INVISIBLE:
            yield [index], f"an invisible {_named(char)} where nothing is expected"


def _quotes(text: str) -> Iterator[tuple[list[int], str]]:
    """The typographic quotes standing for `"`, then those standing for `'`, each kind once."""
    for straight, (one, several, plain_one, plain_several) in _QUOTE_NAMES.items():
        indexes = [i for i, char in enumerate(text) if _QUOTES.get(char) == straight]
        if not indexes:
            continue
        shown = " ".join(dict.fromkeys(text[i] for i in indexes))
        if len(indexes) == 1:
            yield indexes, f"{one} {shown} where {plain_one} is expected"
        else:
            yield indexes, f"{several} {shown} where {plain_several} are expected"


def _named(char: str) -> str:
    """`zero width space (U+200B)`: a character's Unicode name and code."""
    return f"{unicodedata.name(char, 'character').lower()} (U+{ord(char):04X})"


def _with_article(name: str) -> str:
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
