"""A PostgreSQL store URL's query reaches libpq as written (`parse_store_url(...).target`)."""

from __future__ import annotations

import time

import pytest

from g2a_adapter.idempotency import parse_store_url


@pytest.mark.postgres
def test_the_query_values_of_a_store_url_reach_the_session_as_written(postgres_url: str) -> None:
    """A `%20` re-encoded as `+` reached libpq as `+statement_timeout`, refused, and
    `my+app`."""
    import psycopg

    url = (
        f"{postgres_url.partition('?')[0]}?options=-c%20statement_timeout%3D1234"
        "&namespace=shop&application_name=my%20app&connect_timeout=7"
    )
    with psycopg.connect(parse_store_url(url).target, autocommit=True) as conn:
        assert conn.execute("SHOW statement_timeout").fetchall() == [("1234ms",)]
        assert conn.execute("SHOW application_name").fetchall() == [("my app",)]
        assert conn.info.get_parameters()["connect_timeout"] == "7"


@pytest.mark.postgres
def test_a_long_url_connect_timeout_refuses_connecting_after_a_failure_for_2_s_only(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failed connect the store refuses at once, so queued threads fail together; a
    `connect_timeout=600` made that last 10 minutes: a 1 s blip, a 10-minute outage."""
    import psycopg

    from g2a_adapter import StoreUnavailableError
    from g2a_adapter.idempotency import open_store

    base, _, query = postgres_url.partition("?")
    store = open_store(f"{base}?{query}&connect_timeout=600&namespace=url_refusal_window")
    try:
        store.ping()
        store.close_connection()
        real = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]
        attempts: list[float] = []

        def blip_once(cls: type, *args: object, **kwargs: object) -> object:
            attempts.append(time.monotonic())
            if len(attempts) == 1:
                raise psycopg.OperationalError("a blip: connection refused")
            return real(cls, *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "connect", classmethod(blip_once))
        with pytest.raises(StoreUnavailableError, match="a blip"):
            store.ping()
        with pytest.raises(StoreUnavailableError, match=r"the next try is in [12]\.\d s"):
            store.ping()  # refused at once: no second attempt
        assert len(attempts) == 1
        time.sleep(2.1)
        store.ping()
        assert len(attempts) == 2
    finally:
        store.close()
