"""The tracker store, chosen from environment variables (endpoints.yml stays fixed).

    tracker_store:
      type: infra.stores.EnvTrackerStore

- `TRACKER_DB_URL`: an SQLAlchemy URL, e.g.
  `postgresql://rasa:secret@127.0.0.1:5432/advisor`;
- or `DB_HOST` with `DB_PORT`, `DB_USER`, `DB_PASSWORD` (or `DB_PASS`), `DB_NAME`
  (or `DB_DATABASE`; default `rasa`), `DB_DIALECT` (default `postgresql`): the same
  as parts (the official Rasa Helm chart sets DB_HOST, DB_PORT, DB_USER,
  DB_PASSWORD, DB_DATABASE);
- neither: SQLite in `TRACKER_DB_PATH`, default `var/data/advisor.db`;
- `TRACKER_DB_RETRY_SECONDS`: how long one read or write is retried while the
  database is unreachable (default 3).

Rasa wraps every tracker store in `FailSafeTrackerStore`, which answers a failed read
with "no conversation" and keeps a failed write in memory only: during a database
outage a returning user would silently get a brand-new conversation, and the events
written meanwhile could be lost or, once the database is back, written out of step
(RasaHQ/rasa#3243). This store therefore is not wrapped (see `_install`): a read or
write that still fails after the short retry raises `TrackerStoreUnavailable`, the
turn is abandoned without saving anything, the error is logged, and the channel
answers with its apology (channels/guarded_rest.py: HTTP 500 and a message).

Creating the store installs the advisor's runtime (`infra/runtime.py`: every change
to Rasa, listed, including the one that keeps this store unwrapped): Rasa creates
the tracker store before anything else of the project, in every serving command.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
import ujson
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from infra import runtime, speedups

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "data" / "advisor.db"
DEFAULT_RETRY_SECONDS = 3.0
CONNECT_TIMEOUT_SECONDS = 5

T = TypeVar("T")


class TrackerStoreUnavailable(RasaException):
    """The conversation store could not be read or written; nothing was saved."""


def tracker_db_url(env: dict[str, str] | None = None) -> str:
    """The SQLAlchemy URL that the environment asks for (SQLite by default)."""
    env = dict(os.environ if env is None else env)
    url = env.get("TRACKER_DB_URL", "").strip()
    if url:
        # Heroku-style "postgres://" is not a dialect name SQLAlchemy 1.4 knows.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    host = env.get("DB_HOST", "").strip()
    if host:
        return str(
            sa.engine.URL.create(
                env.get("DB_DIALECT", "postgresql"),
                username=env.get("DB_USER") or None,
                password=env.get("DB_PASSWORD") or env.get("DB_PASS") or None,
                host=host,
                port=int(env["DB_PORT"]) if env.get("DB_PORT") else None,
                database=env.get("DB_NAME") or env.get("DB_DATABASE") or "rasa",
            )
        )
    path = Path(env.get("TRACKER_DB_PATH") or DEFAULT_SQLITE_PATH)
    if not path.is_absolute():
        path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    return sa.engine.make_url(url).__repr__()


def _sqlite_engine(url: str, engine_kwargs: dict[str, Any]) -> sa.engine.Engine:
    """SQLite tuned for a chat server: one pooled connection per thread instead of
    opening the file for every read and write (SQLAlchemy 1.4's default for SQLite
    files), and write-ahead logging with `synchronous=NORMAL`, so a commit does not
    wait for the disk. A committed turn survives a crash of the process; only a
    power cut can lose the last turns before the next checkpoint."""
    connect_args = dict(engine_kwargs.pop("connect_args", {}))
    connect_args.setdefault("check_same_thread", False)
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        connect_args=connect_args,
        **engine_kwargs,
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


class EnvTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the database the environment names.

    Compared with `SQLTrackerStore`: pooled connections are checked before use
    (a restarted PostgreSQL does not fail the next turn), connecting gives up after
    a few seconds, and an unreachable database is retried briefly and then reported
    as `TrackerStoreUnavailable` instead of being hidden.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        # `host` is endpoints.yml's `url`; the environment decides unless it is given.
        url = host if host and "://" in host else tracker_db_url()
        self.retry_seconds = float(
            os.environ.get("TRACKER_DB_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        super().__init__(domain=domain, host=url, event_broker=event_broker)
        self.engine: sa.engine.Engine
        engine_kwargs = create_engine_kwargs(url)
        if self.engine.dialect.name == "postgresql":
            connect_args = dict(engine_kwargs.get("connect_args", {}))
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
            engine_kwargs["connect_args"] = connect_args
        self.engine.dispose()
        if self.engine.dialect.name == "sqlite":
            self.engine = _sqlite_engine(url, engine_kwargs)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **engine_kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # The one place the advisor's changes to Rasa are installed (listed there).
        runtime.install()
        logger.info("Conversations are stored in %s", describe(url))

    async def _guarded(
        self, what: str, sender_id: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        deadline = time.monotonic() + self.retry_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except (sa.exc.SQLAlchemyError, self.engine.dialect.dbapi.Error) as error:
                if time.monotonic() >= deadline:
                    logger.error(
                        "Tracker store unavailable: could not %s conversation '%s' "
                        "after %d attempt(s): %s",
                        what,
                        sender_id,
                        attempt,
                        str(error).splitlines()[0],
                    )
                    raise TrackerStoreUnavailable(
                        f"The conversation store is unavailable ({what} failed)."
                    ) from error
                logger.warning(
                    "Tracker store: %s of '%s' failed, retrying: %s",
                    what,
                    sender_id,
                    str(error).splitlines()[0],
                )
                await asyncio.sleep(0.5)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._guarded("read", sender_id, lambda: self._read(sender_id))

    async def retrieve_full_tracker(
        self, conversation_id: str
    ) -> DialogueStateTracker | None:
        return await self._guarded(
            "read",
            conversation_id,
            lambda: SQLTrackerStore.retrieve_full_tracker(self, conversation_id),
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._guarded("save", tracker.sender_id, lambda: self._write(tracker))

    # The latest session of a conversation, read and appended with two SQL statements
    # compiled once and run on the pooled DB-API connection, instead of Rasa's ORM
    # queries (a fifth of the server's CPU per turn in the profile). Same rows, same
    # order, same session rule as SQLTrackerStore: the events from the latest
    # `session_started` on, by timestamp, ordered by id.

    def _statements(self) -> dict[str, tuple[str, tuple[str, ...] | None, dict]]:
        """SQL text, the order of the parameters for positional drivers, and the
        values of the statement's own constants (the `session_started` type)."""
        if not hasattr(self, "_sql"):
            events = self.SQLEvent.__table__
            sender = sa.bindparam("sender_id")
            latest_start = (
                sa.select(sa.func.max(events.c.timestamp))
                .where(
                    events.c.sender_id == sender,
                    events.c.type_name == SessionStarted.type_name,
                )
                .scalar_subquery()
            )
            in_session = sa.and_(
                events.c.sender_id == sender,
                sa.or_(latest_start.is_(None), events.c.timestamp >= latest_start),
            )
            statements = {
                "read": sa.select(events.c.data)
                .where(in_session)
                .order_by(events.c.id),
                "count": sa.select(sa.func.count())
                .select_from(events)
                .where(in_session),
                "insert": sa.insert(events),
            }
            self._sql = {}
            for name, statement in statements.items():
                compiled = statement.compile(
                    dialect=self.engine.dialect,
                    column_keys=list(ROW_COLUMNS) if name == "insert" else None,
                    for_executemany=name == "insert",  # no RETURNING id
                )
                order = tuple(compiled.positiontup) if compiled.positional else None
                constants = {
                    k: v for k, v in compiled.params.items() if isinstance(v, str)
                }
                self._sql[name] = (str(compiled), order, constants)
        return self._sql

    def _params(self, name: str, values: dict[str, Any]) -> Any:
        _, order, constants = self._statements()[name]
        values = {**constants, **values}
        return tuple(values[key] for key in order) if order else values

    def _run(self, name: str, rows: list[dict[str, Any]] | None = None, **values: Any):
        """Run one statement on a pooled connection; a read returns its rows."""
        sql = self._statements()[name][0]
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if rows is not None:
                cursor.executemany(sql, [self._params(name, row) for row in rows])
                result = None
            else:
                cursor.execute(sql, self._params(name, values))
                result = cursor.fetchall()
            cursor.close()
            connection.commit()
            return result
        finally:
            connection.close()  # back to the pool (rolled back if not committed)

    async def _read(self, sender_id: str) -> DialogueStateTracker | None:
        if _custom_schema():
            return await SQLTrackerStore.retrieve(self, sender_id)
        rows = self._run("read", sender_id=sender_id)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [_from_json(data) for (data,) in rows], self.domain.slots
        )
        # How many of its events are stored: `_write` appends only the rest.
        tracker._stored_event_count = len(rows)  # type: ignore[attr-defined]
        return tracker

    async def _write(self, tracker: DialogueStateTracker) -> None:
        if _custom_schema():
            return await SQLTrackerStore.save(self, tracker)
        await self.stream_events(tracker)
        stored = getattr(tracker, "_stored_event_count", None)
        if stored is None:  # a tracker this store did not read: ask the database
            stored = self._run("count", sender_id=tracker.sender_id)[0][0]
        new = list(itertools.islice(tracker.events, stored, None))
        if new:
            self._run("insert", rows=[_row(tracker.sender_id, e) for e in new])
        tracker._stored_event_count = len(tracker.events)  # type: ignore[attr-defined]

    async def keys(self) -> Iterable[str]:
        return await self._guarded("list", "*", lambda: SQLTrackerStore.keys(self))


