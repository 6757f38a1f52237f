"""Recorded integration flows (token, products, order create, wrong credentials) and the
checks on the shipped cassettes.

Replay (the default, `--record-mode=none`) runs offline: the flows carry `block_network`, so
any real connection fails them; recording (`--record-mode=rewrite`) lifts the block.
`g2a-harness record --target twin|sandbox` re-records them with `--record-mode=rewrite`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from g2a_adapter import AuthError, G2AClient, Settings
from harness.cassettes import (
    CASSETTE_DIR,
    find_leaks,
    provenance_path,
    read_provenance,
    write_provenance,
)
from harness.cassettes import (
    vcr_config as cassette_config,
)
from harness.commands.record import RECORD_INTO_ENV
from harness.targets import Target, resolve_target
from harness.twin import credentials

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / CASSETTE_DIR
RECORDED_FLOWS = ("token", "products", "order_create", "wrong_credentials")
WRONG_KEY = "0" * 63 + "1"


def configured_secrets() -> list[str]:
    """Every value a cassette must never hold: published sandbox secrets, env credentials."""
    values = [
        credentials.SANDBOX_API_KEY,
        credentials.SANDBOX_API_SECRET,
        credentials.SANDBOX_EMAIL,
        "twin-webhook-secret",
        WRONG_KEY,
    ]
    names = ("G2A_API_KEY", "G2A_OAUTH_CLIENT_SECRET", "G2A_WEBHOOK_SECRET", "G2A_API_SECRET")
    values += [os.environ[n] for n in names if os.environ.get(n)]
    return values


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return cassette_config(configured_secrets())


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    """The committed cassettes; while `g2a-harness record` records, the fresh folder it
    gives (it replaces the committed ones only if every flow passed)."""
    return os.environ.get(RECORD_INTO_ENV) or str(CASSETTES)


@pytest.fixture
def recording_target(record_mode: str, pytestconfig: pytest.Config) -> Iterator[Target | None]:
    """The target being recorded from, or None when replaying."""
    if record_mode == "none":
        yield None
        return
    from harness.bdd.plugin import chosen_target

    name = chosen_target(pytestconfig)
    if name == "live":  # a recorded order create would buy on the live account
        raise pytest.UsageError("cassettes are never recorded from live: use twin or sandbox")
    yield resolve_target(name)


def replay_settings(cassette: Path) -> Settings:
    """Replay settings: the base URL the cassette was recorded from."""
    return Settings(
        api_url=read_provenance(cassette)["base_url"],
        api_hash=credentials.SANDBOX_API_HASH,
        api_key=credentials.SANDBOX_API_KEY,
    )


@pytest.fixture
def flow_settings(
    recording_target: Target | None, request: pytest.FixtureRequest, vcr_cassette_dir: str
) -> Iterator[Settings]:
    """Settings for the flow: the provenance base URL on replay, the target when recording."""
    cassette = Path(vcr_cassette_dir) / f"{request.node.name}.yaml"
    if recording_target is None:
        yield replay_settings(cassette)
        return
    if recording_target.has_admin:
        from harness.twin.server import running_twin

        with running_twin() as twin:
            yield _settings(twin.export_url, recording_target)
            write_provenance(cassette, target="twin", base_url=twin.export_url)
        return
    assert recording_target.api_url is not None
    yield _settings(recording_target.api_url, recording_target)
    write_provenance(cassette, target=recording_target.name, base_url=recording_target.api_url)


def _settings(url: str, target: Target) -> Settings:
    return Settings(api_url=url, api_hash=target.api_hash, api_key=target.api_key, env=target.env)


@pytest.mark.vcr
@pytest.mark.block_network
def test_token(flow_settings: Settings) -> None:
    with G2AClient(flow_settings) as client:
        token = client.auth.token()
    assert token.token_type.lower() == "bearer"
    assert token.expires_in > 0


@pytest.mark.vcr
@pytest.mark.block_network
def test_products(flow_settings: Settings) -> None:
    with G2AClient(flow_settings) as client:
        page = client.products.list()
        product = client.products.get("10000027819004")
    assert 0 < len(page.docs) <= 20
    assert page.total >= len(page.docs)
    assert product.id == "10000027819004"
    assert product.name


@pytest.mark.vcr
@pytest.mark.block_network
def test_order_create(flow_settings: Settings) -> None:
    with G2AClient(flow_settings) as client:
        created = client.orders.create("10000027819004")
        details = client.orders.details(created.order_id)
    assert created.order_id.isdigit()
    assert created.currency == "EUR"
    assert details.status == "new"


@pytest.mark.vcr
@pytest.mark.block_network
def test_wrong_credentials(flow_settings: Settings) -> None:
    wrong = flow_settings.model_copy(update={"api_key": type(flow_settings.api_key)(WRONG_KEY)})
    with G2AClient(wrong) as client, pytest.raises(AuthError) as caught:
        client.products.list()
    assert WRONG_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "order",
    [
        pytest.param({"product_id": "10000027819005"}, id="another-product"),
        pytest.param({"product_id": "10000027819004", "currency": "USD"}, id="another-currency"),
        pytest.param({"product_id": "10000027819004", "max_price": 5.0}, id="a-max-price"),
    ],
)
def test_another_order_does_not_replay_the_recorded_answer(order: dict[str, Any]) -> None:
    """The recorded `POST /v1/order` answers only the body it was recorded with."""
    cassette = CASSETTES / "test_order_create.yaml"
    replay = vcr.VCR(**cassette_config(configured_secrets()), record_mode="none")
    with (
        replay.use_cassette(str(cassette)),
        G2AClient(replay_settings(cassette)) as client,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        client.orders.create(**order)


def test_the_recorded_order_still_replays() -> None:
    cassette = CASSETTES / "test_order_create.yaml"
    replay = vcr.VCR(**cassette_config(configured_secrets()), record_mode="none")
    with replay.use_cassette(str(cassette)), G2AClient(replay_settings(cassette)) as client:
        created = client.orders.create("10000027819004")
    assert created.currency == "EUR"


def _cassette_files() -> list[Path]:
    return sorted(p for p in CASSETTES.iterdir() if p.is_file())


def test_every_flow_has_a_cassette_with_provenance() -> None:
    for flow in RECORDED_FLOWS:
        cassette = CASSETTES / f"test_{flow}.yaml"
        assert cassette.is_file(), f"{cassette.name} is missing: run g2a-harness record"
        provenance = read_provenance(cassette)
        assert provenance["target"] in {"twin", "sandbox"}
        assert provenance["adapter_version"]
        assert provenance["recorded_at"].endswith("Z")
        assert provenance_path(cassette).is_file()


def test_shipped_cassettes_say_they_come_from_the_twin() -> None:
    for flow in RECORDED_FLOWS:
        provenance = read_provenance(CASSETTES / f"test_{flow}.yaml")
        assert provenance["target"] == "twin"
        assert "not from G2A" in provenance["note"]


def test_no_cassette_holds_a_secret_or_a_key_shaped_string() -> None:
    files = _cassette_files()
    assert files, "no cassette to scan"
    secrets = configured_secrets()
    leaks = {p.name: found for p in files if (found := find_leaks(p.read_text("utf-8"), secrets))}
    assert not leaks, leaks


def test_cassettes_scrub_credentials_but_keep_the_answers() -> None:
    """Scrubbing removed credentials, not the answers the flows assert on."""
    interactions = yaml.safe_load((CASSETTES / "test_order_create.yaml").read_text("utf-8"))[
        "interactions"
    ]
    paths = [i["request"]["uri"].split("/", 3)[3] for i in interactions]
    assert paths[0] == "v1/order"
    assert paths[1].startswith("v1/order/details/")
    for interaction in interactions:
        headers = {k.lower(): v for k, v in interaction["request"]["headers"].items()}
        assert headers["authorization"] == ["<scrubbed>"]
    assert '"order_id"' in interactions[0]["response"]["body"]["string"]
