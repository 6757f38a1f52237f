"""The suite's own PostgreSQL connections (`postgres_url`) commit without waiting for the disk.

A store test writes thousands of rows, each its own autocommitted statement: waiting for each
flush made them the slowest of the suite. What `synchronous_commit = off` gives up is only
durability across a crash of the server itself, which no test exercises; what every other
connection sees is unchanged.
"""

from __future__ import annotations

import pytest


@pytest.mark.postgres
def test_the_suite_s_connections_commit_without_waiting_for_a_flush(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchall() == [("off",)]
