"""Query parameters as the OpenAPI documents type them: plain ASCII digits, no more.

Python's `int()` and `float()` also read `1_0`, ` +2 `, Unicode digits, `nan` and `inf`; a
G2A filter that does not parse is BR02, so the twin reads only what the documents allow.
"""

from __future__ import annotations

import math
import re
from typing import overload

from harness.twin import errors
from harness.twin.errors import ApiError

_INTEGER = re.compile(r"-?[0-9]+")  # any size: the documents set no upper bound
_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?")


@overload
def int_param(params: dict[str, str], name: str) -> int | None: ...
@overload
def int_param(params: dict[str, str], name: str, default: int) -> int: ...
def int_param(params: dict[str, str], name: str, default: int | None = None) -> int | None:
    """The parameter as an integer (`default` when absent); BR02 unless it is one."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        if _INTEGER.fullmatch(raw):
            return int(raw)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        pass
    raise ApiError(errors.BR02, f"{name} must be an integer")


def number_param(params: dict[str, str], name: str) -> float | None:
    """The parameter as a finite number (None when absent); BR02 unless it is one."""
    raw = params.get(name)
    if raw is None:
        return None
    value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        raise ApiError(errors.BR02, f"{name} must be a number")
    return value
