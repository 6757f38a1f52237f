"""`GET /__twin/`: the index of the admin surface, as JSON for a script and HTML for a person.

Every admin route has one entry here (a test keeps the index and the routing table equal);
`twin-admin.yaml` beside it (linked from `contracts/openapi/`) is the same surface as an
OpenAPI document.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AdminRoute:
    method: str
    path: str
    summary: str
    example: dict[str, Any] | list[Any] | None = None  # a JSON body, for calls that take one

    def curl(self, base_url: str) -> str:
        line = f"curl -s -X {self.method} {base_url}{self.path}"
        if self.example is not None:
            body = json.dumps(self.example).replace("'", "'\\''")
            line += f" -H 'Content-Type: application/json' -d '{body}'"
        return line

    def as_dict(self, base_url: str) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "summary": self.summary,
            "example_body": self.example,
            "example": self.curl(base_url),
        }


ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/__twin/", "this index (JSON, or HTML with Accept: text/html)"),
    AdminRoute("GET", "/__twin/openapi.yaml", "the admin surface as an OpenAPI document"),
    AdminRoute("GET", "/__twin/health", "liveness and catalog size"),
    AdminRoute(
        "GET",
        "/__twin/assumptions",
        "every value the twin assumes about G2A, its evidence and the value in force",
    ),
    AdminRoute("POST", "/__twin/reset", "back to the start-up state and config"),
    AdminRoute("GET", "/__twin/config", "the config in force (secrets masked)"),
    AdminRoute(
        "PUT",
        "/__twin/config",
        "change config fields; the world is kept",
        {"completion_delay_seconds": 0, "rate_limit": "off"},
    ),
    AdminRoute(
        "POST", "/__twin/catalog", "regenerate or replace the catalog", {"seed": 7, "size": 50}
    ),
    AdminRoute("GET", "/__twin/catalog/{product_id}", "one product as the twin holds it"),
    AdminRoute("PATCH", "/__twin/catalog/{product_id}", "change a product's fields", {"qty": 0}),
    AdminRoute(
        "GET",
        "/__twin/catalog/{product_id}/auctions",
        "a product's auctions (sellers' offers), cheapest first: set, or derived from its price",
    ),
    AdminRoute(
        "PUT",
        "/__twin/catalog/{product_id}/auctions",
        "set a product's auctions (1 to 50); its minPrice becomes the cheapest one's",
        [{"rating": 0.62, "price": 10.0}, {"id": "trusted", "rating": 0.97, "price": 12.5}],
    ),
    AdminRoute("GET", "/__twin/requests", "received API requests (filters: path, method)"),
    AdminRoute("DELETE", "/__twin/requests", "forget the received requests"),
    AdminRoute("GET", "/__twin/faults", "active faults and their counters"),
    AdminRoute(
        "POST",
        "/__twin/faults",
        "add a fault (kinds: status, latency, reset, hang, malformed, rate_limit, empty, html, "
        "truncated, content_type, redirect)",
        {"route": "/v1/order", "method": "POST", "kind": "html", "times": 1},
    ),
    AdminRoute("DELETE", "/__twin/faults", "remove every fault"),
    AdminRoute("DELETE", "/__twin/faults/{fault_id}", "remove one fault"),
    AdminRoute("GET", "/__twin/orders", "every order with its state and key"),
    AdminRoute("GET", "/__twin/orders/{order_id}", "one order"),
    AdminRoute(
        "PATCH", "/__twin/orders/{order_id}", "set an order's state", {"status": "complete"}
    ),
    AdminRoute("GET", "/__twin/webhooks/subscribers", "webhook subscribers"),
    AdminRoute(
        "POST",
        "/__twin/webhooks/subscribers",
        "subscribe a URL to signed order events",
        {"url": "http://127.0.0.1:9000/webhooks/g2a"},
    ),
    AdminRoute("DELETE", "/__twin/webhooks/subscribers/{subscriber_id}", "unsubscribe"),
    AdminRoute("GET", "/__twin/webhooks/deliveries", "every webhook delivery attempt"),
    AdminRoute(
        "POST",
        "/__twin/webhooks/emit",
        "emit an order event now",
        {"order_id": "1530978476", "type": "order.paid"},
    ),
    AdminRoute(
        "POST",
        "/__twin/webhooks/redeliver",
        "deliver an event again (duplicate or replay)",
        {"event_id": "<event id>", "mode": "duplicate"},
    ),
    AdminRoute(
        "POST",
        "/__twin/states",
        "put the twin into a Pact provider state",
        {"state": "order {order_id} is paid", "params": {"order_id": "1530978476"}},
    ),
    AdminRoute("GET", "/__twin/jobs", "Import API jobs with their status"),
)


def index_json(base_url: str) -> dict[str, Any]:
    return {
        "openapi": f"{base_url}/__twin/openapi.yaml",
        "routes": [route.as_dict(base_url) for route in ADMIN_ROUTES],
    }


def index_html(base_url: str) -> str:
    rows = "\n".join(
        f"<tr><td><code>{route.method}</code></td><td><code>{html.escape(route.path)}</code></td>"
        f"<td>{html.escape(route.summary)}</td>"
        f"<td><code>{html.escape(route.curl(base_url))}</code></td></tr>"
        for route in ADMIN_ROUTES
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>G2A twin: admin</title></head><body>\n"
        "<h1>G2A twin: admin surface</h1>\n"
        f"<p>Export API <code>{html.escape(base_url)}/v1</code>, Import API "
        f"<code>{html.escape(base_url)}</code>. The same routes as "
        f'<a href="/__twin/openapi.yaml">an OpenAPI document</a>; this page as JSON without '
        "<code>Accept: text/html</code>.</p>\n"
        "<table><thead><tr><th>method</th><th>path</th><th>what</th><th>example</th></tr>"
        f"</thead><tbody>\n{rows}\n</tbody></table>\n</body></html>\n"
    )
