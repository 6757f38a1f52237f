"""A number in a step's message: every digit it holds, no more, never in exponent form."""

from __future__ import annotations

import pytest

from harness.bdd.wordings import Wording, phrases, shown

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


NAMES = Wording(
    "query parameter", phrases({n: n for n in ("page", "minQty", "minPriceFrom", "minPriceTo")})
)


@pytest.mark.parametrize(
    ("said", "guess"),
    [
        ("minqty", ' (did you mean "minQty"?)'),  # another case
        ("Page", ' (did you mean "page"?)'),
        ("minQtty", ' (did you mean "minQty"?)'),  # one form close
        ("minPrice", ""),  # close to two forms: either could be meant
        ("limit", ""),  # close to none
    ],
)
def test_a_refusal_names_the_one_form_a_word_was_likely_meant_to_be(said: str, guess: str) -> None:
    forms = '"page", "minQty", "minPriceFrom", "minPriceTo"'
    assert NAMES.refusal(said) == (
        f'"{said}" is not a query parameter the step knows{guess}; a query parameter is one '
        f"of {forms}"
    )
