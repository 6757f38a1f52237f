"""Every fault kind as a plain httpx client sees it; sequences and probabilities are seeded."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from test_twin_import_api import bearer
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import RunningTwin, TwinAdmin, TwinAdminError


def statuses(api: httpx.Client, n: int, path: str = "/products") -> list[int]:
    return [api.get(path).status_code for _ in range(n)]


def test_status_fault_answers_with_the_g2a_envelope(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/products", kind="status", status=503, code="SVC01",
                    message="Service unavailable", times=2)  # fmt: skip
    first = api.get("/products")
    assert (first.status_code, first.json()) == (503, error("SVC01", "Service unavailable"))
    assert statuses(api, 2) == [503, 200]
    [fault] = admin.faults()
    assert (fault["calls"], fault["applied"], fault["spent"]) == (2, 2, True)


def test_rate_limit_fault_is_429_br03_with_retry_after(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="*", kind="rate_limit", retry_after=7, times=1)
    response = api.get("/products")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == error("BR03", "Too many requests")


def test_a_status_fault_sends_retry_after_only_when_given(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    """A 503 with `Retry-After`, as a gateway or G2A in maintenance may answer, rehearses the
    adapter's rate-limit path; without one, a status fault sends none."""
    admin.add_fault(route="/v1/products", kind="status", status=503, code="SVC01",
                    message="Maintenance", retry_after=4, times=1)  # fmt: skip
    admin.add_fault(route="/v1/products", kind="status", status=503, times=1)
    given, plain = api.get("/products"), api.get("/products")
    assert (given.status_code, given.headers["retry-after"]) == (503, "4")
    assert given.json() == error("SVC01", "Maintenance")
    assert (plain.status_code, "retry-after" in plain.headers) == (503, False)
    assert [f["retry_after"] for f in admin.faults()] == [4, None]


