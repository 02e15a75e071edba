"""The per-conversation lock, chosen from environment variables.

    lock_store:
      type: infra.locks.EnvLockStore

Without `REDIS_URL` this is Rasa's `InMemoryLockStore` (one Rasa process; then
`SANIC_WORKERS` above 1 is refused). With `REDIS_URL` (e.g.
`redis://:secret@127.0.0.1:6379/0`) it is `AtomicRedisLockStore`, for several Rasa
instances or workers sharing one conversation store.

Why not Rasa's `RedisLockStore`: it keeps a ticket queue as one JSON value that each
server reads, changes and writes back (GET, then SET) and deletes when it sees nobody
waiting. Two servers can both read "no tickets", both write their own ticket 0 and
both run a turn of the same conversation at once; a server can also delete the lock
another one is waiting on (RasaHQ/rasa#9213). tests/reliability/test_locks.py shows it.

`AtomicRedisLockStore`:
- takes the lock with one atomic `SET key token NX PX ttl` (a random token per turn,
  in a Lua script that also accepts the key when it already holds our token, so a
  retried call whose reply was lost does not wait for itself);
- renews it (`PEXPIRE` only if the token is still ours, one Lua script) every third
  of the TTL while the turn runs, so a long turn keeps it and a crashed instance's
  lock expires after at most one TTL;
- releases it with a Lua compare-and-delete, so a turn never deletes a lock that
  has passed to another instance;
- queues turns of one conversation inside a process in arrival order (an asyncio
  lock per conversation) before they compete in Redis; across instances the order
  is the order in which they get the Redis lock;
- turns an unreachable Redis (after a short retry) into `LockError`: the turn is not
  run, the error is logged, and the channel answers with its apology.

| variable | default | meaning |
|---|---|---|
| `REDIS_URL` | unset | Redis for the lock; unset = in-memory lock |
| `REDIS_HOST`, `_PORT`, `_PASSWORD`, `_DB` | -, 6379, -, 1 | instead of `REDIS_URL` |
| `LOCK_TTL_SECONDS` | 15 | how long a lock outlives an instance that died holding it |
| `LOCK_WAIT_SECONDS` | 60 | how long a turn waits for the lock before `LockError` |
| `LOCK_REDIS_RETRY_SECONDS` | 2 | how long an unreachable Redis is retried |
| `LOCK_KEY_PREFIX` | `advisor:lock:` | Redis key prefix |

(The official Rasa Helm chart sets REDIS_HOST, REDIS_PORT and REDIS_PASSWORD.)
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import quote

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")

# KEYS[1] lock key, ARGV[1] token, ARGV[2] TTL in ms: SET NX PX, or 1 if it is
# already ours (a retried call whose first reply was lost must not wait for itself).
ACQUIRE_SCRIPT = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('get', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
"""
# KEYS[1] lock key, ARGV[1] token, ARGV[2] TTL in ms: extend only our own lock.
RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS[1] lock key, ARGV[1] token: delete only our own lock.
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


