"""The public surface of `g2a_adapter` is pinned: adding or removing a name is a decision."""

from __future__ import annotations

import asyncio
import importlib
import inspect

import pytest

import g2a_adapter
from g2a_adapter import _errors as errors

PUBLIC = {
    "__version__",
    "Settings",
    "G2AClient",
    "AsyncG2AClient",
    "Metrics",
    "PURCHASE_RESULTS",  # the `result` labels of g2a_purchases_total (as REJECTIONS' reasons)
    "RetryPolicy",
    "open_store",
    "WebhookVerifier",
    "WebhookHandler",
    "WebhookEvent",
    "Product",
    "ProductPage",
    "OrderCreated",
    "PaymentResult",
    "OrderDetails",
    "OrderKey",
    "PurchaseResult",
    "AccessToken",
    "Offer",
    "OfferPage",
    "Job",
    "G2AError",
    "ConfigError",
    "AuthError",
    "ApiAuthError",
    "RequestValidationError",
    "NotFoundError",
    "G2AApiError",
    "PurchasePendingError",
    "UnknownOrderStatusError",
    "RateLimitedError",
    "TransportError",
    "OutcomeUnknownError",
    "ResponseFormatError",
    "ClientClosedError",
    "IdempotencyError",
    "IdempotencyConflictError",
    "IdempotencyInProgressError",
    "KeyDeliveryLostError",
    "LeaseLostError",
    "StoreUnavailableError",
    "WebhookRejectedError",
    # the receiver and the store ports a service wires together
    "ReceiverOptions",
    "TransactionalHandler",
    "IdempotencyStore",
    "ReplayGuard",
    "ClaimState",
    # the environment G2A's API host belongs to (the rule Settings and the harness's targets apply)
    "env_of_host",
}

# The faces of the three parts (and the wire module): each name there is a decision too.
SUBPACKAGES = {
    "g2a_adapter.receiver": {
        "DELIVERY_REJECTIONS",  # the reasons a G2A delivery is refused for (the alert's)
        "IPN_STATUSES",  # G2A Pay's statuses: the IPN event types of the metrics
        "REJECTIONS",
        "Delivery",
        "EventHandler",
        "HandleResult",
        "HealthChecker",
        "HealthReport",
        "IpnNotification",
        "IpnVerifier",
        "Outcome",
        "ReceiverOptions",
        "ReceiverSettings",
        "Rejection",
        "SellerTokenIssuer",
        "TokenRequestError",
        "TransactionalHandler",
        "WebhookEvent",
        "WebhookHandler",
        "WebhookVerifier",
        "create_receiver_app",
        # the one rule of a delivery's id: an event id, an IPN's transaction id (the harness's too)
        "is_delivery_id",
        # serving the app under server limits (uvicorn, as `g2a-harness receiver serve` does)
        "ServerLimits",
        "uvicorn_config",
        "store_check",
        "token_check",
        # the declared-stock port a service implements (`ReceiverOptions.seller_stock`)
        "SellerStock",
        "StockRequest",
        "StockLevel",
        "Reservation",
        "InventoryKind",
        "InventoryItem",
        "DeliveredStock",
        "SellerOrder",
        "InventoryFile",
        "InventoryAccount",
        "AccountDetail",
        "StockNotification",
        "SellerStockError",
        "ProductNotFoundError",
        "InsufficientStockError",
        "ReservationNotFoundError",
        "ReservationExpiredError",
        "OrderExistsError",
        "OrderNotFoundError",
        "InventoryNotFoundError",
    },
    "g2a_adapter.idempotency": {
        "JSON",
        "Claim",
        "ClaimDecision",
        "ClaimState",
        "GroupedWrites",
        "IdempotencyStore",
        "MemoryStore",
        "ProcessOnce",
        "ProcessOnceInTransaction",
        "Record",
        "ReplayGuard",
        "SqlStore",
        "SqlTransaction",
        "SqliteStore",
        "StoreUrl",
        "decide_claim",
        "open_store",
        "parse_store_url",
        "replay_guard_of",
        "write_group",
    },
}


