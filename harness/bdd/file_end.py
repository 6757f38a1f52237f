"""A feature file that ends where Gherkin expects more, named in plain words.

The Gherkin parser reports it as `unexpected end of file, expected: #TagLine, #FeatureLine,
#Comment, #Empty` (its own token names) on the line after the last, which no editor shows, and
pytest-bdd has no wording of its own for it. Only two things leave a file unfinished: a doc
string never closed, and tags with nothing after them to tag. Each is named on the line to
mend: the one that opened the doc string, the last tag line.
"""

from __future__ import annotations

from collections.abc import Sequence

UNEXPECTED_END = "unexpected end of file"  # how the parser's message of such a file starts
_DOC_STRING_MARKS = ('"""', "```")


def unfinished_file(lines: Sequence[str], parser_message: str, end: int) -> tuple[int, str]:
    """(line, what is wrong) for the parser's `unexpected end of file, expected: …` message
    of a file of `lines`, whose end the parser places on line `end`."""
    if "#DocStringSeparator" in parser_message:
        line, mark = _unclosed_doc_string(lines)
        return line, f"this doc string is never closed: end it with a line of {mark}"
    tag_lines = [n for n, text in enumerate(lines, start=1) if text.lstrip().startswith("@")]
    return max(tag_lines, default=end), (
        "the file ends with tags that tag nothing: put them on the line above the Feature, "
        "Rule, Scenario or Examples they tag, or remove them"
    )


def _unclosed_doc_string(lines: Sequence[str]) -> tuple[int, str]:
    """The line that opens the doc string still open at the end of `lines`, and its mark."""
    opened: tuple[int, str] = (len(lines), _DOC_STRING_MARKS[0])
    open_mark = None
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if open_mark is not None:
            open_mark = None if stripped.startswith(open_mark) else open_mark
            continue
        open_mark = next((m for m in _DOC_STRING_MARKS if stripped.startswith(m)), None)
        if open_mark is not None:
            opened = (number, open_mark)
    return opened
