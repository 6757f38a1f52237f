"""`create_app`: the twin as an ASGI app (Starlette for the admin surface, a lean dispatcher
for the G2A APIs)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from harness.twin.admin_api import ROUTES, admin_error
from harness.twin.admin_input import AdminError
from harness.twin.config import TwinConfig
from harness.twin.dispatch import handle_api
from harness.twin.runtime import Twin
from harness.twin.state import Clock

ADMIN_PREFIX = "/__twin/"


class TwinApp(Starlette):
    """Starlette app whose non-admin HTTP calls go straight to the G2A API dispatcher."""

    twin: Twin  # also `state.twin`, for the admin routes; an attribute is cheaper per call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX):
            await handle_api(self.twin, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(config: TwinConfig | None = None, *, clock: Clock = time.time) -> TwinApp:
    """A fresh twin; `app.state.twin` is its `Twin` (state, webhooks, config)."""
    twin = Twin(config or TwinConfig(), clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        await twin.webhooks.aclose()

    refusals = {AdminError: admin_error, HTTPException: admin_error}
    app = TwinApp(routes=ROUTES, lifespan=lifespan, exception_handlers=refusals)
    app.twin = app.state.twin = twin
    return app
