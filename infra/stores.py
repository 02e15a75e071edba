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

Creating the store also installs `infra.action_failures`: a turn whose custom action
fails is dropped instead of being saved half-run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from infra import action_failures

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
        engine_kwargs = create_engine_kwargs(url)
        if self.engine.dialect.name == "postgresql":
            connect_args = dict(engine_kwargs.get("connect_args", {}))
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
            engine_kwargs["connect_args"] = connect_args
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **engine_kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # A turn whose custom action fails is dropped, not saved half-run.
        action_failures.install()
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
            except sa.exc.SQLAlchemyError as error:
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
        return await self._guarded(
            "read", sender_id, lambda: SQLTrackerStore.retrieve(self, sender_id)
        )

    async def retrieve_full_tracker(
        self, conversation_id: str
    ) -> DialogueStateTracker | None:
        return await self._guarded(
            "read",
            conversation_id,
            lambda: SQLTrackerStore.retrieve_full_tracker(self, conversation_id),
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._guarded(
            "save", tracker.sender_id, lambda: SQLTrackerStore.save(self, tracker)
        )

    async def keys(self) -> Iterable[str]:
        return await self._guarded("list", "*", lambda: SQLTrackerStore.keys(self))


def _install() -> None:
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


_install()
