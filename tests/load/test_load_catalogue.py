"""A buyer browses only the catalogue pages that exist: a sandbox catalogue of fewer than five
pages answered the pages beyond its end empty, which the buyer counted as business failures."""

from __future__ import annotations

import random

from harness.load.catalogue import MAX_BROWSED_PAGE, Catalogue


def test_a_small_catalogue_is_browsed_within_its_pages() -> None:
    catalogue = Catalogue()
    rng = random.Random(7)
    assert {catalogue.next_page(rng) for _ in range(50)} == {1}  # only page 1 before it knows
    catalogue.learn(page=1, total=30, docs=20)  # 20 a page: two pages
    assert {catalogue.next_page(rng) for _ in range(200)} == {1, 2}


def test_a_large_catalogue_is_browsed_over_its_first_pages() -> None:
    catalogue = Catalogue()
    catalogue.learn(page=1, total=10_000, docs=20)
    rng = random.Random(7)
    assert {catalogue.next_page(rng) for _ in range(500)} == set(range(1, MAX_BROWSED_PAGE + 1))


def test_a_page_beyond_the_first_teaches_nothing_about_the_page_size() -> None:
    catalogue = Catalogue()
    catalogue.learn(page=2, total=30, docs=10)  # the last, partial page
    catalogue.learn(page=1, total=3, docs=3)  # one page, not full
    assert {catalogue.next_page(random.Random(1)) for _ in range(50)} == {1}