def test_exported_names_are_pinned() -> None:
    assert set(g2a_adapter.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(g2a_adapter, name) is not None, name


@pytest.mark.parametrize("module", sorted(SUBPACKAGES))
def test_subpackage_faces_are_pinned(module: str) -> None:
    face = importlib.import_module(module)
    assert set(face.__all__) == SUBPACKAGES[module]
    for name in SUBPACKAGES[module]:
        assert getattr(face, name) is not None, name


def test_the_receiver_and_store_ports_are_the_subpackages_own() -> None:
    from g2a_adapter import idempotency, receiver

    assert g2a_adapter.ReceiverOptions is receiver.ReceiverOptions
    assert g2a_adapter.TransactionalHandler is receiver.TransactionalHandler
    assert g2a_adapter.IdempotencyStore is idempotency.IdempotencyStore
    assert g2a_adapter.ReplayGuard is idempotency.ReplayGuard
    for store in (idempotency.MemoryStore(), idempotency.open_store("memory://")):
        assert isinstance(store, idempotency.IdempotencyStore)
        assert isinstance(store, idempotency.ReplayGuard)
        assert not isinstance(store, idempotency.GroupedWrites)  # each write on its own
    assert isinstance(idempotency.open_store("sqlite:///:memory:"), idempotency.GroupedWrites)


@pytest.mark.parametrize(
    ("text", "is_one"),
    [
        ("evt-1", True),
        ("A.z_9:0-", True),
        ("e" * 128, True),
        ("", False),
        ("e" * 129, False),
        ("evt 1", False),
        ("evt-1\n", False),
        ("evt/1", False),
        ("\u00e9vt", False),
    ],
)
def test_a_delivery_id_is_1_to_128_letters_digits_and_dot_underscore_colon_hyphen(
    text: str, is_one: bool
) -> None:
    from g2a_adapter.receiver import is_delivery_id

    assert is_delivery_id(text) is is_one


def test_the_seller_stocks_refusals_carry_their_status_and_code() -> None:
    """What G2A reads for each refusal of the declared-stock port (`{"code", "message"}`)."""
    from g2a_adapter import receiver

    refusals = {
        "SellerStockError": (400, "bad_request"),
        "ProductNotFoundError": (404, "product_not_found"),
        "InsufficientStockError": (400, "insufficient_stock"),
        "ReservationNotFoundError": (404, "reservation_not_found"),
        "ReservationExpiredError": (410, "reservation_expired"),
        "OrderExistsError": (409, "order_exists"),
        "OrderNotFoundError": (404, "order_not_found"),
        "InventoryNotFoundError": (404, "inventory_not_found"),
    }
    for name, answer in refusals.items():
        error = getattr(receiver, name)
        assert issubclass(error, receiver.SellerStockError), name
        assert (error.status, error.code) == answer, name
    assert receiver.OrderExistsError("res-1 was ordered").message == "res-1 was ordered"


def test_every_error_class_is_exported() -> None:
    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.G2AError)
    }
    assert classes <= set(g2a_adapter.__all__)


def test_error_hierarchy() -> None:
    assert issubclass(g2a_adapter.OutcomeUnknownError, g2a_adapter.TransportError)
    assert issubclass(g2a_adapter.RateLimitedError, g2a_adapter.G2AApiError)
    assert issubclass(g2a_adapter.ApiAuthError, g2a_adapter.AuthError)
    assert issubclass(g2a_adapter.ApiAuthError, g2a_adapter.G2AApiError)
    assert issubclass(g2a_adapter.RequestValidationError, ValueError)
    for name in PUBLIC:
        value = getattr(g2a_adapter, name)
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, g2a_adapter.G2AError), name


def test_sync_and_async_clients_offer_the_same_services() -> None:
    sync_methods = {
        "products": {"list", "iter_all", "get"},
        "orders": {"create", "pay", "details", "key", "purchase"},
        "offers": {"list", "create", "update"},
        "jobs": {"get"},
        "auth": {"token", "invalidate"},
    }
    settings = g2a_adapter.Settings(
        api_url="https://sandboxapi.g2a.com", api_hash="h", api_key="9" * 64
    )
    with g2a_adapter.G2AClient(settings) as client:
        for service, methods in sync_methods.items():
            for method in methods:
                assert callable(getattr(getattr(client, service), method)), (service, method)
    async_client = g2a_adapter.AsyncG2AClient(settings)
    assert inspect.isasyncgenfunction(async_client.products.aiter_all)
    for service, methods in sync_methods.items():
        for method in methods - {"iter_all", "invalidate"}:
            bound = getattr(getattr(async_client, service), method)
            assert inspect.iscoroutinefunction(bound), (service, method)
    assert inspect.iscoroutinefunction(async_client.aclose)
    asyncio.run(async_client.aclose())
