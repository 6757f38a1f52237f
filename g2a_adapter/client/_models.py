"""Typed requests and responses of the G2A Export and Import APIs.

Field names follow G2A's JSON (aliases) with snake_case attributes; unknown extra fields are
kept (`model_extra`), never rejected, because G2A adds fields without notice. One odd product
never fails a page: its optional fields are read tolerantly (`[]` for an empty object; an odd
value is logged and read as absent) and the product is returned; a product whose `id`, `name`,
`qty` or `minPrice` cannot be read is logged and skipped (`ProductPage.unreadable_ids`). A
missing, negative or non-finite `minPrice` (or `qty`) cannot be read: it is never taken as 0, a
price a purchase could be capped from. A JSON `true`/`false` is never read as a number
(`Integer`, `Number`, `Price`): the answer holding it cannot be read. Prices are `Decimal`s, as
the receiver's webhook amounts are, so the two compare equal (`Decimal("9.99") != 9.99`); G2A's
prices are read exactly to 15 significant digits, the most a JSON number carries through a float.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

logger = logging.getLogger("g2a_adapter.models")
MAX_PRODUCT_PAGE = 500  # G2A serves pages 1 to 500 of `GET /v1/products` (docs/g2a-api.md §1)
_NUMERIC_ID = re.compile(r"[0-9]{1,32}")
PATH_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")  # an Import API id that goes into a URL path
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CURRENCY_CODE = r"^[A-Z]{3}$"
MAX_PRICE_CURRENCY = "EUR"  # `max_price` of an order is in EUR, whatever its currency (§1)


class G2AModel(BaseModel):
    # Validation errors name the field, never its value: an answer may carry a token or a key.
    model_config = ConfigDict(
        extra="allow", populate_by_name=True, frozen=True, hide_input_in_errors=True
    )


def _not_bool(value: object) -> object:
    """A JSON `true`/`false` is no number (pydantic's lax mode would read `true` as 1)."""
    if isinstance(value, bool):
        raise ValueError("a bool is not a number")
    return value


# Every number read from G2A's answers or taken from a caller's price filters and caps: what lax
# mode reads otherwise (a whole float as an integer, a numeric string) still is, a bool never is.
Integer = Annotated[int, BeforeValidator(_not_bool)]
Number = Annotated[float, BeforeValidator(_not_bool)]


def json_number(value: Decimal) -> float:
    """`value` as the JSON number it is written as (through a float, as `json` writes numbers);
    ValueError for one a float would round (16 significant digits or more) or not finite."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if Decimal(repr(float(value))) != value:
        raise ValueError(f"{value} has more digits than a JSON number carries")
    return float(value)


# A price or a price bound: exact in Python, a JSON number on the wire and in stored records;
# finite, as pydantic reads any `Decimal` (NaN and infinity are refused).
Price = Annotated[
    Decimal,
    BeforeValidator(_not_bool),
    PlainSerializer(float, return_type=float, when_used="json"),
]


def id_text(value: object) -> str:
    """An id given as a string or an integer, as text; "" for anything else (a bool too)."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _numeric_id(value: object, name: str) -> str:
    text = id_text(value)
    if not _NUMERIC_ID.fullmatch(text):
        raise ValueError(f"{name} must be a numeric string")
    return text


def valid_order_id(value: object) -> str:
    """G2A order ids are numeric strings; G2A's own client refuses others before sending."""
    return _numeric_id(value, "order_id")


def valid_product_id(value: object) -> str:
    return _numeric_id(value, "product_id")


# --- Export API: products ------------------------------------------------------------------


class ProductQuery(BaseModel):
    """`GET /v1/products` query: every documented filter.

    `page` and `min_qty` are integers (a bool is refused). G2A documents the format of
    `updatedAtFrom`/`updatedAtTo` but not their time zone; the adapter sends UTC: an aware
    datetime is converted to UTC, a naive one is taken to be in UTC already and sent as written.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    page: int = Field(default=1, ge=1, le=MAX_PRODUCT_PAGE, strict=True)
    id: str | None = None
    min_qty: int | None = Field(default=None, ge=0, strict=True)
    min_price_from: Price | None = Field(default=None, ge=0)
    min_price_to: Price | None = Field(default=None, ge=0)
    include_out_of_stock: bool | None = None
    updated_at_from: datetime | None = None
    updated_at_to: datetime | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        return None if value is None else valid_product_id(value)

    def params(self) -> dict[str, str]:
        """The query string as G2A spells it."""
        params = {"page": str(self.page)}
        if self.id is not None:
            params["id"] = self.id
        if self.min_qty is not None:
            params["minQty"] = str(self.min_qty)
        if self.min_price_from is not None:
            params["minPriceFrom"] = _number(self.min_price_from)
        if self.min_price_to is not None:
            params["minPriceTo"] = _number(self.min_price_to)
        if self.include_out_of_stock is not None:
            params["includeOutOfStock"] = "true" if self.include_out_of_stock else "false"
        if self.updated_at_from is not None:
            params["updatedAtFrom"] = _utc_text(self.updated_at_from)
        if self.updated_at_to is not None:
            params["updatedAtTo"] = _utc_text(self.updated_at_to)
        return params


def _number(value: Decimal) -> str:
    """Digits without trailing zeros or an exponent: `10` for `10.0` or `1E+1`, `9.9` for `9.90`."""
    return f"{value.normalize():f}"


def _utc_text(moment: datetime) -> str:
    """`yyyy-mm-dd hh:mm:ss` in UTC; a naive datetime is taken to be in UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(_DATETIME_FORMAT)


_PHP_EMPTY_OBJECTS = frozenset({"restrictions", "requirements"})
_TOLERATED = (
    "type",
    "slug",
    "thumbnail",
    "small_image",
    "description",
    "region",
    "developer",
    "publisher",
    "platform",
    "restrictions",
    "requirements",
    "videos",
    "categories",
)


class Product(G2AModel):
    id: str
    name: str
    qty: Integer = Field(ge=0)
    min_price: Price = Field(alias="minPrice", ge=0)
    type: str | None = None
    slug: str | None = None
    thumbnail: str | None = None
    small_image: str | None = Field(default=None, alias="smallImage")
    description: str | None = None
    region: str | None = None
    developer: str | None = None
    publisher: str | None = None
    platform: str | None = None
    restrictions: dict[str, bool] | None = None
    requirements: dict[str, dict[str, Any]] | None = None
    videos: list[dict[str, Any]] | None = None
    categories: list[Any] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="wrap")
    @classmethod
    def _tolerated(cls, data: object, handler: ModelWrapValidatorHandler[Product]) -> Product:
        """An optional field G2A's backend writes loosely never fails the product (or its page).

        The product is read as documented. When that fails on such fields (`_TOLERATED`), PHP's
        `[]` for an empty object is read as `{}`, any other value of the wrong shape is logged
        (product id, field, type; never the value) and read as absent, and the product is read
        again: it fails only on a field it cannot do without.
        """
        try:
            return handler(data)
        except ValidationError as exc:
            failed = (error["loc"][0] for error in exc.errors() if error["loc"])
            loose = dict.fromkeys(key for key in failed if key in _TOLERATED_KEYS)
            if not (loose and isinstance(data, Mapping)):
                raise
        return handler({**data, **{key: _loosely_read(data, str(key)) for key in loose}})


