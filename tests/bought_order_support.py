"""G2A's answers to a purchase of one order, as the adapter's purchase tests stub G2A: the
order created, paid (transaction `t-1`) and complete; each test answers the key its own way."""

from __future__ import annotations

import httpx

ORDER_ID = "1530978476"


def answer(obj: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=obj, headers=headers)


def key_already_downloaded() -> httpx.Response:
    return answer({"status": "ERROR", "code": "ORD004", "message": "already downloaded"}, 400)


def bought(path: str) -> httpx.Response | None:
    """G2A's answer at `path` for the order created, paid and complete; None for its key."""
    if path == "/v1/order":
        return answer({"order_id": ORDER_ID, "price": 41.5, "currency": "EUR"})
    if path.startswith("/v1/order/pay"):
        return answer({"status": True, "transaction_id": "t-1"})
    if path.startswith("/v1/order/details"):
        return answer({"status": "complete"})
    return None
