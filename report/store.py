"""Opening the tracker store the advisor is configured with, for reading or purging.

The URL comes from `infra.stores.tracker_db_url`, so the report reads exactly the
database the Rasa server writes: `TRACKER_DB_URL`, or `DB_HOST` and its companions
(PostgreSQL), else the SQLite file `TRACKER_DB_PATH` (default var/data/advisor.db).
A missing SQLite file is reported, never created; a database without Rasa's
`events` table is reported as "not a tracker store". Errors are `StoreError`, with
a message for the operator (the CLI prints it, no traceback).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

EVENTS = "events"
COLUMNS = {"id", "sender_id", "type_name", "timestamp", "intent_name", "action_name"}


class StoreError(Exception):
    """The store cannot be used; the message says why and what to do."""


def configured_url() -> str:
    """The SQLAlchemy URL the advisor's tracker store uses (infra/stores.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa.util.deprecations.SILENCE_UBER_WARNING = True  # Rasa's notice, not ours
        from infra.stores import tracker_db_url

    return tracker_db_url()


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).__repr__()


@dataclass
class Store:
    """An open tracker store: its engine and how to name it."""

    engine: sa.engine.Engine
    url: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def name(self) -> str:
        return describe(self.url)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, create: bool = False) -> Store:
    """Open the store at `url` (default: the configured one) and check its shape.

    Args:
        url: an SQLAlchemy URL; None for the advisor's configured store.
        create: create a missing SQLite file and the `events` table (the generator
            for the benchmark); the report and purge never create anything.

    Raises:
        StoreError: the file is missing, the database unreachable, or it holds no
            Rasa `events` table.
    """
    url = url or configured_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not create and not path.is_file():
            raise StoreError(
                f"No conversation store at {path}: start the advisor (`make run`) and "
                "chat first, or point TRACKER_DB_PATH / TRACKER_DB_URL at the store."
            )
        engine = sa.create_engine(url, connect_args={"timeout": 30})
    elif parsed.get_backend_name() == "postgresql":
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    else:
        raise StoreError(
            f"{describe(url)}: only SQLite and PostgreSQL tracker stores are supported."
        )
    store = Store(engine, url)
    try:
        if create:
            with engine.begin() as connection:
                _create_events_table(connection)
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            if not inspector.has_table(EVENTS):
                raise sa.exc.NoSuchTableError(EVENTS)
            found = inspector.get_columns(EVENTS)
    except sa.exc.NoSuchTableError:
        store.close()
        raise StoreError(
            f"{store.name} is not a Rasa tracker store (no `events` table): "
            "check TRACKER_DB_PATH / TRACKER_DB_URL."
        ) from None
    except sa.exc.DBAPIError as error:
        store.close()
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreError(f"Cannot read {store.name}: {first}") from None
    missing = COLUMNS - {column["name"] for column in found}
    if missing:
        store.close()
        raise StoreError(
            f"{store.name} has an `events` table without Rasa's columns "
            f"({', '.join(sorted(missing))}): it is not a Rasa 3 tracker store."
        )
    return store


def _create_events_table(connection: sa.engine.Connection) -> None:
    """Rasa's own `events` table (SQLTrackerStore's schema), when missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa.util.deprecations.SILENCE_UBER_WARNING = True  # Rasa's notice, not ours
        from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore.SQLEvent.__table__.create(connection, checkfirst=True)
