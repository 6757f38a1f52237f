"""The shapes the adapter expects of G2A, as Pact matchers shared by the consumer tests.

Values that vary at G2A (ids, prices, names, tokens, keys) are matched by type or by regex; the
example values are realistic and, where a provider state pins them (order ids, product ids),
identical to the state's parameters so the verifier can replay them.
"""

from __future__ import annotations

from typing import Any

from pact import generate, match
from pact.match.matcher import AndMatcher, GenericMatcher

from g2a_adapter.wire import export_authorization
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

PRODUCT_ID = "10000084431001"
UNKNOWN_PRODUCT_ID = "10000000000017"
ORDER_ID = "1530978476"
DIGITS = r"^\d+$"
CURRENCY = r"^[A-Z]{3}$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
JSON_TYPE = r"^application/json(;.*)?$"
# G2A documents a 200, 201 or 202 for an offer create or update without saying which: a pact
# pinning the twin's 202 would fail a verification against G2A for nothing the adapter needs.
ANY_SUCCESS_STATUS = {
    "status": {"combine": "AND", "matchers": [{"match": "statusCode", "status": "success"}]}
}


class _Both(AndMatcher[str]):
    """pact-python 4's `AndMatcher` leaves its example out of the integration JSON, and the
    FFI then serves (and writes) `null`: this one passes the example along."""

    def to_integration_json(self) -> dict[str, Any]:
        return {**super().to_integration_json(), "value": self._value}


def text(value: str, regex: str) -> AndMatcher[str]:
    """A JSON string matching `regex`. A regex matcher alone also passes a JSON number (pact
    matches a regex against the value's text: `1530978476` passes `^\\d+$`), so a type matcher
    is combined with it (V4 `"combine": "AND"`)."""
    return _Both(match.str(value), match.regex(value, regex=regex))


EXPORT_AUTH = match.regex(
    export_authorization(SANDBOX_API_HASH, SANDBOX_API_KEY),
    regex=r"^[A-Za-z0-9]+, [0-9a-f]{64}$",
)
BAD_KEY = "0" * 64
EXAMPLE_TOKEN = "kX3v9Q0pZ8rT2mN5bW7yL1cD4fG6hJ0sA9eR3tU8iO2"
# `match.regex` takes no generator: the same regex matcher, built with the provider-state one.
BEARER = GenericMatcher(
    "regex",
    f"Bearer {EXAMPLE_TOKEN}",
    regex=r"^Bearer \S+$",
    generator=generate.provider_state("Bearer ${access_token}"),
)


def product(product_id: str = PRODUCT_ID) -> dict[str, Any]:
    """A product as the adapter maps it (`g2a_adapter.Product`)."""
    return {
        "id": text(product_id, DIGITS),
        "name": match.str("Star Wars Battlefront 2 (2017) Origin Key GLOBAL"),
        "type": match.str("egoods"),
        "slug": match.str("/star-wars-battlefront-2-2017-origin-key-global-i10000084431001"),
        "qty": match.int(120),
        "minPrice": match.number(41.5),
        "thumbnail": match.str("https://images.g2a.com/images/58x58/0x1x1/abc"),
        "smallImage": match.str("https://images.g2a.com/images/230x336/0x1x1/abc"),
        "region": match.str("GLOBAL"),
        "developer": match.str("EA DICE"),
        "publisher": match.str("Electronic Arts"),
        "platform": match.str("Origin"),
        "restrictions": match.each_value_matches({"pegi_violence": True}, rules=match.bool(True)),
        "categories": match.each_like(match.str("Action"), min=1),
    }


def product_page(product_id: str = PRODUCT_ID) -> dict[str, Any]:
    return {
        "total": match.int(1),
        "page": 1,
        "docs": match.each_like(product(product_id), min=1),
    }


def error(code: str | Any, message: str = "Error message") -> dict[str, Any]:
    """G2A's error envelope; `code` is literal where G2A documents it."""
    return {"status": "ERROR", "code": code, "message": match.str(message)}
