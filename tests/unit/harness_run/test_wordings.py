"""A number in a step's message: every digit it holds, no more, never in exponent form."""

from __future__ import annotations

import pytest

from harness.bdd.wordings import shown

SHOWN = {
    12.5000001: "12.5000001",
    1234567.89: "1234567.89",
    12.50: "12.5",
    10.0: "10",
    0.0: "0",
    0.1: "0.1",
    1e16: "10000000000000000",
}


@pytest.mark.parametrize(("number", "text"), SHOWN.items(), ids=SHOWN.values())
def test_a_number_is_shown_with_every_digit_it_holds(number: float, text: str) -> None:
    assert shown(number) == text
