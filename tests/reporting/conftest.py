"""Fixtures of the report tests: a throwaway PostgreSQL (Debian's server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.services import Postgres, pg_bin, throwaway_postgres
from tests.reporting.helpers import ARTIFACTS


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A fresh PostgreSQL on a free loopback port, stopped by PID at the end."""
    try:
        pg_bin("initdb")
    except FileNotFoundError:
        pytest.fail(
            "PostgreSQL is needed for the report tests: "
            "`apt-get install -y postgresql` (or `scripts/cluster.sh setup`).",
            pytrace=False,
        )
    with throwaway_postgres(ARTIFACTS / "postgres.log") as server:
        yield server


@pytest.fixture
def pg_url(postgres: Postgres) -> Iterator[str]:
    """An empty database of its own on the throwaway server, for one test."""
    import secrets

    import psycopg2

    name = "t_" + secrets.token_hex(6)
    admin = dict(
        host="127.0.0.1", port=postgres.port, user=postgres.user,
        password=postgres.password, dbname="postgres",
    )  # fmt: skip
    connection = psycopg2.connect(**admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    yield postgres.url.rsplit("/", 1)[0] + "/" + name
