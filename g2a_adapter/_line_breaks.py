"""Text read with its line breaks taken out, for the masker to find base64 wrapped over lines."""

from __future__ import annotations

import bisect
import functools
import re

# A line break, as written or escaped in a JSON string or a repr (`\n`, `\r\n`, with any run
# of backslashes), and the indentation after it. Each way starts with one known character,
# which lets the regular expression engine skip the rest of a line quickly.
LINE_BREAK = r"(?:\n|\r\n|\\\\*(?:r\\+)?n)[ \t]*"
_LINE_BREAKS = re.compile(LINE_BREAK)


class Unwrapped:
    """`text` without its line breaks (`joined`), as base64 wrapped at 64 or 76 columns (PEM,
    MIME, `base64` on a terminal), in a JSON string or indented in YAML reads again once
    joined; and the way back from a span of `joined` to the same characters in `text`."""

    def __init__(self, text: str) -> None:
        self.text = text
        has_breaks = "\n" in text or "\\n" in text  # most log lines have none: a fast no
        self.joined = _LINE_BREAKS.sub("", text) if has_breaks else text

    def span_in_text(self, start: int, end: int) -> tuple[int, int]:
        """The span of `text` that holds `joined[start:end]`, the breaks inside it too."""
        joined_at, _, removed = self._breaks
        before_start = bisect.bisect_right(joined_at, start)  # breaks at `start` are before it
        before_end = bisect.bisect_left(joined_at, end)
        return start + removed[before_start], end + removed[before_end]

    def break_ending_at(self, position: int) -> int | None:
        """Where the break that ends right before `position` of `text` starts, if one does."""
        return self._breaks[1].get(position)

    @functools.cached_property
    def _breaks(self) -> tuple[list[int], dict[int, int], list[int]]:
        """Where each break was in `joined`, where each break in `text` starts by where it
        ends, and how many characters the first 0, 1, 2… breaks took out."""
        joined_at, starts, removed = [], {}, [0]
        for found in _LINE_BREAKS.finditer(self.text):
            joined_at.append(found.start() - removed[-1])
            starts[found.end()] = found.start()
            removed.append(removed[-1] + len(found.group()))
        return joined_at, starts, removed
