"""`ReceiverOptions` refuses values that would break the receiver silently once served."""

from __future__ import annotations

import math
from typing import Any

import pytest

from g2a_adapter import ReceiverOptions

COUNTS = "max_body_bytes, handler_threads and seller_token_ttl_seconds must be positive"
HEALTH = "health_timeout_s must be a positive, finite number of seconds"
LEASE = "claim_lease_seconds must be more than 0 and at most 3.16224e+08"  # 10 years


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_body_bytes": 0}, COUNTS),
        ({"handler_threads": 0}, COUNTS),
        ({"handler_threads": -1}, COUNTS),
        ({"seller_token_ttl_seconds": 0}, COUNTS),  # every seller token born expired
        ({"seller_token_ttl_seconds": -5}, COUNTS),
        ({"health_timeout_s": 0}, HEALTH),  # every /healthz check would time out: 503
        ({"health_timeout_s": math.nan}, HEALTH),
        ({"health_timeout_s": math.inf}, HEALTH),
        ({"claim_lease_seconds": 0}, LEASE),  # every claim lapsed at once: handlers run twice
        ({"claim_lease_seconds": math.nan}, LEASE),
        ({"claim_lease_seconds": math.inf}, LEASE),
    ],
)
def test_nonsense_is_refused_when_the_options_are_built(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="must be") as refused:
        ReceiverOptions(**options)
    assert str(refused.value) == message


def test_the_defaults_and_small_positive_values_are_accepted() -> None:
    assert ReceiverOptions().health_timeout_s == 0.5
    tight = ReceiverOptions(health_timeout_s=0.01, seller_token_ttl_seconds=1, handler_threads=1)
    assert (tight.health_timeout_s, tight.seller_token_ttl_seconds) == (0.01, 1)
