"""Fixtures of the step library: the target, the twin, the receiver and the scenario world.

Against the twin, a session-wide twin is served on loopback (or the one `g2a-harness run`
started, named by `G2A_TWIN_URL`) and reset before every scenario. The receiver is likewise
session-wide (or `G2A_RECEIVER_URL`); scenarios observe it only over HTTP.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from harness.bdd.world import LogCapture, ReceiverHandle, TwinHandle, World
from harness.targets import Target, TargetError, resolve_target

TWIN_URL_VAR = "G2A_TWIN_URL"
RECEIVER_URL_VAR = "G2A_RECEIVER_URL"
ADAPTER_LOGGER = "g2a_adapter"


@pytest.fixture(scope="session")
def g2a_target(pytestconfig: pytest.Config) -> Target:
    """The resolved target of this run (`--target` / `G2A_TARGET`)."""
    from harness.bdd.plugin import chosen_target

    try:
        return resolve_target(chosen_target(pytestconfig))
    except TargetError as exc:
        pytest.exit(str(exc), returncode=4)


@pytest.fixture(scope="session")
def twin_server(g2a_target: Target) -> Iterator[TwinHandle | None]:
    """The twin for the whole session, or None on a real G2A target."""
    if not g2a_target.has_admin:
        yield None
        return
    from harness.twin.admin import TwinAdmin

    external = os.environ.get(TWIN_URL_VAR)
    if external:
        base = external.rstrip("/")
        with TwinAdmin(base) as admin:
            yield TwinHandle(base, f"{base}/v1", admin)
        return
    from harness.twin.config import TwinConfig
    from harness.twin.server import running_twin

    # the fast profile: scenarios that need a processing delay or a rate limit set it
    with running_twin(TwinConfig.fast()) as running:
        yield TwinHandle(running.base_url, running.export_url, running.admin)


@pytest.fixture
def twin(twin_server: TwinHandle | None) -> TwinHandle:
    """The twin, reset to its start-up state for this scenario."""
    if twin_server is None:
        pytest.fail("this step needs the twin's admin surface; tag the scenario @twin only")
    twin_server.admin.reset()
    return twin_server


@pytest.fixture(scope="session")
def receiver_server(twin_server: TwinHandle | None) -> Iterator[ReceiverHandle | None]:
    """The webhook receiver for the session (only where the twin can send webhooks)."""
    if twin_server is None:
        yield None
        return
    external = os.environ.get(RECEIVER_URL_VAR)
    if external:
        yield ReceiverHandle(external.rstrip("/"))
        return
    from harness.bdd.servers import serving_receiver

    with serving_receiver(twin_server.export_url) as base_url:
        yield ReceiverHandle(base_url)


@pytest.fixture
def g2a_logs() -> Iterator[LogCapture]:
    """Every record of the adapter's loggers during the scenario (DEBUG and up)."""
    logger = logging.getLogger(ADAPTER_LOGGER)
    capture = LogCapture()
    previous = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    yield capture
    logger.removeHandler(capture)
    logger.setLevel(previous)


@pytest.fixture
def g2a_world(
    g2a_target: Target, g2a_logs: LogCapture, request: pytest.FixtureRequest
) -> Iterator[World]:
    """The scenario's state; closes the client, stores and servers it opened. The twin is
    connected by the first step that needs it (`World.twin`)."""
    from g2a_adapter import Metrics

    def connect_twin() -> TwinHandle:
        twin: TwinHandle = request.getfixturevalue("twin")
        return twin

    world = World(target=g2a_target, metrics=Metrics(), logs=g2a_logs, connect_twin=connect_twin)
    yield world
    world.close()
