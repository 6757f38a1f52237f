"""G2A Import API: OAuth client-credentials tokens, offers and asynchronous jobs (§2).

Unknowns are settings of `TwinConfig` registered in `harness.twin.assumptions` (and marked in
contracts/openapi/g2a-import.yaml): the `/v3` error codes and body, the job status words, the
status of an accepted offer change, the offer body and where an unknown product is refused,
the default page size, what `client_secret` is, which token requests are read, whether they
spend the rate-limit budget and the body of a token refusal. The `/v3` calls answer the
Export API's codes (`AUTH02`, `BR01`-`BR04`) by default, each an `import_errors` situation.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from harness.twin import errors
from harness.twin.admin_input import finite_number
from harness.twin.assumptions import MAX_OFFERS_PER_PAGE
from harness.twin.config import TwinConfig
from harness.twin.errors import ApiError
from harness.twin.protocol import Call, Reply, json_reply
from harness.twin.query import int_param
from harness.twin.runtime import Twin
from harness.twin.state import Job, Token, owned_by

FORM_TYPE = "application/x-www-form-urlencoded"
# The Export API's errors the Import API's checks share (`errors.json_object`, `query`...) and
# the rate limit's, each answered as its `import_errors` situation. Matched by identity, so
# a configured error that happens to equal one of them is never taken for it.
_SHARED_ERRORS = (
    (errors.BR01, "body_not_json"),
    (errors.BR02, "invalid_data"),
    (errors.BR03, "rate_limited"),
    (errors.BR04, "product_id_not_valid"),
)
_VISIBILITY = ("retail", "business", "all")
_PRICE_KINDS = {"retail", "business"}
_DIGITS = re.compile(r"[0-9]{1,20}")
_PRICE_TEXT = re.compile(r"[0-9]*[1-9][0-9]*(\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*")


def _oauth_refusal(status: int, error: str, description: str) -> ApiError:
    """A token refusal: RFC 6749's `error` word as its code; the dispatcher answers it in the
    body `token_error_body` names (RFC 6749's by default)."""
    return ApiError(errors.ErrorSpec(status, error, description))


def _token_form(config: TwinConfig, call: Call) -> dict[str, str]:
    """The form of a token request; any Content-Type unless `token_any_content_type` is off."""
    if config.token_any_content_type or call.media_type == FORM_TYPE:
        try:
            return dict(parse_qsl(call.body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            pass
    raise _oauth_refusal(400, "invalid_request", "The body must be a form")


def _basic_client(config: TwinConfig, call: Call) -> tuple[str, str] | None:
    """(client_id, client_secret) of an HTTP Basic Authorization header, when
    `token_basic_auth` is on and the request has one."""
    basic = call.headers.get("authorization", "")
    if not (config.token_basic_auth and basic.lower().startswith("basic ")):
        return None
    try:
        decoded = base64.b64decode(basic[6:], validate=True).decode()
    except ValueError:  # not base64 (non-ASCII included), or not UTF-8 once decoded
        raise _oauth_refusal(401, "invalid_client", "Client authentication failed") from None
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def token_account(twin: Twin, call: Call) -> str:
    """The account (API hash) a token request authenticates as, else the refusal: the
    dispatcher's authentication of `POST /oauth/token`, so a refused request spends no
    rate-limit budget and an accepted one spends its account's when `token_rate_limited` is
    on."""
    config = twin.state.config
    form = _token_form(config, call)
    basic = _basic_client(config, call)
    client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
    grant_type = form.get("grant_type")
    if not grant_type:  # RFC 6749 §5.2: a missing parameter (a body that is not a form, say)
        raise _oauth_refusal(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise _oauth_refusal(400, "unsupported_grant_type", "Only client_credentials is supported")
    if not client_id or not client_secret:
        raise _oauth_refusal(400, "invalid_request", "client_id and client_secret are required")
    credential = twin.state.oauth_clients.get((client_id, client_secret))
    if credential is None:
        raise _oauth_refusal(401, "invalid_client", "Client authentication failed")
    return credential.api_hash


def issue_token(twin: Twin, call: Call, _: str | None) -> Reply:
    """`POST /oauth/token`: form `grant_type=client_credentials&client_id&client_secret`
    (or the client in an HTTP Basic header, see `_basic_client`), authenticated by
    `token_account`; the token is the authenticated client's (`call.client`)."""
    state = twin.state
    ttl = state.config.token_ttl_seconds
    token = Token(secrets.token_urlsafe(32), call.client, state.clock() + ttl)
    state.tokens[token.value] = token
    _forget_expired_tokens(twin)
    return json_reply({"access_token": token.value, "token_type": "bearer", "expires_in": ttl})


def _forget_expired_tokens(twin: Twin) -> None:
    now = twin.state.clock()
    expired = [value for value, token in twin.state.tokens.items() if token.expires_at <= now]
    for value in expired:
        del twin.state.tokens[value]


def authenticate(twin: Twin, call: Call) -> str:
    """The OAuth client of a live `Authorization: Bearer <token>`, else AUTH01/AUTH02."""
    header = call.headers.get("authorization")
    if header is None:
        raise errors.missing_authorization(twin.config.auth01_status)
    scheme, _, value = header.partition(" ")
    token = twin.state.tokens.get(value) if scheme.lower() == "bearer" else None
    if token is None or token.expires_at <= twin.state.clock():
        raise ApiError(twin.config.import_errors["token_invalid"])
    return token.client_id


def import_error(config: TwinConfig, error: ApiError) -> ApiError:
    """`error` as the Import API answers it: an Export API error of `_SHARED_ERRORS` as its
    `import_errors` situation, any other unchanged."""
    for shared, situation in _SHARED_ERRORS:
        if error.spec is shared:
            return errors.restated(config.import_errors[situation], error)
    return error


# jobs ---------------------------------------------------------------------------------------
def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def settle_jobs(twin: Twin) -> None:
    """Apply the changes of every job whose delay has passed, in creation order."""
    state = twin.state
    now = state.clock()
    for job in state.jobs.values():
        if job.applied or now < job.ready_at:
            continue
        job.applied = True
        if job.error is not None:
            continue
        offer = state.offers.setdefault(job.offer_id, {"id": job.offer_id})
        state.offer_owners.setdefault(job.offer_id, job.owner)
        _apply_offer(twin, offer, job.payload, job.ready_at)


def _apply_offer(twin: Twin, offer: dict[str, Any], payload: dict[str, Any], at: float) -> None:
    variant = payload.get("variant", {})
    if "offerType" in payload:
        offer["type"] = payload["offerType"]
    if "productId" in variant:
        product = twin.state.catalog.get(variant["productId"]) or {}
        offer["product"] = {"id": variant["productId"], "name": product.get("name", "")}
    if "price" in variant:
        offer["price"] = {k: _price_text(v) for k, v in variant["price"].items()}
    if "inventory" in variant:
        offer["inventory"] = {"size": int(variant["inventory"].get("size", 0)), "sold": 0}
    offer.setdefault("inventory", {"size": 0, "sold": 0})
    if "visibility" in variant:
        offer["visibility"] = variant["visibility"]
    offer.setdefault("visibility", "retail")
    if "active" in variant:
        offer["status"] = "active" if variant["active"] else "inactive"
    offer.setdefault("status", "active")
    offer.setdefault("createdAt", _iso(at))
    offer["updatedAt"] = _iso(at)


def _unknown_product(twin: Twin, payload: dict[str, Any]) -> tuple[str, str] | None:
    """(code, message) of `import_errors.product_not_found` when the offer names a product the
    catalog does not have; raised instead when `offer_unknown_product` is "request"."""
    config = twin.state.config
    product_id = payload.get("variant", {}).get("productId")
    if product_id is None or twin.state.catalog.get(product_id) is not None:
        return None
    spec = config.import_errors["product_not_found"]
    message = spec.message.replace("{product_id}", product_id)
    if config.offer_unknown_product == "request":
        raise ApiError(spec, message)
    return spec.code, message


def _new_job(
    twin: Twin, call: Call, offer_id: str | None, operation: str, payload: dict[str, Any]
) -> Reply:
    """A job for the offer change; `offer_id` None: a new offer, its id drawn once the change
    is accepted (a refused call draws no id, so it shifts none of the ids after it)."""
    state = twin.state
    error = _unknown_product(twin, payload)
    offer_id = offer_id or state.new_uuid()
    now = state.clock()
    job = Job(
        state.new_uuid(),
        now,
        now + state.config.job_delay_seconds,
        offer_id,
        operation,
        payload,
        error,
        owner=call.client,
    )
    state.jobs[job.id] = job
    return json_reply({"data": {"jobId": job.id}}, state.config.offer_accepted_status)


def get_job(twin: Twin, call: Call, job_id: str | None) -> Reply:
    settle_jobs(twin)
    state = twin.state
    job = state.jobs.get(job_id or "")
    if job is None or not owned_by(job.owner, call.client):
        raise ApiError(state.config.import_errors["job_not_found"])
    return json_reply({"data": job.as_dict(state.clock(), state.config.job_status_words)})


# offers -------------------------------------------------------------------------------------
Check = Callable[[Any], ApiError | None]  # a field's value → why it does not fit, or None


def _product_id_problem(value: Any) -> ApiError | None:
    fits = isinstance(value, str) and _DIGITS.fullmatch(value)
    return None if fits else ApiError(errors.BR04)


def _price_problem(price: Any) -> ApiError | None:
    if not isinstance(price, dict) or "retail" not in price:
        return ApiError(errors.BR02, "variant.price must be an object with retail")
    if set(price) - _PRICE_KINDS:
        return ApiError(errors.BR02, "variant.price has only retail and business")
    if not all(_is_price(value) for value in price.values()):
        return ApiError(errors.BR02, "prices must be positive numbers")
    return None


def _inventory_problem(inventory: Any) -> ApiError | None:
    size = inventory.get("size") if isinstance(inventory, dict) else None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return ApiError(errors.BR02, "variant.inventory.size must be an integer >= 0")
    return None


def _visibility_problem(visibility: Any) -> ApiError | None:
    if visibility in _VISIBILITY:
        return None
    return ApiError(errors.BR02, f"variant.visibility must be one of {', '.join(_VISIBILITY)}")


def _active_problem(active: Any) -> ApiError | None:
    fits = isinstance(active, bool)
    return None if fits else ApiError(errors.BR02, "variant.active must be a boolean")


# The offer shape the twin models (G2A publishes none: `offer_body_checked`), in check order.
_VARIANT_CHECKS: dict[str, Check] = {
    "productId": _product_id_problem,
    "price": _price_problem,
    "inventory": _inventory_problem,
    "visibility": _visibility_problem,
    "active": _active_problem,
}
_REQUIRED_ON_CREATE = ("productId", "price")


def _payload(twin: Twin, call: Call, *, creating: bool) -> dict[str, Any]:
    """The offer change a POST or PATCH asks for, in the modelled shape. With
    `offer_body_checked` the first field that does not fit refuses the call; without it any
    JSON object is taken, its fields that do not fit dropped."""
    config = twin.state.config
    if call.media_type != "application/json":  # by default answered as an order's create
        raise ApiError(config.import_errors["content_type_required"])
    data = errors.json_object(call.body)
    checked = config.offer_body_checked
    offer_type = data.get("offerType")
    if not (isinstance(offer_type, str) and offer_type):
        if checked and (creating or offer_type is not None):
            raise ApiError(errors.BR02, "offerType is required and must be a string")
        offer_type = None
    variant = data.get("variant")
    if not isinstance(variant, dict):
        if checked:
            raise ApiError(errors.BR02, "variant must be an object")
        variant = {}
    fitting = {}
    for name, check in _VARIANT_CHECKS.items():
        if name not in variant:
            if checked and creating and name in _REQUIRED_ON_CREATE:
                raise ApiError(errors.BR02, f"variant.{name} is required")
            continue
        problem = check(variant[name])
        if problem is None:
            fitting[name] = variant[name]
        elif checked:
            raise problem
    return {"offerType": offer_type, "variant": fitting} if offer_type else {"variant": fitting}


def _is_price(value: Any) -> bool:
    """A positive amount: a finite JSON number, or a string of plain decimal digits (the
    OpenAPI document's `Price` pattern: no sign, exponent, separator or spaces)."""
    if isinstance(value, str):
        return _PRICE_TEXT.fullmatch(value) is not None
    return finite_number(value) and value > 0


def _price_text(value: float | str) -> str:
    """How an offer shows a price: two decimals, more only where the amount has them (a
    positive price never shows as 0.00)."""
    whole, _, fraction = format(Decimal(str(value)), "f").partition(".")  # exact, any size
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def list_offers(twin: Twin, call: Call, _: str | None) -> Reply:
    """`GET /v3/sales/offers?page=&itemsPerPage=` (itemsPerPage 1..100, default
    `offers_page_size`)."""
    settle_jobs(twin)
    state = twin.state
    page = int_param(call.params, "page", 1)
    per_page = int_param(call.params, "itemsPerPage", state.config.offers_page_size)
    if page < 1 or not 1 <= per_page <= MAX_OFFERS_PER_PAGE:
        raise ApiError(errors.BR02, f"page >= 1 and itemsPerPage 1..{MAX_OFFERS_PER_PAGE}")
    offers = [
        offer
        for offer_id, offer in state.offers.items()
        if owned_by(state.offer_owners.get(offer_id, ""), call.client)
    ]
    window = offers[(page - 1) * per_page : page * per_page]
    meta = {"page": page, "itemsPerPage": per_page, "totalResults": len(offers)}
    return json_reply({"data": window, "meta": meta})


def create_offer(twin: Twin, call: Call, _: str | None) -> Reply:
    payload = _payload(twin, call, creating=True)
    return _new_job(twin, call, None, "create", payload)


def update_offer(twin: Twin, call: Call, offer_id: str | None) -> Reply:
    settle_jobs(twin)
    state = twin.state
    offer_id = offer_id or ""
    if offer_id not in state.offers or not owned_by(
        state.offer_owners.get(offer_id, ""), call.client
    ):
        raise ApiError(state.config.import_errors["offer_not_found"])
    payload = _payload(twin, call, creating=False)
    return _new_job(twin, call, offer_id, "update", payload)