def test_latency_fault_delays_then_answers_normally(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/products", kind="latency", latency_ms=300, times=1)
    started = time.perf_counter()
    response = api.get("/products", params={"id": SANDBOX_PRODUCT})
    assert time.perf_counter() - started >= 0.3
    assert response.json()["docs"][0]["id"] == SANDBOX_PRODUCT


def test_reset_fault_closes_the_connection_without_a_response(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.add_fault(route="/v1/products", kind="reset", times=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.get("/products")
    assert api.get("/products").status_code == 200
    records = admin.requests(path="/v1/products")
    assert [r["status"] for r in records] == [None, 200]


def test_hang_fault_holds_until_the_client_gives_up(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/order", method="POST", kind="hang", times=1)
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        api.post("/order", json={"product_id": SANDBOX_PRODUCT}, timeout=0.4)
    assert 0.4 <= time.perf_counter() - started < 2
    assert admin.orders() == []  # phase "before": nothing was created


def test_bounded_hang_ends_with_a_dropped_connection(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/products", kind="hang", latency_ms=200, times=1)
    started = time.perf_counter()
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.get("/products", timeout=5)
    assert 0.2 <= time.perf_counter() - started < 2


def test_malformed_fault_is_200_with_truncated_json(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/products", kind="malformed", phase="after", times=1)
    response = api.get("/products", params={"id": SANDBOX_PRODUCT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        response.json()
    whole = api.get("/products", params={"id": SANDBOX_PRODUCT}).content
    assert whole.startswith(response.content)
    assert len(response.content) == len(whole) // 2


def test_after_phase_runs_the_handler_then_loses_the_answer(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.add_fault(route="/v1/order", method="POST", kind="reset", phase="after", times=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.post("/order", json={"product_id": SANDBOX_PRODUCT})
    [order] = admin.orders()
    assert order["status"] == "new"  # the order exists although the client saw no answer


def test_sequence_is_applied_call_by_call(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(
        route="/v1/products",
        sequence=["status", None, {"kind": "rate_limit", "retry_after": 3}, "status"],
        status=502,
    )
    responses = [api.get("/products") for _ in range(6)]
    assert [r.status_code for r in responses] == [502, 200, 429, 502, 200, 200]
    assert responses[2].headers["retry-after"] == "3"


def test_probability_is_deterministic_under_a_seed(api: httpx.Client, admin: TwinAdmin) -> None:
    def run(seed: int) -> list[int]:
        admin.clear_faults()
        admin.add_fault(route="/v1/products", kind="status", status=500, probability=0.5,
                        seed=seed)  # fmt: skip
        return statuses(api, 30)

    first = run(11)
    assert run(11) == first
    assert 5 <= first.count(500) <= 25  # a real mix, not all or nothing
    assert run(12) != first


def test_probability_without_a_seed_follows_the_twins_seed(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    def run(twin_seed: int) -> list[int]:
        admin.reset()
        admin.configure(seed=twin_seed)
        admin.add_fault(route="/v1/products", kind="status", status=500, probability=0.5)
        return statuses(api, 30)

    first = run(11)
    assert run(11) == first
    assert 5 <= first.count(500) <= 25
    assert run(12) != first


def test_probability_and_times_combine(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="*", kind="status", probability=1.0, times=3, seed=1)
    assert statuses(api, 5) == [503, 503, 503, 200, 200]


def test_routes_match_exactly_by_glob_and_by_method(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/order/*", method="GET", kind="status", status=500)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert api.get(f"/order/details/{order_id}").status_code == 500
    assert api.put(f"/order/pay/{order_id}").status_code == 200  # method does not match
    assert api.get("/products").status_code == 200  # route does not match


def test_admin_surface_is_never_faulted(twin: RunningTwin, admin: TwinAdmin) -> None:
    admin.add_fault(route="*", kind="reset")
    assert admin.orders() == []
    assert httpx.get(f"{twin.base_url}/__twin/health").status_code == 200


def test_faults_can_be_removed_one_by_one(api: httpx.Client, admin: TwinAdmin) -> None:
    first = admin.add_fault(route="/v1/products", kind="status", status=500)
    admin.add_fault(route="/v1/products", kind="status", status=502)
    assert api.get("/products").status_code == 500
    admin.remove_fault(first)
    assert api.get("/products").status_code == 502
    admin.clear_faults()
    assert api.get("/products").status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "status", "probability": 2},
        {"kind": "status", "times": 0},
        {"kind": "status", "route": "v1/order"},
        {"kind": "status", "phase": "during"},
        {"kind": "status", "colour": "red"},
        {"kind": "status", "sequence": []},
        {"sequence": 5},
        {"sequence": [5]},
        {"sequence": [["status"]]},
        {"sequence": [None, {"kind": ["status"]}]},
        {"kind": "status", "times": True},
        {"kind": "empty", "retry_after": 5},  # an answer of no G2A error
        {"kind": "status", "retry_after": 3601},
        {"sequence": [{"kind": "html", "retry_after": 1}]},
    ],
)
def test_bad_fault_specs_are_refused(admin: TwinAdmin, spec: dict[str, object]) -> None:
    with pytest.raises(TwinAdminError, match="400"):
        admin.add_fault(**spec)
    assert admin.faults() == []


def test_outage_kinds_answer_as_a_proxy_or_broken_backend_would(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    for kind in ("empty", "html", "truncated", "content_type", "redirect"):
        admin.add_fault(route="/v1/products", kind=kind, times=1)
    params = {"id": SANDBOX_PRODUCT}
    empty, html, truncated, labelled, redirect, normal = (
        api.get("/products", params=params) for _ in range(6)
    )
    assert (empty.status_code, empty.content, empty.headers.get("content-type")) == (502, b"", None)
    assert (html.status_code, html.headers["content-type"]) == (502, "text/html; charset=utf-8")
    assert "<h1>502 Bad Gateway</h1>" in html.text
    assert normal.status_code == 200
    assert (truncated.status_code, truncated.content) == (200, b'{"status": "ok", "d')
    assert (labelled.status_code, labelled.headers["content-type"]) == (
        200,
        "text/html; charset=utf-8",
    )
    assert labelled.content == b'{"status": "ok", "data": [{"id": "1"}]}'
    assert (redirect.status_code, redirect.headers["location"], redirect.content) == (
        302,
        "/maintenance",
        b"",
    )


def test_outage_kinds_after_the_handler_spoil_the_real_answer(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.add_fault(route="/v1/products", kind="content_type", phase="after", times=1)
    admin.add_fault(route="/v1/products", kind="truncated", phase="after", status=200, times=1)
    labelled = api.get("/products", params={"id": SANDBOX_PRODUCT})
    truncated = api.get("/products", params={"id": SANDBOX_PRODUCT})
    whole = api.get("/products", params={"id": SANDBOX_PRODUCT}).content
    assert labelled.content == whole
    assert labelled.headers["content-type"] == "text/html; charset=utf-8"
    assert truncated.content == whole[: len(whole) // 2]


def test_an_outage_status_can_be_chosen(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.add_fault(route="/v1/products", kind="html", status=503, times=1)
    page = api.get("/products")
    assert page.status_code == 503
    assert "<title>503 Service Unavailable</title>" in page.text


HUGE = 10**400  # a JSON number Python reads exactly, and no float holds


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda admin: admin.configure(catalog_size=HUGE), "catalog_size must be between"),
        (
            lambda admin: admin.configure(job_delay_seconds=HUGE),
            "job_delay_seconds must be between",
        ),
        (lambda admin: admin.configure(wallet_balance=HUGE), "wallet_balance must be finite"),
        (
            lambda admin: admin.configure(currency_rates={"EUR": 1.0, "USD": HUGE}),
            "currency_rates must be finite numbers",
        ),
        (
            lambda admin: admin.update_product(SANDBOX_PRODUCT, minPrice=HUGE),
            "minPrice must be a number",
        ),
        (
            lambda admin: admin.add_fault(kind="status", probability=HUGE),
            "probability must be a number between 0 and 1",
        ),
    ],
)
def test_numbers_too_large_for_a_float_are_refused_and_change_nothing(
    admin: TwinAdmin, change: Callable[[TwinAdmin], object], reason: str
) -> None:
    config, product = admin.config(), admin.product(SANDBOX_PRODUCT)
    with pytest.raises(TwinAdminError, match=f"400 .*{reason}"):
        change(admin)
    assert (admin.config(), admin.product(SANDBOX_PRODUCT)) == (config, product)


def test_faults_on_the_import_api_answer_with_its_configured_error_body(
    root: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(import_error_body="code_message")
    headers = bearer(root)
    admin.add_fault(route="/v3/sales/offers", kind="status", status=503, times=1)
    failed = root.get("/v3/sales/offers", headers=headers)
    assert (failed.status_code, failed.json()) == (
        503, {"code": "TWIN_FAULT", "message": "Injected fault"}
    )  # fmt: skip
    admin.add_fault(route="/v3/*", kind="rate_limit", retry_after=3, times=1)
    limited = root.get("/v3/sales/offers", headers=headers)
    assert (limited.status_code, limited.headers["retry-after"], limited.json()) == (
        429, "3", {"code": "BR03", "message": "Too many requests"}
    )  # fmt: skip
    admin.add_fault(route="/v1/products", kind="status", times=1)
    export = httpx.get(f"{admin.base_url}/v1/products")
    assert export.json() == error("TWIN_FAULT", "Injected fault")


@pytest.mark.parametrize(
    ("shape", "injected", "limited"),
    [
        ("rfc6749", {"error": "TWIN_FAULT", "error_description": "Injected fault"},
         {"error": "BR03", "error_description": "Too many requests"}),
        ("envelope", error("TWIN_FAULT", "Injected fault"), error("BR03", "Too many requests")),
        ("code_message", {"code": "TWIN_FAULT", "message": "Injected fault"},
         {"code": "BR03", "message": "Too many requests"}),
    ],
)  # fmt: skip
def test_faults_on_the_token_endpoint_answer_with_the_token_error_body(
    root: httpx.Client,
    admin: TwinAdmin,
    shape: str,
    injected: dict[str, str],
    limited: dict[str, str],
) -> None:
    admin.configure(token_error_body=shape, import_error_body="code_message")
    admin.add_fault(route="/oauth/token", kind="status", status=503, times=1)
    failed = root.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert (failed.status_code, failed.json()) == (503, injected)
    admin.add_fault(route="/oauth/token", kind="rate_limit", retry_after=2, times=1)
    refused = root.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert (refused.status_code, refused.headers["retry-after"], refused.json()) == (
        429, "2", limited
    )  # fmt: skip
