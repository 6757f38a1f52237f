"""python-json-logger's encoder, for `logformat.json_formatter` (it needs the `json-logs`
extra, so that module imports this one only when asked for JSON)."""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.json import JsonEncoder

from g2a_adapter._logging import shown_fields


class ReprFaithfulEncoder(JsonEncoder):
    """Writes a dataclass as the fields its repr shows, where python-json-logger's own encoder
    writes them all: a line from a handler without a `MaskingFilter` keeps hidden what the
    repr of a logged object hides (a delivered key, a password)."""

    def default(self, o: Any) -> Any:
        fields = shown_fields(o)
        return super().default(o) if fields is None else fields
