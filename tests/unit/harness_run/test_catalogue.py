"""The step catalogue: complete, self-checking, and the docs/steps.md generated from it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bdd.catalogue import CatalogueStep, catalogue, closest, example_matches, grep, render
from harness.bdd.readable import readable
from harness.targets import TARGETS
from harness.twin.catalog import generate_products
from harness.twin.config import TwinConfig

ROOT = Path(__file__).resolve().parents[3]
STEPS = catalogue()


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.line()[:60])
def test_every_step_has_a_docstring_and_an_example_its_parser_accepts(step: CatalogueStep) -> None:
    assert step.doc, f"{step.defined_at}: no docstring"
    assert step.example, f"{step.defined_at}: no 'Example:' line in the docstring"
    assert example_matches(step), f"{step.defined_at}: example {step.example!r} does not match"
    assert set(step.targets) <= set(TARGETS)


def test_every_product_an_example_names_is_one_the_twin_sells() -> None:
    """Found by a QA walkthrough: the example of `When QA orders product {product_id}`, the
    order step every scenario copies, named 99999999999999, which no twin sells: copied as
    shown, the order failed with ORD01 (`docs/writing-scenarios.md`: copy the example lines)."""
    config = TwinConfig()
    sold = {product["id"] for product in generate_products(config.seed, config.catalog_size)}
    named = {
        (step.example, product)
        for step in STEPS
        for product in re.findall(r"\bproducts? \"?(\d+)", step.example)
    }
    assert [(example, product) for example, product in named if product not in sold] == []


def test_the_json_catalogue_lists_every_step_with_its_parts() -> None:
    done = _harness("steps", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert len(listed) == len(STEPS) > 100
    out_of_stock = next(
        s for s in listed if s["pattern"] == "product {product_id:whole} is out of stock"
    )
    assert out_of_stock == {
        "kind": "given",
        "pattern": "product {product_id:whole} is out of stock",
        "params": {"product_id": "whole"},
        "doc": out_of_stock["doc"],
        "readable": "product {product_id:whole} is out of stock",
        "example": "product 10000068865001 is out of stock",
        "targets": ["twin"],
        "defined_at": out_of_stock["defined_at"],
        "argument": "",
        "table": [],
    }
    assert out_of_stock["doc"].startswith("Set a product's stock to zero")
    assert out_of_stock["defined_at"].startswith("harness/bdd/steps/twin_state.py:")


def test_grep_narrows_the_text_listing() -> None:
    done = _harness("steps", "--grep", "webhook")
    assert done.returncode == 0
    blocks = [b for b in done.stdout.split("\n\n") if b.strip()]
    assert blocks
    assert all("webhook" in b.lower() for b in blocks)
    assert len(blocks) == len(grep(STEPS, "webhook")) < len(STEPS)
    assert _harness("steps", "--grep", "no-such-word-anywhere").returncode == 1


def test_an_unknown_format_is_one_line() -> None:
    done = _harness("steps", "--format", "yaml")
    assert done.returncode == 2
    assert done.stderr == "g2a-harness steps: unknown format 'yaml'; choose one of text, md, json\n"


def test_docs_steps_md_is_fresh() -> None:
    committed = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")
    assert committed == render(STEPS, "md"), (
        "docs/steps.md is stale: run `g2a-harness steps --format md > docs/steps.md`"
    )


def test_docs_steps_md_comes_out_the_same_from_any_directory(tmp_path: Path) -> None:
    """An installed harness (README command 1) regenerates the same file: the steps are named
    `harness/...`, not by where the package happens to be installed."""
    listed = subprocess.run(
        [sys.executable, "-m", "harness", "steps", "--format", "md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert listed.stdout == (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")


def test_the_closest_steps_to_a_typo_come_first() -> None:
    nearest = closest("Given product 1 is out of stok", STEPS)
    assert len(nearest) == 3
    assert nearest[0].pattern == "product {product_id:whole} is out of stock"


def test_among_near_equal_steps_the_line_s_own_kind_comes_first() -> None:
    """A Then step looks as close to this Given line as another Given step (0.67 and 0.63 of
    1, by text): the Given step goes first."""
    nearest = closest("Given product 10000068865001 is out of st", STEPS, kind="given")
    assert [(s.kind, s.pattern) for s in nearest[:2]] == [
        ("given", "product {product_id:whole} is out of stock"),
        ("given", "product {product_id:whole} has {quantity:whole} keys in stock"),
    ]


def test_a_wrong_keyword_still_shows_the_step_of_the_other_kind_first() -> None:
    nearest = closest("Then product 10000068865001 is out of st", STEPS, kind="then")
    assert (nearest[0].kind, nearest[0].pattern) == (
        "given",
        "product {product_id:whole} is out of stock",
    )


def test_a_step_that_takes_a_table_shows_it_with_its_header_in_the_docs() -> None:
    takers = [s for s in STEPS if s.argument]
    assert takers, "no step takes a data table or doc string"
    for step in takers:
        assert step.table, f"{step.defined_at}: takes a {step.argument}, its example shows none"
    metrics = next(s for s in STEPS if s.pattern == "it exposes the metrics")
    assert (metrics.argument, metrics.table[0].split()) == ("data table", ["|", "metric", "|"])
    markdown = render(STEPS, "md")
    assert "- takes a data table under the step, headed as in the example:" in markdown
    assert "      | metric" in markdown


def test_a_worded_parameter_lists_its_forms_in_the_catalogue() -> None:
    delivery = next(
        s for s in STEPS if s.pattern.startswith("a delivery for the order arrives with {")
    )
    assert delivery.params["tampering"].startswith('one of "a signature made with another secret"')
    assert '"a body larger than 64 KiB"' in delivery.params["tampering"]
    fault = next(s for s in STEPS if s.pattern.startswith("the twin fails every "))
    assert fault.params["fault"] == (
        'one of "HTTP <status>", "a rate limit asking to wait <seconds, a whole number from 0 '
        'to 3600> s", "a connection reset", "a malformed body"'
    )


def test_the_query_step_takes_the_query_names_the_adapter_sends_with_a_whole_number() -> None:
    """`asking for {name} {value}` takes a whole number: its `name` is one of the query
    parameters the adapter can send with one, and no other, as the catalogue lists them (the
    step refuses any other name, `steps --check` too)."""
    from datetime import UTC, datetime

    from g2a_adapter.client._models import ProductQuery

    step = next(s for s in STEPS if s.readable.endswith("asking for {name} {value}"))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    every = ProductQuery(
        page=2,
        id="10000068865001",
        min_qty=1,
        min_price_from=1,
        min_price_to=2,
        include_out_of_stock=True,
        updated_at_from=moment,
        updated_at_to=moment,
    ).params()
    whole = [name for name, value in every.items() if value.isdigit()]
    assert step.params["name"] == "one of " + ", ".join(f'"{name}"' for name in whole)


def test_numbers_are_whole_or_decimal_and_counts_singular_or_plural() -> None:
    price = next(
        s for s in STEPS if s.pattern == "product {product_id:whole} costs {price:number} EUR"
    )
    assert price.params == {"product_id": "whole", "price": "a number above 0"}
    counter = next(s for s in STEPS if s.pattern.startswith("the request counter shows"))
    assert counter.params == {"count": "whole", "status": "whole"}


def test_the_receiver_s_metrics_steps_are_listed_where_their_receiver_runs() -> None:
    """The scrape needs the twin's receiver (`Given the receiver is subscribed to the twin's
    order events`), and `it exposes the metrics` reads that scrape: both run on the twin only."""
    targets = {s.pattern: s.targets for s in STEPS}
    subscribed = targets["the receiver is subscribed to the twin's order events"]
    assert subscribed == ("twin",)
    assert targets["the operator scrapes the receiver's metrics endpoint"] == subscribed
    assert targets["it exposes the metrics"] == subscribed
    scrape = next(s for s in STEPS if s.pattern.startswith("the operator scrapes the receiver"))
    markdown = render([scrape], "md")
    assert "- targets: twin\n" in markdown


def test_a_product_s_price_and_stock_are_checked_read_only_on_every_target() -> None:
    bounded = {
        s.pattern: s
        for s in STEPS
        if s.kind == "then"
        and s.pattern.startswith("product {product_id:whole} ")
        and "{bound}" in s.pattern
    }
    assert sorted(bounded) == [
        "product {product_id:whole} costs {bound} {price:number} EUR",
        "product {product_id:whole} has {bound} {count:whole} key in stock",
        "product {product_id:whole} has {bound} {count:whole} keys in stock",
    ]
    for step in bounded.values():
        assert step.targets == TARGETS
        assert step.params["bound"] == 'one of "at most", "at least", "exactly"'
    markdown = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")
    assert "### `product {product_id:whole} costs {bound} {price:number} EUR`" in markdown


def test_a_step_s_description_is_its_docstring_s_whole_first_paragraph() -> None:
    """A first sentence wrapped onto a second line is not cut off where the line breaks."""
    (step,) = [s for s in catalogue() if s.pattern.startswith("the seller stocks {count:whole}")]
    assert step.doc == (
        "Serve the receiver with G2A's declared-stock callbacks over a reference stock holding "
        "that many keys of one product; reservations last 30 minutes on the seller's clock."
    )
    assert not [s.pattern for s in catalogue() if "Example:" in s.doc or "\n" in s.doc]


# a regex step's pattern -> how the catalogue shows it
READABLE = {
    r"the request counter shows (?P<count>\d+) requests? with status (?P<status>\d{3})": (
        "the request counter shows {count} request(s) with status {status}"
    ),
    r"the twin (?:answers|fails) the next (?P<times>\d+) (?P<call>order details|product list|"
    r"payment|offers|order|token|key) requests? with (?P<fault>.+)": (
        "the twin answers/fails the next {times} {call} request(s) with {fault}"
    ),
    r"the claim is (?:a |an )?(?P<state>new|in progress|mismatch)": "the claim is [a/an] {state}",
    r"G2A orders the reservation(?P<another> again as another G2A order)?": (
        "G2A orders the reservation [again as another G2A order]"
    ),
    r'the seller refuses it with HTTP (?P<status>\d+)(?: and code "(?P<code>[\w.-]+)")?': (
        'the seller refuses it with HTTP {status} [and code "{code}"]'
    ),
    r"the adapter runs against (?P<where>the sandbox|live)$": "the adapter runs against {where}",
    # alternatives of more than one word are parenthesised: "from (a seller/sellers) rated"
    r"the twin sells product (?P<product_id>\d+) from (?:a seller|sellers) rated (?P<sellers>.+)": (
        "the twin sells product {product_id} from (a seller/sellers) rated {sellers}"
    ),
}


def test_a_regex_step_is_shown_with_its_groups_as_placeholders() -> None:
    shown = {s.pattern: s.readable for s in STEPS}
    assert {pattern: shown[pattern] for pattern in READABLE} == READABLE
    counter = next(s for s in STEPS if s.pattern.startswith("the request counter shows"))
    assert counter.line() == f"Then {READABLE[counter.pattern]}"
    heading = "### `the request counter shows {count} request(s) with status {status}`"
    assert heading in render([counter], "md").splitlines()
    # the phrases a group may hold, hidden by its placeholder, are its parameter's forms
    wrong = next(s for s in STEPS if s.readable == "the adapter uses a wrong {credential}")
    assert wrong.params == {"credential": 'one of "API key", "API hash", "OAuth client secret"'}


def test_an_optional_fixed_phrase_is_optional_text_not_a_parameter() -> None:
    """A named group that can only hold one phrase is text the line may leave out: the step
    function gets it (or None), but a feature line fills in nothing."""
    step = next(s for s in STEPS if s.pattern.startswith("G2A orders the reservation"))
    assert (step.readable, step.params) == (
        "G2A orders the reservation [again as another G2A order]",
        {},
    )
    assert "- parameters: none" in render([step], "md").splitlines()
    # every parameter listed is a `{placeholder}` of the line as shown
    shown = [(s.readable, name) for s in STEPS for name in s.params]
    placeholders = [(line, name) for line, name in shown if re.search(rf"{{{name}(:\w+)?}}", line)]
    assert placeholders == shown


def test_no_step_shows_regex_syntax_in_the_catalogue() -> None:
    markdown = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")
    regex_syntax = ("(?", "\\d", "\\w", "[^", ".+", "?P<")
    assert [s.readable for s in STEPS if any(m in s.readable for m in regex_syntax)] == []
    assert [line for line in markdown.splitlines() if any(m in line for m in regex_syntax)] == []


def test_optional_alternatives_of_several_words_are_bracketed_once() -> None:
    """The brackets of an optional group already hold its phrases together."""
    optional = readable(r"QA lists (?:the first page|every page)?")
    assert optional == "QA lists [the first page/every page]"
    assert readable(r"QA lists (?:the first|every) page") == "QA lists (the first/every) page"
    assert readable(r"QA lists (?:one|each) page") == "QA lists one/each page"


def test_a_regex_group_of_digits_only_is_a_whole_number_with_or_without_a_converter() -> None:
    """The legend's `whole`: a digit-only group (`\\d+`, `\\d{3}`, `[45]\\d\\d`) takes a whole
    number in digits, whether the step converts it or takes its text."""
    params = {s.pattern: s.params for s in STEPS}
    assert params[r"QA orders product (?P<product_id>\d+) in (?P<currency>[A-Z]{3})"] == {
        "product_id": "whole",
        "currency": "currency",  # a group of a type's pattern is of that type
    }
    assert params[r"the retry counter shows (?P<count>\d+) (?:retry|retries)"] == {"count": "whole"}
    refusal = next(s for s in STEPS if s.readable.startswith("the twin refuses/answers the next"))
    assert (refusal.params["status"], refusal.params["code"]) == (
        "whole",
        "a word of 1 to 256 letters, digits or _",  # the longest code the twin takes
    )
    setting = next(s for s in STEPS if s.pattern.startswith("the setting (?P<name>G2A_"))
    assert setting.params["name"].startswith('one of "G2A_API_URL", "G2A_API_HASH"')
    assert [s.readable for s in STEPS if "int" in s.params.values()] == []


def test_the_legend_names_every_parameter_type_and_the_parenthesised_phrases() -> None:
    markdown = render(STEPS, "md")
    legend = " ".join(markdown.split("\n## ", 1)[0].split())  # its words, unwrapped
    # a type is a word; forms and ranges are described where listed ("one of …", "1 to 10 of …")
    listed = {t for s in STEPS for t in s.params.values() if " " not in t}
    assert listed == {"whole", "number", "currency", "text"}
    assert all(f"`{kind}`" in legend for kind in listed)
    assert "`(a seller/sellers)` says either phrase" in legend


def test_a_currency_is_listed_as_three_capital_letters_not_any_text() -> None:
    """A currency is three capital letters (`[A-Z]{3}`, `{currency:currency}`): the legend
    says so, and each step taking one lists it as a currency, not as text or a word."""
    legend = " ".join(render(STEPS, "md").split("\n## ", 1)[0].split())
    assert "`:currency` three capital letters (EUR)" in legend
    currencies = {s.readable: s.params["currency"] for s in STEPS if "currency" in s.params}
    assert currencies == {
        "QA orders product {product_id} in {currency}": "currency",
        "an order id made of digits is returned with a price in {currency}": "currency",
        "the order costs {price:number} {currency:currency}": "currency",
        'the twin received {count} order request(s) for product "{product_id}" '
        'in "{currency}"': "currency",
    }
