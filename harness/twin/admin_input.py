"""Checks of admin request bodies: a bad field is a 400 naming it, before anything changes."""

from __future__ import annotations

import calendar
import math
import re
from typing import Any, TypeGuard

from harness.twin.auctions import Auction, auction_id

PRODUCT_ID = r"[0-9]{1,20}"
# `yyyy-mm-dd hh:mm:ss` with each field in range (no month 13, no hour 24), as the OpenAPI
# document's pattern says; filters compare it as text, which sorts as time does.
DATETIME = (
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
)
MAX_QTY = 2**31
MAX_AUCTIONS = 50
MAX_AUCTION_PRICE = 1_000_000_000  # EUR, the highest price an auction set up for a test may ask
AUCTION_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
_AUCTION_FIELDS = frozenset({"id", "rating", "price"})


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
    if not finite_number(value) or value < low:
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


def product_fields(fields: dict[str, Any]) -> None:
    """The fields of a product the admin sets (PATCH, or a seeded product) that the twin
    reads: `qty` an integer from 0, `minPrice` a finite number from 0, `name` a string,
    `updated_at` a G2A datetime (the `updatedAt…` filters compare it)."""
    integer(fields, "qty", 0, MAX_QTY)
    number(fields, "minPrice", 0)
    text(fields, "name")
    if "updated_at" in fields and not is_datetime(fields["updated_at"]):
        raise AdminError(400, "updated_at must be yyyy-mm-dd hh:mm:ss")


def is_datetime(value: Any) -> TypeGuard[str]:
    """Whether `value` is a G2A datetime (`DATETIME`) of a day that exists: `2024-02-31`
    matches the pattern, but no filter or product can be updated on it."""
    if not (isinstance(value, str) and re.fullmatch(DATETIME, value)):
        return False
    year, month, day = (int(part) for part in value[:10].split("-"))
    return day <= calendar.monthrange(year, month)[1]


def auction_list(body: Any, product_id: str) -> list[Auction]:
    """A product's auctions from a JSON list of `{"id"?, "rating", "price"}` (1..50 entries,
    ids unique within it; an entry without an id gets `<product_id>-<position>`)."""
    if (
        not isinstance(body, list)
        or not 1 <= len(body) <= MAX_AUCTIONS
        or not all(isinstance(entry, dict) for entry in body)
    ):
        raise AdminError(400, f"body must be a list of 1 to {MAX_AUCTIONS} auction objects")
    auctions = [
        _auction(entry, position, product_id) for position, entry in enumerate(body, start=1)
    ]
    if len({a.id for a in auctions}) < len(auctions):
        raise AdminError(400, "auction ids must be unique")
    return auctions


def _auction(entry: dict[str, Any], position: int, product_id: str) -> Auction:
    def refuse(reason: str) -> AdminError:
        return AdminError(400, f"auction {position}: {reason}")

    unknown = set(entry) - _AUCTION_FIELDS
    if unknown:
        raise refuse(f"unknown field(s): {', '.join(sorted(unknown))}")
    given_id = entry.get("id", auction_id(product_id, position))
    if not isinstance(given_id, str) or not re.fullmatch(AUCTION_ID, given_id):
        raise refuse(f"id must be a string matching {AUCTION_ID}")
    rating, price = entry.get("rating"), entry.get("price")
    if not _is_number(rating) or not 0 <= rating <= 1:
        raise refuse("rating must be a number between 0 and 1")
    if not _is_number(price) or not 0 < price <= MAX_AUCTION_PRICE:
        raise refuse(f"price must be a number above 0 and at most {MAX_AUCTION_PRICE}")
    return Auction(given_id, float(rating), float(price))


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number (not a bool) that a float holds: not NaN or infinite, and not an integer
    too large to convert (JSON numbers may have any number of digits)."""
    if not _is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
