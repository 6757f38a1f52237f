"""The G2A twin: a stateful local simulator of G2A's Export and Import APIs.

`create_app()` (ASGI), `running_twin()` (served on a loopback port), `TwinAdmin` (its admin
surface), `TwinConfig` (every tunable) and the published sandbox credentials.
"""

from harness.twin.admin import TwinAdmin, TwinAdminError
from harness.twin.app import create_app
from harness.twin.config import TwinConfig
from harness.twin.credentials import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_EMAIL,
    SANDBOX_PRODUCT_IDS,
    Credential,
)
from harness.twin.server import RunningTwin, running_twin

__all__ = [
    "SANDBOX_API_HASH",
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "SANDBOX_EMAIL",
    "SANDBOX_PRODUCT_IDS",
    "Credential",
    "RunningTwin",
    "TwinAdmin",
    "TwinAdminError",
    "TwinConfig",
    "create_app",
    "running_twin",
]