def _loosely_read(data: Mapping[str, Any], key: str) -> object:
    """What a product's tolerated field `key` that failed is read as: `{}` for PHP's `[]`, else
    None, logged."""
    value, field = data[key], _TOLERATED_KEYS[key]
    if value == [] and field in _PHP_EMPTY_OBJECTS:
        return {}
    logger.warning(
        "product %s: field %s has an unexpected %s; read as absent",
        id_text(data.get("id")) or "?",
        field,
        type(value).__name__,
    )
    return None


# A tolerated field's keys in G2A's JSON: its alias, and its name (`populate_by_name`).
_TOLERATED_KEYS = {
    key: name for name in _TOLERATED for key in (name, Product.model_fields[name].alias or name)
}


def _readable_products(docs: list[Any]) -> tuple[list[Product], tuple[str, ...]]:
    """The products of a page that can be read, and the ids of those that cannot (each logged
    with the fields it fails on, never their values; "" for an id that cannot be read)."""
    readable: list[Product] = []
    unreadable: list[str] = []
    for doc in docs:
        try:
            readable.append(Product.model_validate(doc))
        except ValidationError as exc:
            product_id = id_text(doc.get("id")) if isinstance(doc, dict) else ""
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            logger.warning(
                "product %s: %s unreadable; the product is skipped",
                product_id or "?",
                ", ".join(fields) or "the whole product",
            )
            unreadable.append(product_id)
    return readable, tuple(unreadable)


