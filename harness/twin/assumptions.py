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
# Which API an entry shapes: its OpenAPI document marks it (contracts/openapi/g2a-*.yaml).
EXPORT, IMPORT, BOTH = "export", "import", "both"


@dataclass(frozen=True)
class Assumption:
    setting: str  # "field" or "field.key" of TwinConfig
    default: Any
    meaning: str
    evidence: str  # the public source, or ASSUMED
    api: str = EXPORT  # EXPORT, IMPORT or BOTH


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
# Errors of the Export API's reads whose code or status G2A does not publish; `{reason}` in a
# message stands for what was wrong.
EXPORT_ERRORS: dict[str, ErrorSpec] = {
    "bad_query": ErrorSpec(400, "BR02", "{reason}"),
    "order_id_not_numeric": ErrorSpec(404, "ORD02", "Order not found"),
    "product_path": ErrorSpec(404, "NOT_FOUND", "No such endpoint"),
}
# Errors of the Import API's `/v3` calls (G2A publishes neither their codes nor their body);
# the Export API's codes where the Import API meets the same situation, `{reason}` in a
# message standing for what was wrong.
IMPORT_ERRORS: dict[str, ErrorSpec] = {
    "offer_not_found": ErrorSpec(404, "OFFER_NOT_FOUND", "Offer not found"),
    "job_not_found": ErrorSpec(404, "JOB_NOT_FOUND", "Job not found"),
    "product_not_found": ErrorSpec(404, "PRODUCT_NOT_FOUND", "Product {product_id} does not exist"),
    "token_invalid": ErrorSpec(401, "AUTH02", "Access token is invalid or expired"),
    "body_not_json": ErrorSpec(400, "BR01", "Invalid JSON"),
    "invalid_data": ErrorSpec(400, "BR02", "{reason}"),
    "rate_limited": ErrorSpec(429, "BR03", "Too many requests"),
    "product_id_not_valid": ErrorSpec(400, "BR04", "Product ID is not valid"),
    "content_type_required": ErrorSpec(400, "BR01", "Content-Type must be application/json"),
}
# Status words of `GET /v1/order/details` per internal state (`lapsed`: unpaid, and its
# reservation expired).
STATUS_WORDS: dict[str, str] = {
    "new": "new",
    "paid": "paid",
    "complete": "complete",
    "lapsed": "new",
}
# Status words of `GET /v3/jobs/{id}`: the job's (pending, done) and a rejected element's.
JOB_STATUS_WORDS: dict[str, str] = {"pending": "pending", "done": "done", "failed": "failed"}
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
OFFERS_PAGE_SIZE = 20
MAX_OFFERS_PER_PAGE = 100  # documented [V]
MAX_PAGE = 500
JOB_DELAY_SECONDS = 0.5
# The status of an accepted offer create or update: G2A documents 200, 201 or 202.
OFFER_ACCEPTED_STATUSES = (200, 201, 202)
OFFER_ACCEPTED_STATUS = 202
# Which `GET /v1/products` answers leave out products with `qty` 0 unless `includeOutOfStock`:
# listings only (a lookup by `id` finds the product whatever its stock), always, or never.
OUT_OF_STOCK_HIDDEN = ("listing", "always", "never")
# The Import API's error body: G2A's Export API envelope, or `{"code", "message"}` (the shape of
# the errors G2A documents for the calls it makes to sellers, docs/g2a-api.md §3).
IMPORT_ERROR_BODIES = ("envelope", "code_message")
# What an OAuth client sends as `client_secret`: the derived Export API key or the API secret.
OAUTH_CLIENT_SECRETS = ("api_key", "api_secret")
# The body of a `/oauth/token` refusal: RFC 6749's `{"error", "error_description"}`, or one of
# the `/v3` bodies with the RFC 6749 error word as its code.
TOKEN_ERROR_BODIES = ("rfc6749", *IMPORT_ERROR_BODIES)
# Where an offer naming a product G2A does not have is turned down: in its job's element, or
# as the answer to the create or update itself.
OFFER_UNKNOWN_PRODUCT = ("job", "request")
# The HTTP status of AUTH01 (no Authorization header): G2A's lists say 403, one source 400.
AUTH01_STATUSES = (403, 400)
# Whose calls share a rate-limit budget: an account's, or an account's on one API.
RATE_LIMIT_SCOPES = ("account", "api")

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
        "POST /v1/order without Content-Type: application/json",
        f"{ASSUMED}: G2A's official PHP client always sends it on POST and PUT",
    ),
    Assumption(
        "order_errors.currency_not_supported",
        ORDER_ERRORS["currency_not_supported"].as_list(),
        "POST /v1/order whose currency is 3 letters but not one the twin prices (a "
        "lower-case code such as 'eur' included); a currency that is not 3 letters is BR02",
        f"{ASSUMED}: G2A documents a 3-letter currency, not the list it accepts nor whether "
        "letter case matters",
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
        f"yet'; the figure is {ASSUMED}. G2A's official PHP client README pays, then fetches the "
        "key at once: under this default that fetch answers ORD03, so the README flow runs "
        "unchanged only on the fast profile (no delay)",
    ),
    Assumption(
        "rate_limit",
        RATE_LIMIT,
        "API calls per credential per window before BR03/429 with Retry-After",
        f"BR03/429 is documented [V]; G2A publishes no figure: {ASSUMED}",
        BOTH,
    ),
    Assumption(
        "rate_window_seconds",
        RATE_WINDOW_SECONDS,
        "length of the rate limit's fixed window",
        ASSUMED,
        BOTH,
    ),
    Assumption(
        "rate_limit_scope",
        RATE_LIMIT_SCOPES[0],
        "whose calls share one rate-limit budget: 'account' (an account's Export and Import "
        "API calls together) or 'api' (each API of an account has its own)",
        f"{ASSUMED}: G2A publishes no rate limit, so not how it counts calls either",
        BOTH,
    ),
    Assumption(
        "auth01_status",
        AUTH01_STATUSES[0],
        "HTTP status of AUTH01, a call without an Authorization header (403 or 400)",
        "AUTH01 is documented [V]; its status is 403 in G2A's lists, 400 in one public source "
        f"(docs/g2a-api.md §1); 403: {ASSUMED}",
        BOTH,
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
        f"{ASSUMED}: no source reports a word for it; 'pending' has been seen, with no stated "
        "meaning (docs/g2a-api.md §1). 'paid' and 'pending' are both words the adapter reads "
        "as paid (PAID_STATUSES) and the committed pact accepts (paid|pending|complete); "
        "status_words.paid set to 'pending' answers the word seen",
    ),
    Assumption(
        "status_words.complete",
        STATUS_WORDS["complete"],
        "details status of an order whose key is available",
        "seen in public clients [1]",
    ),
    Assumption(
        "status_words.lapsed",
        STATUS_WORDS["lapsed"],
        "details status of an unpaid order whose reservation expired (it can no longer be paid)",
        f"{ASSUMED}: G2A publishes no word for it; the twin keeps answering as for any unpaid "
        "order",
    ),
    Assumption(
        "token_ttl_seconds",
        TOKEN_TTL_SECONDS,
        "lifetime of an Import API OAuth token",
        "one saved sandbox answer had expires_in 300 [1]",
        IMPORT,
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
        IMPORT,
    ),
    Assumption(
        "unknown_fields_refused",
        False,
        "whether POST /v1/order refuses a body field, and GET /v1/products a query parameter, "
        "that G2A does not document, BR02 naming them (false: they are ignored)",
        f"{ASSUMED}: G2A documents the fields and parameters of both calls, not what it does "
        "with others (docs/g2a-api.md §1); refused, a misspelt field (maxPrice for max_price) "
        "shows in a test instead of buying without its limit",
    ),
    Assumption(
        "export_auth_case_sensitive",
        True,
        "whether the Export API compares the hash and key of Authorization case-sensitively",
        f"{ASSUMED}: the key is lower-case hex in every public example; G2A does not say "
        "(docs/g2a-api.md §1)",
    ),
    Assumption(
        "out_of_stock_hidden",
        OUT_OF_STOCK_HIDDEN[0],
        "which GET /v1/products answers leave out products with qty 0 unless includeOutOfStock: "
        "'listing' (a lookup by id still finds the product), 'always' or 'never'",
        f"includeOutOfStock is documented [1]; that it defaults to leaving them out is {ASSUMED}; "
        "GET /v1/products?id= is the documented way to look one product up, so it finds it",
    ),
    Assumption(
        "export_errors.bad_query",
        EXPORT_ERRORS["bad_query"].as_list(),
        "GET /v1/products with a page outside 1..max_page or a filter that does not parse "
        "({reason} in the message: what was wrong)",
        f"{ASSUMED}: G2A publishes the page range, not the error; BR02 is 'invalid JSON data'",
    ),
    Assumption(
        "export_errors.order_id_not_numeric",
        EXPORT_ERRORS["order_id_not_numeric"].as_list(),
        "an order call whose id is not digits",
        f"{ASSUMED}: G2A's official client refuses such an id before sending it [V]",
    ),
    Assumption(
        "export_errors.product_path",
        EXPORT_ERRORS["product_path"].as_list(),
        "GET /v1/products/{id}: the twin answers it as an unknown path",
        f"{ASSUMED}: the call is not confirmed (docs/g2a-api.md §1, [?]); GET /v1/products?id= "
        "is the documented lookup",
    ),
    Assumption(
        "oauth_client_secret",
        OAUTH_CLIENT_SECRETS[0],
        "what POST /oauth/token takes as client_secret (client_id is the API hash): 'api_key' "
        "(the derived Export API key) or 'api_secret' (the raw API secret)",
        f"{ASSUMED}: G2A's sandbox account names a hash, an email and a secret, not an OAuth "
        "client; public seller code (e.g. roguetitan1703/g2acodewholesale) calls the pair "
        "client id and client secret",
        IMPORT,
    ),
    Assumption(
        "token_basic_auth",
        False,
        "whether POST /oauth/token takes the client in an HTTP Basic Authorization header "
        "(false: the header is ignored)",
        "G2A documents the client in the form fields [V] (docs/g2a-api.md §2), so the twin "
        f"reads it there only; whether G2A also takes RFC 6749 §2.3.1's Basic header: {ASSUMED}",
        IMPORT,
    ),
    Assumption(
        "token_any_content_type",
        False,
        "whether POST /oauth/token reads a form body whatever its Content-Type (false: one not "
        "sent as application/x-www-form-urlencoded is invalid_request)",
        "G2A documents a form body [V] (docs/g2a-api.md §2), so the twin reads only one sent "
        f"as a form; what G2A does with another Content-Type: {ASSUMED}",
        IMPORT,
    ),
    Assumption(
        "token_error_body",
        TOKEN_ERROR_BODIES[0],
        "the body of a POST /oauth/token refusal: 'rfc6749' ({error, error_description}), "
        "'envelope' ({status: ERROR, code, message}) or 'code_message' ({code, message}), the "
        "last two with the RFC 6749 error word as code",
        f"{ASSUMED}: G2A publishes no token error; RFC 6749 §5.2 is the OAuth 2 standard",
        IMPORT,
    ),
    Assumption(
        "token_rate_limited",
        False,
        "whether POST /oauth/token spends the rate-limit budget of the account it authenticates "
        "(its Import API budget when rate_limit_scope is 'api'), refused BR03/429 with "
        "Retry-After in the body token_error_body names once it is spent (false: token "
        "requests are never limited nor counted)",
        f"{ASSUMED}: G2A publishes no rate limit, so not whether token requests count",
        IMPORT,
    ),
    Assumption(
        "offer_accepted_status",
        OFFER_ACCEPTED_STATUS,
        "HTTP status of an accepted POST /v3/sales/offers or PATCH /v3/sales/offers/{id} "
        "(200, 201 or 202)",
        f"G2A documents 200, 201 or 202 [V]; which one: {ASSUMED}",
        IMPORT,
    ),
    Assumption(
        "offer_body_checked",
        True,
        "whether the body of POST /v3/sales/offers and PATCH /v3/sales/offers/{id} is checked "
        "against the twin's offer shape (offerType, variant: productId, price, inventory, "
        "visibility, active), BR02/BR04 when it does not fit (false: any JSON object is "
        "accepted, and the fields that do not fit the shape are ignored)",
        f"{ASSUMED}: G2A publishes the offer calls and their answers, not their request "
        "body (docs/g2a-api.md §2); the shape is the twin's own",
        IMPORT,
    ),
    Assumption(
        "offer_unknown_product",
        OFFER_UNKNOWN_PRODUCT[0],
        "where an offer naming a product G2A does not have is turned down: 'job' (accepted; "
        "its job's element fails with the code and message of import_errors.product_not_found) "
        "or 'request' (the POST or PATCH answers import_errors.product_not_found)",
        f"{ASSUMED}: G2A publishes the job's element code and message, not when they are used",
        IMPORT,
    ),
    Assumption(
        "offers_page_size",
        OFFERS_PAGE_SIZE,
        "offers per page of GET /v3/sales/offers without itemsPerPage",
        f"G2A documents at most 100 a page [V]; the default: {ASSUMED}",
        IMPORT,
    ),
    Assumption(
        "job_status_words.pending",
        JOB_STATUS_WORDS["pending"],
        "status of a job (and its elements) whose change is not applied yet",
        f"{ASSUMED}: job status words are not published (docs/g2a-api.md §2)",
        IMPORT,
    ),
    Assumption(
        "job_status_words.done",
        JOB_STATUS_WORDS["done"],
        "status of a finished job, and of an element it applied",
        f"{ASSUMED}: job status words are not published (docs/g2a-api.md §2)",
        IMPORT,
    ),
    Assumption(
        "job_status_words.failed",
        JOB_STATUS_WORDS["failed"],
        "status of an element of a finished job that was refused (its code and message say why)",
        f"{ASSUMED}: job status words are not published (docs/g2a-api.md §2)",
        IMPORT,
    ),
    Assumption(
        "import_errors.offer_not_found",
        IMPORT_ERRORS["offer_not_found"].as_list(),
        "PATCH /v3/sales/offers/{id} of an offer the caller does not have",
        f"{ASSUMED}: the Import API's error codes are not published",
        IMPORT,
    ),
    Assumption(
        "import_errors.job_not_found",
        IMPORT_ERRORS["job_not_found"].as_list(),
        "GET /v3/jobs/{id} of a job the caller does not have",
        f"{ASSUMED}: the Import API's error codes are not published",
        IMPORT,
    ),
    Assumption(
        "import_errors.product_not_found",
        IMPORT_ERRORS["product_not_found"].as_list(),
        "an offer naming a product G2A does not have ({product_id} in the message: its id); "
        "the status is used only when offer_unknown_product is 'request'",
        f"{ASSUMED}: the Import API's error codes are not published",
        IMPORT,
    ),
    *(
        Assumption(
            f"import_errors.{situation}",
            IMPORT_ERRORS[situation].as_list(),
            meaning,
            f"{ASSUMED}: the Import API's error codes are not published; the twin answers the "
            "Export API's code for the same situation",
            IMPORT,
        )
        for situation, meaning in (
            ("token_invalid", "a /v3 call whose bearer token is unknown or expired"),
            ("body_not_json", "POST or PATCH /v3/sales/offers whose body is not JSON"),
            (
                "invalid_data",
                "a /v3 call whose body or query does not fit ({reason} in the message: what "
                "was wrong)",
            ),
            (
                "rate_limited",
                "a /v3 call (or a token request, when token_rate_limited is on) over the "
                "rate limit; with Retry-After",
            ),
            ("product_id_not_valid", "an offer whose variant.productId is not digits"),
            (
                "content_type_required",
                "POST or PATCH /v3/sales/offers without Content-Type: application/json",
            ),
        )
    ),
    Assumption(
        "import_error_body",
        IMPORT_ERROR_BODIES[0],
        "the body of a /v3 error: 'envelope' (the Export API's {status: ERROR, code, message}) "
        "or 'code_message' ({code, message})",
        f"{ASSUMED}: the Import API's error body and codes are not published (docs/g2a-api.md §2)",
        IMPORT,
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
