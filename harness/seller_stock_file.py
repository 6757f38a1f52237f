"""A `ReferenceStock` from a JSON file (`g2a-harness receiver serve --stock FILE`).

The file is one object; only `products` is required, and each product needs at least one unit:

    {
      "reservation_seconds": 1800,
      "products": [
        {"product_id": 10000027819004, "keys": ["AAAAA-BBBBB-CCCCC", "DDDDD-EEEEE-FFFFF"]},
        {"product_id": 10000037846002, "keys": ["GGGGG-HHHHH-IIIII"], "deferred": true},
        {"product_id": 10000084431001,
         "files": [{"file_name": "key.png", "mime_type": "image/png", "data": "<base64>"}],
         "accounts": [{"username": "player", "password": "pw", "email": "p@example.com",
                       "email_password": "epw", "optional": [{"label": "PIN", "details": "1"}]}]}
      ]
    }

`keys` are text items, `files` and `accounts` items whose content G2A fetches by id; a
`deferred` product's orders are answered 202, their keys listed by the order's inventory. Each
unit's id is `<product_id>-<n>`, numbered from 1 over its keys, then files, then accounts.

Types are JSON's own, never coerced: `product_id` an integer from 1 to 2^63 - 1 (not `true`,
`"1"` or `1.0`), `deferred` a boolean, `reservation_seconds` a finite positive number; a key is
not empty and is listed once in the whole file. No repr shows a key, a password or a file's data.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)

from g2a_adapter.receiver import (
    AccountDetail,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    InventoryKind,
)
from harness.seller_stock import RESERVATION_SECONDS, ReferenceStock, StockedItem, StockedProduct

MAX_PRODUCT_ID = 2**63 - 1  # G2A's product ids are 64-bit integers

_ProductId = Annotated[int, Field(strict=True, gt=0, le=MAX_PRODUCT_ID)]
_Seconds = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
_Key = Annotated[StrictStr, Field(min_length=1)]
_Hidden = Annotated[StrictStr, Field(repr=False)]  # a secret: kept out of every repr


class StockFileError(ValueError):
    """A stock file that cannot be read: one line naming the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _File(_Strict):
    file_name: str = Field(min_length=1)
    mime_type: str = Field(min_length=1)
    data: _Hidden  # base64

    @field_validator("data")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("data must be base64") from None
        return value


class _Detail(_Strict):
    label: str
    details: _Hidden


class _Account(_Strict):
    username: str
    password: _Hidden
    email: str = ""
    email_password: _Hidden = ""
    optional: list[_Detail] = []


class _Product(_Strict):
    product_id: _ProductId
    keys: Annotated[list[_Key], Field(repr=False)] = []
    files: list[_File] = []
    accounts: list[_Account] = []
    deferred: StrictBool = False

    def stocked(self) -> StockedProduct:
        files = [
            InventoryFile(base64.b64decode(f.data), f.file_name, f.mime_type) for f in self.files
        ]
        accounts = [
            InventoryAccount(
                a.username,
                a.password,
                a.email,
                a.email_password,
                [AccountDetail(d.label, d.details) for d in a.optional],
            )
            for a in self.accounts
        ]
        units: list[tuple[str, InventoryKind, InventoryFile | InventoryAccount | None]] = [
            *((key, "text", None) for key in self.keys),
            *(("", "file", content) for content in files),
            *(("", "account", content) for content in accounts),
        ]
        items = [
            StockedItem(InventoryItem(f"{self.product_id}-{n}", value, kind), content)
            for n, (value, kind, content) in enumerate(units, start=1)
        ]
        return StockedProduct(self.product_id, items, self.deferred)


class _StockFile(_Strict):
    reservation_seconds: _Seconds = RESERVATION_SECONDS
    products: list[_Product] = Field(min_length=1)

    def problem(self) -> str | None:
        """What the file repeats or leaves empty, beyond each field's own type."""
        ids = [product.product_id for product in self.products]
        if len(set(ids)) != len(ids):
            return "a product is listed twice"
        keys = [key for product in self.products for key in product.keys]
        if len(set(keys)) != len(keys):
            return "a key is listed twice"
        empty = [p.product_id for p in self.products if not (p.keys or p.files or p.accounts)]
        if empty:
            return f"product {empty[0]} has no keys, files or accounts"
        return None


def load_stock(path: Path) -> ReferenceStock:
    """The stock the file describes; `StockFileError` for a missing or malformed one."""
    try:
        described = _StockFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise StockFileError(f"stock file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not JSON (json.JSONDecodeError) or not a stock (ValidationError)
        raise StockFileError(f"stock file {path}: {_first_problem(exc)}") from None
    if problem := described.problem():
        raise StockFileError(f"stock file {path}: {problem}")
    products = [product.stocked() for product in described.products]
    return ReferenceStock(products, reservation_seconds=described.reservation_seconds)


def _first_problem(exc: ValueError) -> str:
    if not isinstance(exc, ValidationError):
        return f"not JSON ({exc})"
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    return f"{where}: {error['msg']}"