class ProductPage(G2AModel):
    total: Integer
    page: Integer
    docs: list[Product]
    _unreadable_ids: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _skip_unreadable(
        cls, data: object, handler: ModelWrapValidatorHandler[ProductPage]
    ) -> ProductPage:
        """One unreadable product never fails its page: it is skipped (and logged)."""
        if not (isinstance(data, dict) and isinstance(data.get("docs"), list)):
            return handler(data)
        readable, unreadable = _readable_products(data["docs"])
        page = handler({**data, "docs": readable})
        page._unreadable_ids = unreadable
        return page

    @property
    def unreadable_ids(self) -> tuple[str, ...]:
        """Ids of the products of this page that were skipped as unreadable ("" if unknown)."""
        return self._unreadable_ids

    @property
    def sent(self) -> int:
        """How many products G2A sent on this page, readable or not."""
        return len(self.docs) + len(self._unreadable_ids)

    @property
    def next_page(self) -> int | None:
        """For a loop that keeps no count (`page = current.next_page`): the page after this
        one, or None when it is the last. Every page before it is taken to hold what this one
        does, so after a last page that is not full it asks for one (empty) page more;
        `iter_all` counts what it was sent and asks for none (`next_page_after`)."""
        return self.next_page_after(self.page * self.sent)

    def next_page_after(self, listed: int) -> int | None:
        """The page after this one, given `listed`: the products G2A sent on this page and on
        those before it, readable or not. None when this is the last page: it is empty, `listed`
        reached `total`, or it is `MAX_PRODUCT_PAGE`, the last one G2A serves (a warning says so
        when `total` counts more). How many products a page holds is not assumed: G2A's 20 has
        one source only (docs/g2a-api.md §1).
        """
        if self.sent == 0 or listed >= self.total:
            return None
        if self.page >= MAX_PRODUCT_PAGE:
            logger.warning(
                "GET /v1/products: page %d is the last page G2A serves; %d of %d products were "
                "listed (narrow the filters, e.g. updated_at_from, to list the rest)",
                self.page,
                listed,
                self.total,
            )
            return None
        return self.page + 1


# --- Export API: orders --------------------------------------------------------------------


