"""Stock files for `receiver serve --stock`: the documented format loads, a bad file is one line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from g2a_adapter.receiver import AccountDetail, InventoryAccount, InventoryFile, StockRequest
from harness.seller_stock_file import StockFileError, _Account, _Detail, _File, _Product, load_stock

GAME, DLC, PACK = 10000027819004, 10000037846002, 10000084431001


def written(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "stock.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    account = {
        "username": "player",
        "password": "pw",
        "email": "p@example.com",
        "email_password": "epw",
        "optional": [{"label": "PIN", "details": "1"}],
    }
    png = {
        "file_name": "key.png",
        "mime_type": "image/png",
        "data": base64.b64encode(b"PNG").decode(),
    }
    described = {
        "reservation_seconds": 90,
        "products": [
            {"product_id": GAME, "keys": ["AAAAA-BBBBB-CCCCC", "DDDDD-EEEEE-FFFFF"]},
            {"product_id": DLC, "keys": ["GGGGG-HHHHH-IIIII"], "deferred": True},
            {"product_id": PACK, "files": [png], "accounts": [account]},
        ],
    }  # fmt: skip
    seller = load_stock(written(tmp_path, described))
    assert seller.reservation_seconds == 90
    assert [seller.available(p) for p in (GAME, DLC, PACK)] == [2, 1, 2]

    order = seller.order(seller.reserve([StockRequest(GAME, 2)]).reservation_id, 1)
    assert order.stock is not None
    assert [(i.id, i.value, i.kind) for i in order.stock[0].inventory] == [
        (f"{GAME}-1", "AAAAA-BBBBB-CCCCC", "text"),
        (f"{GAME}-2", "DDDDD-EEEEE-FFFFF", "text"),
    ]
    assert seller.order(seller.reserve([StockRequest(DLC, 1)]).reservation_id, 2).stock is None
    pack = seller.order(seller.reserve([StockRequest(PACK, 2)]).reservation_id, 3)
    assert pack.stock is not None
    assert [(i.id, i.kind) for i in pack.stock[0].inventory] == [
        (f"{PACK}-1", "file"),
        (f"{PACK}-2", "account"),
    ]
    assert seller.file(pack.order_id, f"{PACK}-1") == InventoryFile(b"PNG", "key.png", "image/png")
    assert seller.account(pack.order_id, f"{PACK}-2") == InventoryAccount(
        "player", "pw", "p@example.com", "epw", [AccountDetail("PIN", "1")]
    )


def test_the_lifetime_defaults_to_thirty_minutes(tmp_path: Path) -> None:
    seller = load_stock(written(tmp_path, {"products": [{"product_id": GAME, "keys": ["K"]}]}))
    assert seller.reservation_seconds == 1800


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ({"products": []}, "products: List should have at least 1 item"),
        ({"products": [{"product_id": GAME}]}, f"product {GAME} has no keys, files or accounts"),
        ({"products": [{"product_id": 0, "keys": ["K"]}]}, "products.0.product_id: Input should"),
        ({"products": [{"product_id": GAME, "keys": ["K"], "colour": 1}]}, "products.0.colour"),
        (
            {"products": [{"product_id": GAME, "keys": ["K"]}, {"product_id": GAME, "keys": []}]},
            "a product is listed twice",
        ),
        (
            {"products": [{"product_id": GAME, "files": [
                {"file_name": "a", "mime_type": "b", "data": "!!"}]}]},
            "data must be base64",
        ),
        ({"products": [{"product_id": GAME, "keys": ["K"]}], "reservation_seconds": 0}, "greater"),
        ({"products": [{"product_id": True, "keys": ["K"]}]}, "product_id: Input should be"),
        ({"products": [{"product_id": str(GAME), "keys": ["K"]}]}, "product_id: Input should"),
        ({"products": [{"product_id": float(GAME), "keys": ["K"]}]}, "product_id: Input should"),
        ({"products": [{"product_id": 2**63, "keys": ["K"]}]}, "product_id: Input should be less"),
        ({"products": [{"product_id": GAME, "keys": ["K"], "deferred": "no"}]}, "deferred: Input"),
        ({"products": [{"product_id": GAME, "keys": ["K"], "deferred": 0}]}, "deferred: Input"),
        ({"products": [{"product_id": GAME, "keys": ["K"]}], "reservation_seconds": "60"}, "valid"),
        ({"products": [{"product_id": GAME, "keys": ["K"]}], "reservation_seconds": True}, "valid"),
        ('{"products": [{"product_id": 1, "keys": ["K"]}], "reservation_seconds": Infinity}',
         "reservation_seconds: Input should be a finite number"),
        ({"products": [{"product_id": GAME, "keys": [""]}]}, "products.0.keys.0: String should"),
        ({"products": [{"product_id": GAME, "keys": ["K", "K"]}]}, "a key is listed twice"),
        (
            {"products": [{"product_id": GAME, "keys": ["K"]}, {"product_id": DLC, "keys": ["K"]}]},
            "a key is listed twice",
        ),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, content: Any, problem: str) -> None:
    path = written(tmp_path, content)
    with pytest.raises(StockFileError) as refused:
        load_stock(path)
    message = str(refused.value)
    assert message.startswith(f"stock file {path}: ")
    assert problem in message
    assert "\n" not in message


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StockFileError, match=r"stock file .*missing\.json: No such file"):
        load_stock(tmp_path / "missing.json")


def test_a_fractional_lifetime_and_the_largest_product_id_load(tmp_path: Path) -> None:
    described = {"reservation_seconds": 2.5, "products": [{"product_id": 2**63 - 1, "keys": ["K"]}]}
    assert load_stock(written(tmp_path, described)).reservation_seconds == 2.5


def test_no_secret_of_the_file_shows_in_a_repr() -> None:
    account = _Account(
        username="player", password="hunter2-pw", email_password="mail-pw",
        optional=[_Detail(label="PIN", details="4321")],
    )  # fmt: skip
    product = _Product(
        product_id=GAME, keys=["AAAAA-BBBBB"], accounts=[account],
        files=[_File(file_name="k.png", mime_type="image/png", data="UE5HLWNvbnRlbnQ=")],
    )  # fmt: skip
    shown = repr(account) + repr(product) + str(product)
    assert "player" in shown
    for secret in ("hunter2-pw", "mail-pw", "4321", "AAAAA-BBBBB", "UE5HLWNvbnRlbnQ="):
        assert secret not in shown
