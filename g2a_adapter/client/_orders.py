"""Export API orders: create, pay, details, key — and the checkpointed purchase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from g2a_adapter._errors import RequestValidationError
from g2a_adapter.client._core import ClientCore, Flow, PurchaseStep, Spec
from g2a_adapter.client._models import (
    CreateOrderRequest,
    OrderCreated,
    OrderDetails,
    OrderKey,
    PaymentResult,
    PurchaseResult,
    valid_order_id,
)
from g2a_adapter.client._purchase import PurchaseRequest
from g2a_adapter.wire import PURCHASE_KEY_HEADER


def _invalid(exc: ValidationError, what: str) -> RequestValidationError:
    details = "; ".join(
        f"{e['loc'][0] if e['loc'] else what}: {e['msg']}" for e in exc.errors(include_input=False)
    )
    return RequestValidationError(f"invalid {what}: {details}")


def _order_id(order_id: str | int) -> str:
    try:
        return valid_order_id(order_id)
    except ValueError as exc:
        raise RequestValidationError(f"invalid order id: {exc}") from None


def create_request(
    product_id: str | int,
    currency: str,
    max_price: Decimal | float | None,
    min_rating: float | None,
) -> CreateOrderRequest:
    try:
        return CreateOrderRequest(
            product_id=product_id,
            currency=currency,
            max_price=max_price,
            min_rating=min_rating,
        )
    except ValidationError as exc:
        raise _invalid(exc, "order") from None


Purchase = Callable[[PurchaseRequest], Flow[PurchaseResult]]  # the client's purchase flow


def _purchase_headers(purchase: PurchaseStep | None) -> tuple[tuple[str, str], ...]:
    """`X-Purchase-Key` on the create and pay of a purchase (none on direct calls)."""
    return () if purchase is None else ((PURCHASE_KEY_HEADER, purchase.key_digest),)


class OrderCalls:
    """Flows of the order endpoints (shared by the sync and async services).

    `create` and `pay` are not idempotent: a timeout after sending them is an unknown
    outcome. `key` is not either: G2A hands a key out once, so a lost answer cannot be
    fetched again.
    """

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    @property
    def _base(self) -> str:
        return self._core.export_url

    def create(
        self, request: CreateOrderRequest, *, purchase: PurchaseStep | None = None
    ) -> Flow[OrderCreated]:
        spec = Spec(
            "POST",
            f"{self._base}/order",
            "/v1/order",
            OrderCreated.model_validate_json,
            json=request.body(),
            idempotent=False,
            headers=_purchase_headers(purchase),
            purchase=purchase,
        )
        result: OrderCreated = yield from self._core.exchange(spec)
        return result

    def pay(self, order_id: str, *, purchase: PurchaseStep | None = None) -> Flow[PaymentResult]:
        spec = Spec(
            "PUT",
            f"{self._base}/order/pay/{order_id}",
            "/v1/order/pay/{order_id}",
            PaymentResult.model_validate_json,
            idempotent=False,
            headers=_purchase_headers(purchase),
            purchase=purchase,
        )
        result: PaymentResult = yield from self._core.exchange(spec)
        return result

    def details(self, order_id: str, *, purchase: PurchaseStep | None = None) -> Flow[OrderDetails]:
        spec = Spec(
            "GET",
            f"{self._base}/order/details/{order_id}",
            "/v1/order/details/{order_id}",
            OrderDetails.model_validate_json,
            purchase=purchase,
        )
        result: OrderDetails = yield from self._core.exchange(spec)
        return result

    def key(self, order_id: str, *, purchase: PurchaseStep | None = None) -> Flow[OrderKey]:
        spec = Spec(
            "GET",
            f"{self._base}/order/key/{order_id}",
            "/v1/order/key/{order_id}",
            OrderKey.model_validate_json,
            idempotent=False,
            purchase=purchase,
            read_timeout=self._core.settings.key_timeout_seconds,
            any_content_type=True,  # handed out once: a mislabelled key is still the key
        )
        result: OrderKey = yield from self._core.exchange(spec)
        return result


class _OrdersBase:
    def __init__(self, calls: OrderCalls, purchase: Purchase) -> None:
        self._calls = calls
        self._purchase = purchase

    def _purchase_flow(
        self,
        product_id: str | int,
        idempotency_key: str,
        max_price: Decimal | float | None,
        currency: str,
        poll_interval: float,
        poll_timeout: float,
        wait_timeout: float,
    ) -> Flow[PurchaseResult]:
        order = create_request(product_id, currency, max_price, None)
        request = PurchaseRequest(order, idempotency_key, poll_interval, poll_timeout, wait_timeout)
        return self._purchase(request)


class Orders(_OrdersBase):
    """`client.orders` of `G2AClient`."""

    def __init__(
        self,
        calls: OrderCalls,
        purchase: Purchase,
        run: Callable[[Flow[Any]], Any],
    ) -> None:
        super().__init__(calls, purchase)
        self._run = run

    def create(
        self,
        product_id: str | int,
        *,
        currency: str = "EUR",
        max_price: Decimal | float | None = None,
        min_rating: float | None = None,
    ) -> OrderCreated:
        request = create_request(product_id, currency, max_price, min_rating)
        result: OrderCreated = self._run(self._calls.create(request))
        return result

    def pay(self, order_id: str | int) -> PaymentResult:
        result: PaymentResult = self._run(self._calls.pay(_order_id(order_id)))
        return result

    def details(self, order_id: str | int) -> OrderDetails:
        result: OrderDetails = self._run(self._calls.details(_order_id(order_id)))
        return result

    def key(self, order_id: str | int) -> OrderKey:
        result: OrderKey = self._run(self._calls.key(_order_id(order_id)))
        return result

    def purchase(
        self,
        product_id: str | int,
        *,
        idempotency_key: str,
        max_price: Decimal | float | None = None,
        currency: str = "EUR",
        poll_interval: float = 0.2,
        poll_timeout: float = 30.0,
        wait_timeout: float = 5.0,
    ) -> PurchaseResult:
        """create → pay → poll details → key, checkpointed; safe to re-run with the same key.

        A completed purchase is kept 30 days: a re-run with its key
        within them returns it and never buys again; after them the key buys again.
        """
        flow = self._purchase_flow(
            product_id,
            idempotency_key,
            max_price,
            currency,
            poll_interval,
            poll_timeout,
            wait_timeout,
        )
        result: PurchaseResult = self._run(flow)
        return result


class AsyncOrders(_OrdersBase):
    """`client.orders` of `AsyncG2AClient`."""

    def __init__(
        self,
        calls: OrderCalls,
        purchase: Purchase,
        run: Callable[[Flow[Any]], Awaitable[Any]],
    ) -> None:
        super().__init__(calls, purchase)
        self._run = run

    async def create(
        self,
        product_id: str | int,
        *,
        currency: str = "EUR",
        max_price: Decimal | float | None = None,
        min_rating: float | None = None,
    ) -> OrderCreated:
        request = create_request(product_id, currency, max_price, min_rating)
        result: OrderCreated = await self._run(self._calls.create(request))
        return result

    async def pay(self, order_id: str | int) -> PaymentResult:
        result: PaymentResult = await self._run(self._calls.pay(_order_id(order_id)))
        return result

    async def details(self, order_id: str | int) -> OrderDetails:
        result: OrderDetails = await self._run(self._calls.details(_order_id(order_id)))
        return result

    async def key(self, order_id: str | int) -> OrderKey:
        result: OrderKey = await self._run(self._calls.key(_order_id(order_id)))
        return result

    async def purchase(
        self,
        product_id: str | int,
        *,
        idempotency_key: str,
        max_price: Decimal | float | None = None,
        currency: str = "EUR",
        poll_interval: float = 0.2,
        poll_timeout: float = 30.0,
        wait_timeout: float = 5.0,
    ) -> PurchaseResult:
        """create → pay → poll details → key, checkpointed; safe to re-run with the same key.

        A completed purchase is kept 30 days: a re-run with its key
        within them returns it and never buys again; after them the key buys again.
        """
        flow = self._purchase_flow(
            product_id,
            idempotency_key,
            max_price,
            currency,
            poll_interval,
            poll_timeout,
            wait_timeout,
        )
        result: PurchaseResult = await self._run(flow)
        return result