class CreateOrderRequest(BaseModel):
    """`POST /v1/order` body."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    product_id: str
    currency: str = Field(default="EUR", pattern=CURRENCY_CODE)
    max_price: Price | None = None
    min_rating: Number | None = Field(default=None, ge=0, le=1)

    @field_validator("product_id", mode="before")
    @classmethod
    def _product_id(cls, value: object) -> object:
        return valid_product_id(value)

    @field_validator("max_price")
    @classmethod
    def _caps_the_price(cls, value: Decimal | None) -> Decimal | None:
        """G2A reads `max_price: 0` as no limit, so a 0 (say, a cap computed from a price that
        was never read) would buy at any price: only None means no limit. The body carries the
        cap as a JSON number, so a cap it would round (16 significant digits or more) is
        refused rather than sent above or below what was asked."""
        if value is None:
            return None
        if value <= 0:
            raise ValueError("max_price must be above 0: G2A reads 0 as no limit (None means none)")
        json_number(value)
        return value

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def exceeded_by(self, created: OrderCreated) -> bool:
        """Whether G2A created an order above `max_price` (in EUR; None: no limit). An order
        in another currency cannot be compared: its rate is not known here."""
        limit = self.max_price
        if limit is None or created.currency != MAX_PRICE_CURRENCY:
            return False
        return created.price > limit


class OrderCreated(G2AModel):
    order_id: str  # numeric: the pay, details and key URLs are built from it
    price: Price = Field(ge=0)
    currency: str = Field(pattern=CURRENCY_CODE)

    @field_validator("order_id", mode="before")
    @classmethod
    def _order_id(cls, value: object) -> object:
        return valid_order_id(value)


UNPAID_STATUS = "new"  # the one status word that means an order was certainly not paid
# The words of a paid order: G2A's `pending` and `complete` (docs/g2a-api.md §1), the twin's
# `paid`. G2A publishes no others; an order showing another word is neither paid nor unpaid.
PAID_STATUSES = frozenset({"paid", "pending", "complete"})


class PaymentResult(G2AModel):
    """A pay G2A accepted. G2A documents only `true`; any other status is an answer the
    client cannot read (on a pay: an unknown outcome that order details settle)."""

    status: Literal[True]
    transaction_id: str


class OrderDetails(G2AModel):
    status: str
    price: Price | None = None
    currency: str | None = None

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def unpaid(self) -> bool:
        """`new`: certainly not paid, the one word an order is ever paid again on."""
        return self.status == UNPAID_STATUS

    @property
    def paid(self) -> bool:
        """A known word of a paid order (`PAID_STATUSES`). An unknown word (`expired`, say)
        is neither paid nor `unpaid`: such an order is never paid, nor waited on as paid."""
        return self.status in PAID_STATUSES


def _said_or_unknown(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """`isFile` as G2A said it, or None (not said) when it cannot be read, logged (its type,
    never the answer): G2A hands the key it comes with out once, so an odd flag (PHP's `[]`,
    say) never throws that key away."""
    try:
        return handler(value)
    except ValidationError:
        logger.warning(
            "order key answer: isFile has an unexpected %s; read as not said",
            type(value).__name__,
        )
        return None


class OrderKey(G2AModel):
    key: str = Field(repr=False)  # the goods: kept out of reprs, logs and tracebacks
    is_file: Annotated[bool | None, WrapValidator(_said_or_unknown)] = Field(
        default=None, alias="isFile"
    )

    @field_validator("key")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        """An empty key is no delivery: the answer cannot be read (and is never stored)."""
        if not value.strip():
            raise ValueError("key is empty")
        return value


class PurchaseResult(G2AModel):
    order_id: str
    transaction_id: str | None
    key: str = Field(repr=False)
    price: Price
    currency: str
    is_file: bool | None = None  # G2A's `isFile`; None when it did not say (or before it was kept)
    resumed: bool = False


# --- Import API: token, offers, jobs --------------------------------------------------------


_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what a header value carries as is
MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600.0


class AccessToken(G2AModel):
    access_token: SecretStr
    token_type: str = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: Number = Field(gt=0, le=MAX_TOKEN_LIFETIME_SECONDS, allow_inf_nan=False)
    obtained_at: float = Field(default_factory=lambda: time.time())

    @field_validator("access_token")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_CHARS.fullmatch(value.get_secret_value()):
            raise ValueError("access_token must be visible ASCII without spaces")
        return value

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.obtained_at + self.expires_in, UTC)

    def ttl_seconds(self, now: float | None = None) -> float:
        current = time.time() if now is None else now
        return max(0.0, self.obtained_at + self.expires_in - current)

    def refresh_due(self, now: float, early_fraction: float = 0.2) -> bool:
        """True once less than `early_fraction` of the token's life is left."""
        return self.ttl_seconds(now) <= self.expires_in * early_fraction


def _int_as_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


IdText = Annotated[str, BeforeValidator(_int_as_text)]  # an id G2A may send as a number


class Offer(G2AModel):
    id: IdText | None = None


class OfferMeta(G2AModel):
    """The paging of an offers listing; `itemsPerPage` only echoes the request and may be
    missing (None: not guessed)."""

    page: Integer
    items_per_page: Integer | None = Field(default=None, alias="itemsPerPage")
    total_results: Integer = Field(alias="totalResults")


class OfferPage(G2AModel):
    data: list[Offer]
    meta: OfferMeta


class JobAccepted(G2AModel):
    job_id: IdText = Field(alias="jobId")

    @field_validator("job_id")
    @classmethod
    def _path_segment(cls, value: str) -> str:
        """The id `jobs.get` takes: an answer with any other cannot be read."""
        if not PATH_SEGMENT.fullmatch(value):
            raise ValueError("jobId must be 1-64 letters, digits, '-' or '_'")
        return value


class JobElement(G2AModel):
    resource_id: IdText | None = Field(default=None, alias="resourceId")
    resource_type: str | None = Field(default=None, alias="resourceType")
    status: str | None = None
    code: IdText | None = None  # G2A's error codes are text (`BR02`); a number is read as text
    message: str | None = None


def _null_as_empty(value: object) -> object:
    return [] if value is None else value


class Job(G2AModel):
    job_id: IdText = Field(alias="jobId")
    status: str
    elements: Annotated[list[JobElement], BeforeValidator(_null_as_empty)] = Field(
        default_factory=list
    )  # `null` while a job has none yet


class ErrorEnvelope(G2AModel):
    """G2A's error body `{"status": "ERROR", "code", "message"}`, or OAuth's
    `{"error", "error_description"}` from the token endpoint."""

    status: str | None = None
    code: str = Field(validation_alias=AliasChoices("code", "error"))
    message: str = Field(default="", validation_alias=AliasChoices("message", "error_description"))
