"""Export API products: `GET /v1/products` with every filter, paging and lookup by id.

Paging follows what G2A sends, not an assumed page size: the next page is asked for until a page
comes back empty or the products sent (readable or not) reach `total`
(`ProductPage.next_page_after`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict, TypeVar, Unpack

from pydantic import ValidationError

from g2a_adapter._errors import NotFoundError, RequestValidationError, ResponseFormatError
from g2a_adapter.client._core import ClientCore, Flow, Spec
from g2a_adapter.client._models import Product, ProductPage, ProductQuery, valid_product_id

T = TypeVar("T")
ROUTE = "/v1/products"


class ProductFilters(TypedDict, total=False):
    """The filters of `products.list`, which `iter_all` and `aiter_all` pass on."""

    id: str | int | None
    min_qty: int | None
    min_price_from: Decimal | float | None
    min_price_to: Decimal | float | None
    include_out_of_stock: bool | None
    updated_at_from: datetime | None
    updated_at_to: datetime | None


def _query(**fields: Any) -> ProductQuery:
    try:
        return ProductQuery(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError(
            "invalid product query: "
            + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors(include_input=False))
        ) from None


def _page_parser(asked: int) -> Callable[[bytes], ProductPage]:
    """Parser of an answer to page `asked`; G2A echoes the page it serves (docs/g2a-api.md §1),
    so an answer that is another page cannot be read (and paging stepping from it would loop)."""

    def parse(body: bytes) -> ProductPage:
        page = ProductPage.model_validate_json(body)
        if page.page != asked:
            raise ResponseFormatError(
                f"GET {ROUTE}: asked for page {asked}, the answer is page {page.page}"
            )
        return page

    return parse


def _first(page: ProductPage, product_id: str) -> Product:
    for product in page.docs:
        if product.id == product_id:
            return product
    if product_id in page.unreadable_ids:
        raise ResponseFormatError(f"GET {ROUTE}: product {product_id} was answered unreadable")
    raise NotFoundError(f"product {product_id} is not in the catalog")


class ProductCalls:
    """Flows of the products endpoints (shared by the sync and async services)."""

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    @property
    def _url(self) -> str:
        return f"{self._core.export_url}/products"

    def list(self, query: ProductQuery) -> Flow[ProductPage]:
        spec = Spec("GET", self._url, ROUTE, _page_parser(query.page), params=query.params())
        page: ProductPage = yield from self._core.exchange(spec)
        return page

    def get(self, product_id: str | int) -> Flow[Product]:
        """The lookup asks for the product whatever its stock (`includeOutOfStock`): whether G2A
        hides one out of stock from a lookup by id is not known (twin: `out_of_stock_hidden`)."""
        try:
            wanted = valid_product_id(product_id)
        except ValueError as exc:
            raise RequestValidationError(f"invalid product id: {exc}") from None
        lookup = ProductQuery(id=wanted, include_out_of_stock=True)
        spec = Spec("GET", self._url, ROUTE, _page_parser(lookup.page), params=lookup.params())
        page: ProductPage = yield from self._core.exchange(spec)
        return _first(page, wanted)


class Products:
    """`client.products` of `G2AClient`."""

    def __init__(self, calls: ProductCalls, run: Callable[[Flow[Any]], Any]) -> None:
        self._calls = calls
        self._run = run

    def list(
        self,
        page: int = 1,
        *,
        id: str | int | None = None,
        min_qty: int | None = None,
        min_price_from: Decimal | float | None = None,
        min_price_to: Decimal | float | None = None,
        include_out_of_stock: bool | None = None,
        updated_at_from: datetime | None = None,
        updated_at_to: datetime | None = None,
    ) -> ProductPage:
        query = _query(
            page=page,
            id=id,
            min_qty=min_qty,
            min_price_from=min_price_from,
            min_price_to=min_price_to,
            include_out_of_stock=include_out_of_stock,
            updated_at_from=updated_at_from,
            updated_at_to=updated_at_to,
        )
        result: ProductPage = self._run(self._calls.list(query))
        return result

    def iter_all(self, **filters: Unpack[ProductFilters]) -> Iterator[Product]:
        """Every product matching `filters`, page after page (each answer must be the page
        asked for: `ResponseFormatError` otherwise), until a page is empty or the products G2A
        sent, readable or not, reach its `total`.

        Stops after page 500, the last one G2A serves (`MAX_PRODUCT_PAGE`), with a warning when
        `total` counts more; narrow `filters` (e.g. `updated_at_from`) to see them all.
        """
        page: int | None = 1
        listed = 0
        while page is not None:
            current = self.list(page, **filters)
            yield from current.docs
            listed += current.sent
            page = current.next_page_after(listed)

    def get(self, product_id: str | int) -> Product:
        """The product with this id, in stock or not; NotFoundError if the catalog has none."""
        result: Product = self._run(self._calls.get(product_id))
        return result


class AsyncProducts:
    """`client.products` of `AsyncG2AClient`."""

    def __init__(self, calls: ProductCalls, run: Callable[[Flow[Any]], Awaitable[Any]]) -> None:
        self._calls = calls
        self._run = run

    async def list(
        self,
        page: int = 1,
        *,
        id: str | int | None = None,
        min_qty: int | None = None,
        min_price_from: Decimal | float | None = None,
        min_price_to: Decimal | float | None = None,
        include_out_of_stock: bool | None = None,
        updated_at_from: datetime | None = None,
        updated_at_to: datetime | None = None,
    ) -> ProductPage:
        query = _query(
            page=page,
            id=id,
            min_qty=min_qty,
            min_price_from=min_price_from,
            min_price_to=min_price_to,
            include_out_of_stock=include_out_of_stock,
            updated_at_from=updated_at_from,
            updated_at_to=updated_at_to,
        )
        result: ProductPage = await self._run(self._calls.list(query))
        return result

    async def aiter_all(self, **filters: Unpack[ProductFilters]) -> AsyncIterator[Product]:
        """Every product matching `filters`, page after page, as `iter_all` lists them."""
        page: int | None = 1
        listed = 0
        while page is not None:
            current = await self.list(page, **filters)
            for product in current.docs:
                yield product
            listed += current.sent
            page = current.next_page_after(listed)

    async def get(self, product_id: str | int) -> Product:
        result: Product = await self._run(self._calls.get(product_id))
        return result