class AtomicRedisLockStore(LockStore):
    """A per-conversation mutex in Redis that is safe across Rasa instances."""

    def __init__(
        self,
        url: str,
        ttl_seconds: float = 15.0,
        wait_seconds: float = 60.0,
        retry_seconds: float = 2.0,
        key_prefix: str = "advisor:lock:",
        socket_timeout: float = 5.0,
    ) -> None:
        import redis.asyncio

        if ttl_seconds <= 0 or wait_seconds <= 0:
            raise ValueError("ttl_seconds and wait_seconds must be positive")
        self.url = url
        self.ttl_ms = int(ttl_seconds * 1000)
        self.wait_seconds = wait_seconds
        self.retry_seconds = retry_seconds
        self.key_prefix = key_prefix
        self.redis = redis.asyncio.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        super().__init__()

    @classmethod
    def from_env(cls, url: str, **overrides: Any) -> AtomicRedisLockStore:
        settings: dict[str, Any] = dict(
            ttl_seconds=_env_float("LOCK_TTL_SECONDS", 15.0),
            wait_seconds=_env_float("LOCK_WAIT_SECONDS", 60.0),
            retry_seconds=_env_float("LOCK_REDIS_RETRY_SECONDS", 2.0),
            key_prefix=os.environ.get("LOCK_KEY_PREFIX") or "advisor:lock:",
        )
        settings.update(overrides)
        return cls(url, **settings)

    def key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    # -- Redis calls, retried briefly while Redis is unreachable -------------------

    async def _call(
        self, what: str, conversation_id: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        import redis.exceptions

        deadline = time.monotonic() + self.retry_seconds
        while True:
            try:
                return await call()
            except (
                redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError,
                OSError,
            ) as error:
                if time.monotonic() >= deadline:
                    logger.error(
                        "Lock store unavailable: could not %s the lock of "
                        "conversation '%s': %s",
                        what,
                        conversation_id,
                        error,
                    )
                    raise LockError(
                        f"The lock store is unavailable ({what} failed): {error}"
                    ) from error
                await asyncio.sleep(0.25)

    async def _try_acquire(self, key: str, token: str, conversation_id: str) -> bool:
        return bool(
            await self._call(
                "take",
                conversation_id,
                lambda: self.redis.eval(ACQUIRE_SCRIPT, 1, key, token, self.ttl_ms),
            )
        )

    async def _acquire(self, key: str, token: str, conversation_id: str) -> None:
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.005
        while not await self._try_acquire(key, token, conversation_id):
            if time.monotonic() >= deadline:
                raise LockError(
                    f"Timed out after {self.wait_seconds:.0f}s waiting for "
                    f"the lock of conversation '{conversation_id}'."
                )
            await asyncio.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 0.1)

    async def _renew_forever(self, key: str, token: str, conversation_id: str) -> None:
        import redis.exceptions

        interval = self.ttl_ms / 3000
        while True:
            await asyncio.sleep(interval)
            try:
                renewed = await self.redis.eval(
                    RENEW_SCRIPT, 1, key, token, self.ttl_ms
                )
            except (redis.exceptions.RedisError, OSError) as error:
                logger.warning(
                    "Could not renew the lock of conversation '%s' (will retry): %s",
                    conversation_id,
                    error,
                )
                continue
            if not renewed:
                logger.error(
                    "The lock of conversation '%s' expired while its turn was "
                    "still running (blocked longer than %.1fs?)",
                    conversation_id,
                    self.ttl_ms / 1000,
                )
                return

    async def _release(self, key: str, token: str, conversation_id: str) -> None:
        import redis.exceptions

        try:
            released = await self.redis.eval(RELEASE_SCRIPT, 1, key, token)
        except (redis.exceptions.RedisError, OSError) as error:
            logger.error(
                "Could not release the lock of conversation '%s'; it expires "
                "by itself within %.1fs: %s",
                conversation_id,
                self.ttl_ms / 1000,
                error,
            )
            return
        if not released:
            logger.warning(
                "The lock of conversation '%s' was no longer ours at release "
                "(expired); left untouched",
                conversation_id,
            )

    # -- in-process FIFO queue per conversation ---------------------------------------

    def _local_lock(self, conversation_id: str) -> asyncio.Lock:
        lock, users = self._local.get(conversation_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._local[conversation_id] = (lock, users + 1)
        return lock

    def _drop_local_lock(self, conversation_id: str) -> None:
        lock, users = self._local[conversation_id]
        if users <= 1:
            del self._local[conversation_id]
        else:
            self._local[conversation_id] = (lock, users - 1)

    # -- the LockStore interface that Rasa uses ----------------------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock for the body of the `async with`.

        `lock_lifetime` and `wait_time_in_seconds` (Rasa's ticket-lock arguments) are
        accepted and ignored: the TTL is renewed while the turn runs.
        """
        key = self.key(conversation_id)
        token = secrets.token_hex(16)
        local = self._local_lock(conversation_id)
        try:
            async with local:
                await self._acquire(key, token, conversation_id)
                renewer = asyncio.ensure_future(
                    self._renew_forever(key, token, conversation_id)
                )
                try:
                    yield TicketLock(conversation_id)
                finally:
                    renewer.cancel()
                    await asyncio.shield(self._release(key, token, conversation_id))
        finally:
            self._drop_local_lock(conversation_id)

    async def owner(self, conversation_id: str) -> str | None:
        """The token holding the conversation's lock, if any (for tests and checks)."""
        value = await self.redis.get(self.key(conversation_id))
        return value.decode() if isinstance(value, bytes) else value

    # Rasa's ticket-queue methods have no meaning here; nothing in Rasa calls them
    # when `lock()` is overridden.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError("AtomicRedisLockStore has no ticket queue")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("AtomicRedisLockStore has no ticket queue")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore has no ticket queue")


def redis_url(env: dict[str, str] | None = None) -> str:
    """REDIS_URL, or one built from REDIS_HOST/PORT/PASSWORD/DB; "" when neither."""
    env = dict(os.environ if env is None else env)
    url = env.get("REDIS_URL", "").strip()
    host = env.get("REDIS_HOST", "").strip()
    if url or not host:
        return url
    password = env.get("REDIS_PASSWORD", "")
    auth = f":{quote(password, safe='')}@" if password else ""
    port = env.get("REDIS_PORT", "").strip() or "6379"
    db = env.get("REDIS_DB", "").strip() or "1"
    return f"redis://{auth}{host}:{port}/{db}"


class EnvLockStore(LockStore):
    """Factory: `InMemoryLockStore` without REDIS_URL, else `AtomicRedisLockStore`.

    Rasa instantiates the class named in endpoints.yml with `endpoint_config=...`;
    `__new__` returns the store the environment asks for.
    """

    def __new__(
        cls, endpoint_config: EndpointConfig | None = None, **kwargs: Any
    ) -> LockStore:  # type: ignore[misc]
        url = redis_url()
        if not url:
            workers = os.environ.get("SANIC_WORKERS", "1").strip() or "1"
            if workers != "1":
                raise RasaException(
                    f"SANIC_WORKERS={workers} needs a shared lock: set REDIS_URL "
                    "(the in-memory lock only works inside one process)."
                )
            logger.info("Conversation locks: in memory (one Rasa process)")
            return InMemoryLockStore()
        overrides = {}
        if endpoint_config is not None and endpoint_config.kwargs.get("key_prefix"):
            overrides["key_prefix"] = str(endpoint_config.kwargs["key_prefix"])
        store = AtomicRedisLockStore.from_env(url, **overrides)
        logger.info(
            "Conversation locks: Redis (%s), TTL %.1fs",
            store.redis.connection_pool.connection_kwargs.get("host"),
            store.ttl_ms / 1000,
        )
        return store