def _custom_schema() -> bool:
    """POSTGRESQL_SCHEMA is handled by Rasa's own (ORM) code path only."""
    return bool(os.environ.get("POSTGRESQL_SCHEMA"))


ROW_COLUMNS = (
    "sender_id",
    "type_name",
    "timestamp",
    "intent_name",
    "action_name",
    "data",
)


def _row(sender_id: str, event: Any) -> dict[str, Any]:
    """One `events` row, with the same columns SQLTrackerStore writes."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": speedups.to_json(data),
    }


def _from_json(text: str) -> Any:
    """ujson when it can, else json (which also reads NaN and Infinity)."""
    try:
        return ujson.loads(text)
    except ValueError:
        return json.loads(text)


def unwrap_store() -> None:
    """Let Rasa's Agent use an `EnvTrackerStore` without `FailSafeTrackerStore`.

    `Agent._create_tracker_store` wraps every store in `FailSafeTrackerStore`; for
    this store only, it is replaced by a function that sets the domain and returns
    the store itself. Other stores keep Rasa's behaviour.
    """
    from rasa.core.agent import Agent

    original = Agent.__dict__["_create_tracker_store"].__func__
    if getattr(original, "_infra_unwrapped", False):
        return

    def create_tracker_store(store: Any, domain: Domain) -> Any:
        if isinstance(store, EnvTrackerStore):
            store.domain = domain
            return store
        return original(store, domain)

    create_tracker_store._infra_unwrapped = True  # type: ignore[attr-defined]
    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore
