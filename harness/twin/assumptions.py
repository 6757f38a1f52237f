"""The registry of what the twin assumes about G2A: one entry per value G2A does not publish.

Each entry names the `TwinConfig` setting that holds it (so a deployment or a test overrides it
by configuration), its default, and the evidence for it: a public source, or "assumed". The
twin's defaults are read from here, tests and pacts that pin an assumed value read it from here
too, so replacing an assumption with a sandbox observation is a one-line change in this file.
`GET /__twin/assumptions` serves the registry with the values currently in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.twin.errors import ErrorSpec

ASSUMED = "assumed"


@dataclass(frozen=True)
class Assumption:
    setting: str  # "field" or "field.key" of TwinConfig
    default: Any
    meaning: str
    evidence: str  # the public source, or ASSUMED


# Errors whose code or HTTP status (or the situation they answer) G2A does not publish.
ORDER_ERRORS: dict[str, ErrorSpec] = {
    "product_not_found": ErrorSpec(404, "ORD01", "Product not found"),
    "out_of_stock": ErrorSpec(400, "ORD07", "Product is out of stock"),
    "price_exceeded": ErrorSpec(402, "ORD05", "Product price is higher than max_price"),
    "rating_not_met": ErrorSpec(400, "ORD07", "No offer meets min_rating"),
    "already_paid": ErrorSpec(400, "ORD06", "Order already paid"),
    "key_not_ready": ErrorSpec(403, "ORD03", "Order is not processed yet"),
    "body_on_pay": ErrorSpec(400, "BR02", "This call takes no body"),
    "content_type_required": ErrorSpec(400, "BR01", "Content-Type must be application/json"),
    "currency_not_supported": ErrorSpec(400, "BR02", "Currency is not supported"),
}
# Status words of `GET /v1/order/details` per internal state.
STATUS_WORDS: dict[str, str] = {"new": "new", "paid": "paid", "complete": "complete"}
# Currencies an order may be priced in, with the twin's fixed rate from EUR.
CURRENCY_RATES: dict[str, float] = {
    "EUR": 1.0,
    "USD": 1.08,
    "GBP": 0.85,
    "PLN": 4.30,
    "CHF": 0.95,
    "CZK": 25.0,
    "SEK": 11.5,
    "NOK": 11.7,
    "DKK": 7.46,
    "HUF": 395.0,
    "RON": 4.97,
    "CAD": 1.47,
    "AUD": 1.65,
    "JPY": 160.0,
    "BRL": 5.9,
}
PROCESSING_DELAY_SECONDS = 1.0
RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 1.0
TOKEN_TTL_SECONDS = 300
RESERVATION_SECONDS = 1800.0
PAGE_SIZE = 20
MAX_PAGE = 500
JOB_DELAY_SECONDS = 0.5

_NO_CODE = "G2A publishes no code or status for this situation"
REGISTRY: tuple[Assumption, ...] = (
    Assumption(
        "order_errors.product_not_found",
        ORDER_ERRORS["product_not_found"].as_list(),
        "POST /v1/order names a product G2A does not have",
        f"{ASSUMED}: {_NO_CODE}",
    ),
    Assumption(
        "order_errors.out_of_stock",
        ORDER_ERRORS["out_of_stock"].as_list(),
        "POST /v1/order of a product with no stock",
        f"{ASSUMED}: {_NO_CODE}",
    ),
    Assumption(
        "order_errors.price_exceeded",
        ORDER_ERRORS["price_exceeded"].as_list(),
        "POST /v1/order whose price is above max_price",
        f"{ASSUMED}: G2A lists ORD05/402 without a meaning (docs/g2a-api.md, [1])",
    ),
    Assumption(
        "order_errors.rating_not_met",
        ORDER_ERRORS["rating_not_met"].as_list(),
        "POST /v1/order whose min_rating no seller of the product meets",
        f"{ASSUMED}: G2A documents min_rating but not its answer when no auction meets it; "
        "the status and code of out of stock, as nothing can be bought",
    ),
    Assumption(
        "order_errors.already_paid",
        ORDER_ERRORS["already_paid"].as_list(),
        "PUT /v1/order/pay/{id} of an order already paid (nothing is charged again)",
        f"{ASSUMED}: {_NO_CODE}",
    ),
    Assumption(
        "order_errors.key_not_ready",
        ORDER_ERRORS["key_not_ready"].as_list(),
        "GET /v1/order/key/{id} before the order is processed (unpaid or processing)",
        "ORD03/403 'payment not ready' is listed by G2A [1]; a public report of the sandbox "
        f"quotes 'Order is not processed yet'; that the key call answers it is {ASSUMED}",
    ),
    Assumption(
        "order_errors.body_on_pay",
        ORDER_ERRORS["body_on_pay"].as_list(),
        "PUT /v1/order/pay/{id} with a body: refused before anything changes",
        f"{ASSUMED}: G2A's official PHP client sends no body on pay, so no client relies on one",
    ),
    Assumption(
        "order_errors.content_type_required",
        ORDER_ERRORS["content_type_required"].as_list(),
        "POST /v1/order, POST /v3/sales/offers or PATCH /v3/sales/offers/{id} without "
        "Content-Type: application/json",
        f"{ASSUMED}: G2A's official PHP client always sends it on POST and PUT",
    ),
    Assumption(
        "order_errors.currency_not_supported",
        ORDER_ERRORS["currency_not_supported"].as_list(),
        "POST /v1/order in a currency the twin does not price",
        f"{ASSUMED}: G2A documents a 3-letter currency, not the list it accepts",
    ),
    Assumption(
        "currency_rates",
        CURRENCY_RATES,
        "currencies an order may be priced in, with the rate from EUR",
        f"{ASSUMED}: EUR is the documented default [V]; the list and the rates are not public",
    ),
    Assumption(
        "completion_delay_seconds",
        PROCESSING_DELAY_SECONDS,
        "seconds between a payment and the key being available (details say 'paid' meanwhile)",
        "public clients wait after paying and a sandbox report says 'Order is not processed "
        f"yet'; the figure is {ASSUMED}",
    ),
    Assumption(
        "rate_limit",
        RATE_LIMIT,
        "API calls per credential per window before BR03/429 with Retry-After",
        f"BR03/429 is documented [V]; G2A publishes no figure: {ASSUMED}",
    ),
    Assumption(
        "rate_window_seconds",
        RATE_WINDOW_SECONDS,
        "length of the rate limit's fixed window",
        ASSUMED,
    ),
    Assumption(
        "status_words.new",
        STATUS_WORDS["new"],
        "details status of an unpaid order",
        "G2A's PHP client fixtures [V]",
    ),
    Assumption(
        "status_words.paid",
        STATUS_WORDS["paid"],
        "details status of a paid order still being processed",
        f"{ASSUMED}: 'pending' is seen in public clients with no stated meaning",
    ),
    Assumption(
        "status_words.complete",
        STATUS_WORDS["complete"],
        "details status of an order whose key is available",
        "seen in public clients [1]",
    ),
    Assumption(
        "token_ttl_seconds",
        TOKEN_TTL_SECONDS,
        "lifetime of an Import API OAuth token",
        "one saved sandbox answer had expires_in 300 [1]",
    ),
    Assumption(
        "reservation_seconds",
        RESERVATION_SECONDS,
        "how long an unpaid order holds stock; paying later is ORD114",
        "30 minutes, stated by G2A staff [1]",
    ),
    Assumption("page_size", PAGE_SIZE, "products per page", "G2A's documentation [1]"),
    Assumption("max_page", MAX_PAGE, "last page of GET /v1/products", "G2A's documentation [1]"),
    Assumption(
        "job_delay_seconds",
        JOB_DELAY_SECONDS,
        "seconds before an Import API job is done",
        ASSUMED,
    ),
)


def current_value(config: object, setting: str) -> Any:
    """The value of `setting` ("field" or "field.key") in `config`, as JSON."""
    name, _, key = setting.partition(".")
    value = getattr(config, name)
    if key:
        value = value[key]
    return value.as_list() if isinstance(value, ErrorSpec) else value


def registry_report(config: object) -> list[dict[str, Any]]:
    """The registry with the values in force under `config` (what `/__twin/assumptions` serves)."""
    return [
        {
            "setting": entry.setting,
            "meaning": entry.meaning,
            "evidence": entry.evidence,
            "assumed": ASSUMED in entry.evidence,
            "default": entry.default,
            "value": current_value(config, entry.setting),
        }
        for entry in REGISTRY
    ]
