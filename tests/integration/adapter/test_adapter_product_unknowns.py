"""Products against the twin set to each answer of what G2A does not publish for sure: how many
products a page holds, the last page it serves, and whether a lookup by id hides a product that
is out of stock unless `includeOutOfStock` is sent (docs/g2a-api.md §1)."""

from __future__ import annotations

import pytest
from adapter_support import query

from g2a_adapter import G2AApiError, G2AClient
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[0]


@pytest.mark.parametrize("page_size", [10, 20, 50, 1000])
def test_iter_all_lists_every_product_whatever_the_page_size(
    client: G2AClient, twin: RunningTwin, page_size: int
) -> None:
    twin.admin.configure(page_size=page_size)
    total = client.products.list().total
    listed = [p.id for p in client.products.iter_all()]
    assert (len(listed), len(set(listed))) == (total, total)
    pages = [query(r)["page"] for r in twin.admin.requests(path="/v1/products")[1:]]
    assert pages == [str(n) for n in range(1, -(-total // page_size) + 1)]


def test_a_last_page_below_the_documented_one_is_g2a_s_refusal_not_a_silent_cut(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.configure(max_page=5)
    listed: list[str] = []
    with pytest.raises(G2AApiError) as refused:
        listed.extend(p.id for p in client.products.iter_all())
    assert (refused.value.code, refused.value.status_code) == ("BR02", 400)
    assert len(listed) == 5 * 20


@pytest.mark.parametrize("hidden", ["listing", "always", "never"])
def test_get_finds_a_product_out_of_stock_whatever_g2a_hides(
    client: G2AClient, twin: RunningTwin, hidden: str
) -> None:
    twin.admin.update_product(PRODUCT, qty=0)
    twin.admin.configure(out_of_stock_hidden=hidden)
    product = client.products.get(PRODUCT)
    assert (product.id, product.qty) == (PRODUCT, 0)
    (lookup,) = twin.admin.requests(path="/v1/products")
    assert query(lookup) == {"page": "1", "id": PRODUCT, "includeOutOfStock": "true"}
