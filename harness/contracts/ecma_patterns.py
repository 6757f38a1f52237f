"""OpenAPI's `pattern`s (ECMA-262 regular expressions) read as near as Python's `re` goes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled as near to OpenAPI's reading (ECMA-262) as Python's `re` goes:
    `\\d`, `\\w` and `\\b` are ASCII there (`\\s` too here, a narrower reading), and `$` is
    the end of the text. A pattern Python cannot read raises `re.error` as written."""
    re.compile(pattern, re.ASCII)  # its error, if any, placed in the documented text
    return re.compile(_ecma_end_anchors(pattern), re.ASCII)


def _ecma_end_anchors(pattern: str) -> str:
    """`pattern` with each `$` anchor written `\\Z`: ECMA-262's `$` (without the m flag)
    matches at the end of the text only, Python's also before a final newline. A `$` that is
    escaped or in a character class is a dollar, and stays as it is."""
    tokens = _pattern_tokens(pattern)
    return "".join(
        "\\Z" if token == "$" and not in_class else token for _, token, in_class in tokens
    )


# After a group's `(`: Python's inline flags, `(?m)`, `(?i:...)` or `(?-i:...)`
_INLINE_FLAGS = re.compile(r"\?[aiLmsux-]")


def sets_flags_inline(pattern: str) -> bool:
    """Whether `pattern` sets a flag inline: ECMA-262 5.1, OpenAPI 3.0's dialect, has no
    inline flags, and Python reads them its own way (`$` before any newline under `m`)."""
    return any(
        token == "(" and not in_class and _INLINE_FLAGS.match(pattern, position + 1)
        for position, token, in_class in _pattern_tokens(pattern)
    )


def _pattern_tokens(pattern: str) -> Iterator[tuple[int, str, bool]]:
    """The tokens of `pattern` (an escape, a class's opening, or one character), each with its
    position and whether it lies in a character class."""
    in_class = False
    position = 0
    while position < len(pattern):
        token = pattern[position]
        if token == "\\":
            token = pattern[position : position + 2]
        elif in_class:
            in_class = token != "]"
        elif token == "[":
            # Python reads a `]` first in a class (after any `^`) as a member
            token += "^" if pattern.startswith("^", position + 1) else ""
            token += "]" if pattern.startswith("]", position + len(token)) else ""
            in_class = True
        yield position, token, in_class
        position += len(token)
