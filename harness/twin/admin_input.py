"""Checks of admin request bodies: a bad field is a 400 naming it, before anything changes."""

from __future__ import annotations

import math
import re
from typing import Any


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    if name not in body:
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AdminError(400, f"{name} must be an integer between {low} and {high}")
    return value


def number(body: dict[str, Any], name: str, low: float, *, nullable: bool = False) -> float | None:
    if name not in body:
        return None
    value = body[name]
    if value is None and nullable:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < low
    ):
        raise AdminError(400, f"{name} must be a number >= {low:g}")
    return float(value)


def text(
    body: dict[str, Any], name: str, pattern: str | None = None, *, required: bool = False
) -> str | None:
    if name not in body and not required:
        return None
    value = body.get(name)
    if not isinstance(value, str) or (pattern is not None and not re.fullmatch(pattern, value)):
        raise AdminError(
            400, f"{name} must be a string" + (f" matching {pattern}" if pattern else "")
        )
    return value


def flag(body: dict[str, Any], name: str) -> bool | None:
    if name not in body:
        return None
    value = body[name]
    if not isinstance(value, bool):
        raise AdminError(400, f"{name} must be true or false")
    return value
