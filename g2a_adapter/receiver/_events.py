"""The signed webhook's event (docs/g2a-api.md §5) and how its body is read: amounts exact.

Not pydantic's `model_validate_json`: its JSON parser reads every number through a float (so
`0.1000000000000000055` would silently become `0.1`) and accepts NaN and Infinity.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from g2a_adapter.receiver._rejections import reject

_DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
CURRENCY_PATTERN = r"^[A-Z]{3}$"  # ISO 4217 alphabetic code (pydantic: $ is the end)
# RFC 3339 `date-time` (contracts/openapi/receiver.yaml): a date, a time and an offset.
_RFC_3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # the date
    r"[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"  # the time
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"  # the offset
)


def is_delivery_id(text: str) -> bool:
    """Whether `text` is a delivery's id as G2A writes them: 1-128 ASCII letters, digits and
    `._:-`. Event ids must be; the receiver's lines show any other claimed id as `?`."""
    return _DELIVERY_ID.fullmatch(text) is not None


def _number_not_text(value: object) -> object:
    """A price is a JSON number: pydantic's lax mode would read the text `"1.5"` as one."""
    if isinstance(value, str):
        raise ValueError("a number, not text")
    return value


def _rfc_3339_text(value: object) -> object:
    """A moment as the contract writes it: RFC 3339 text, not unix seconds (a number or its
    digits), a date alone or a time without its offset, all of which pydantic would read."""
    if isinstance(value, datetime):  # a Python caller's
        return value
    if not (isinstance(value, str) and _RFC_3339.fullmatch(value)):
        raise ValueError("an RFC 3339 date-time with its offset")
    return value


class OrderEventData(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    order_id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    price: Annotated[Decimal, BeforeValidator(_number_not_text)] = Field(
        ge=0, allow_inf_nan=False, max_digits=20, decimal_places=8
    )
    currency: str = Field(pattern=CURRENCY_PATTERN)


class WebhookEvent(BaseModel):
    """A verified order event (this project's signed webhook, docs/g2a-api.md §5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(pattern=f"^{_DELIVERY_ID.pattern}$")
    type: Literal["order.paid", "order.complete"]
    created_at: Annotated[AwareDatetime, BeforeValidator(_rfc_3339_text)]
    data: OrderEventData


class _NonFinite(ValueError):
    """A JSON body spelled NaN, Infinity or -Infinity (Python's json accepts them)."""


def _non_finite(constant: str) -> Any:
    raise _NonFinite(constant)


_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_non_finite)


def load_json_exactly(body: bytes) -> Any:
    """UTF-8 JSON with numbers as written: decimals exact (`Decimal`), NaN/Infinity refused."""
    try:
        return _EXACT_JSON.decode(body.decode("utf-8"))
    except _NonFinite as exc:
        raise reject("non_finite_number", f"{exc} is not a finite number") from None
    except RecursionError:  # arrays or objects nested deeper than the parser's stack
        raise reject("malformed_body", "JSON nested too deeply") from None
    except ArithmeticError:  # decimal.InvalidOperation: an exponent no Decimal holds
        raise reject("malformed_body", "a number is out of range") from None
    except ValueError:  # also invalid UTF-8
        raise reject("malformed_body", "not JSON") from None


def parse_event(body: bytes) -> WebhookEvent:
    """The event with its amounts exact; `WebhookRejectedError` names the fields at fault."""
    try:
        return WebhookEvent.model_validate(load_json_exactly(body))
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) or "body" for e in exc.errors()})
        raise reject("malformed_body", ", ".join(fields)) from None
