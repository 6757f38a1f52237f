"""A PostgreSQL store URL's query reaches libpq as written (`parse_store_url(...).target`)."""

from __future__ import annotations

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
