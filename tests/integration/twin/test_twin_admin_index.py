"""The admin surface as a product: its index (JSON for a script, HTML for a person), its
OpenAPI document and the assumptions registry, over real HTTP."""

from __future__ import annotations

import httpx
import yaml
from openapi_schema_validator import OAS30Validator

from harness.twin import RunningTwin
from harness.twin.admin_api import ROUTES
from harness.twin.admin_index import ADMIN_ROUTES
from harness.twin.assumptions import ORDER_ERRORS, REGISTRY


def routing_table() -> set[tuple[str, str]]:
    return {(m, r.path) for r in ROUTES for m in (r.methods or ()) if m != "HEAD"}


def test_the_index_lists_every_admin_route_with_a_working_example(
    anon: httpx.Client, twin: RunningTwin
) -> None:
    index = anon.get("/__twin/")
    assert index.status_code == 200
    assert index.headers["content-type"] == "application/json"
    routes = index.json()["routes"]
    assert {(r["method"], r["path"]) for r in routes} == routing_table()
    by_route = {(r["method"], r["path"]): r for r in routes}
    assert by_route[("PUT", "/__twin/config")]["example"] == (
        f"curl -s -X PUT {twin.base_url}/__twin/config -H 'Content-Type: application/json' "
        """-d '{"completion_delay_seconds": 0, "rate_limit": "off"}'"""
    )
    assert index.json()["openapi"] == f"{twin.base_url}/__twin/openapi.yaml"


def test_a_person_gets_the_index_as_html(anon: httpx.Client) -> None:
    page = anon.get("/__twin/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.count("<tr><td><code>") == len(ADMIN_ROUTES)
    assert "<code>/__twin/assumptions</code>" in page.text


def test_the_openapi_document_covers_the_routing_table(anon: httpx.Client) -> None:
    served = anon.get("/__twin/openapi.yaml")
    assert served.status_code == 200
    document = yaml.safe_load(served.text)
    documented = {(m.upper(), path) for path, ops in document["paths"].items() for m in ops
                  if m != "parameters"}  # fmt: skip
    assert documented == routing_table()


def test_the_assumptions_name_every_unpublished_error(anon: httpx.Client) -> None:
    answer = anon.get("/__twin/assumptions")
    assert answer.status_code == 200
    entries = {e["setting"]: e for e in answer.json()}
    assert [e.setting for e in REGISTRY] == list(entries)
    for name, code in (("product_not_found", "ORD01"), ("already_paid", "ORD06"),
                       ("out_of_stock", "ORD07")):  # fmt: skip
        entry = entries[f"order_errors.{name}"]
        assert entry["value"] == entry["default"] == ORDER_ERRORS[name].as_list()
        assert entry["value"][1] == code
        assert entry["assumed"] is True
        assert entry["evidence"].startswith("assumed")
    assert entries["status_words.new"]["assumed"] is False


def test_the_assumptions_show_the_values_in_force(anon: httpx.Client, twin: RunningTwin) -> None:
    twin.admin.configure(
        order_errors={"out_of_stock": [409, "ORD07", "Out of stock"]}, rate_limit=5
    )
    entries = {e["setting"]: e for e in anon.get("/__twin/assumptions").json()}
    assert entries["order_errors.out_of_stock"]["value"] == [409, "ORD07", "Out of stock"]
    assert entries["order_errors.out_of_stock"]["default"] == [
        400,
        "ORD07",
        "Product is out of stock",
    ]
    assert (entries["rate_limit"]["value"], entries["rate_limit"]["default"]) == (5, 20)


def test_the_assumptions_serve_the_settings_of_every_unknown(
    anon: httpx.Client, twin: RunningTwin
) -> None:
    twin.admin.configure(offer_accepted_status=201, job_status_words={"done": "finished"},
                         export_auth_case_sensitive=False)  # fmt: skip
    entries = {e["setting"]: e for e in anon.get("/__twin/assumptions").json()}
    served = {
        name: (entries[name]["default"], entries[name]["value"])
        for name in ("offer_accepted_status", "job_status_words.done",
                     "export_auth_case_sensitive", "status_words.lapsed", "oauth_client_secret",
                     "import_errors.job_not_found", "export_errors.product_path")
    }  # fmt: skip
    assert served == {
        "offer_accepted_status": (202, 201),
        "job_status_words.done": ("done", "finished"),
        "export_auth_case_sensitive": (True, False),
        "status_words.lapsed": ("new", "new"),
        "oauth_client_secret": ("api_key", "api_key"),
        "import_errors.job_not_found": ([404, "JOB_NOT_FOUND", "Job not found"],) * 2,
        "export_errors.product_path": ([404, "NOT_FOUND", "No such endpoint"],) * 2,
    }


def test_the_index_is_valid_under_its_own_schema(anon: httpx.Client) -> None:
    """Strictly, as OpenAPI 3.0 reads it: `nullable` only counts beside a `type`."""
    document = yaml.safe_load(anon.get("/__twin/openapi.yaml").text)
    index = document["paths"]["/__twin/"]["get"]["responses"]["200"]["content"]
    validator = OAS30Validator(index["application/json"]["schema"])
    body = anon.get("/__twin/").json()
    assert [e.message for e in validator.iter_errors(body)] == []
    assert {r["path"] for r in body["routes"] if r["example_body"] is None} >= {"/__twin/"}
