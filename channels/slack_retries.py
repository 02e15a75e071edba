"""Slack events answered once, by one process or by several Rasa instances.

Slack re-sends an event it got no 200 for within three seconds (with
X-Slack-Retry-Num), and one message can arrive both as `message` and as
`app_mention`. channels/slack.py asks `first(key)` for each event id, message and
button click, and answers only when it is the first to see that key.

- Without REDIS_URL (nor REDIS_HOST ..., read as for the lock store by
  `infra.locks.redis_url`): the keys are kept in this process (`SeenKeys`), which is
  right for one Rasa process.
- With it: in Redis, one `SET key 1 NX EX ttl` per key, so the first instance to
  see an event answers it and every other instance behind the same balancer only
  acknowledges it (`RedisSeenKeys`). When Redis cannot be reached the keys are
  checked in this process instead and the outage is logged: a retry may then be
  answered twice by two instances, but no message goes unanswered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

logger = logging.getLogger(__name__)

TTL_SECONDS = 3600.0  # Slack retries within about five minutes: an hour is ample
KEY_PREFIX = "advisor:slack:seen:"
RETRY_SECONDS = 5.0  # how long an unreachable Redis is left alone


class SeenKeys:
    """Keys (event ids, message ids) seen recently, in bounded memory.

    Keeps at most `size` keys and forgets keys older than `ttl` seconds.
    """

    def __init__(self, size: int = 4096, ttl: float = TTL_SECONDS) -> None:
        self.size = size
        self.ttl = ttl
        self._keys: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def _prune(self, now: float) -> None:
        while self._keys and (
            len(self._keys) > self.size
            or next(iter(self._keys.values())) < now - self.ttl
        ):
            self._keys.popitem(last=False)

    def add(self, *keys: str | None) -> bool:
        """Remember the keys; False when any of them was seen already."""
        now = time.monotonic()
        self._prune(now)
        keys_ = [key for key in keys if key]
        if any(key in self._keys for key in keys_):
            return False
        for key in keys_:
            self._keys[key] = now
        self._prune(now)
        return True

    async def first(self, *keys: str | None) -> bool:
        """True when this process is the first to see the keys (None: no key)."""
        return self.add(*keys)


class RedisSeenKeys:
    """The same promise across processes: the first `SET NX` wins."""

    def __init__(
        self,
        url: str,
        ttl: float = TTL_SECONDS,
        key_prefix: str = KEY_PREFIX,
        timeout: float = 1.0,
    ) -> None:
        import redis.asyncio

        self.ttl = max(1, int(ttl))
        self.key_prefix = key_prefix
        self.redis = redis.asyncio.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.local = SeenKeys(ttl=ttl)  # only while Redis is unreachable
        self.redis_down = False
        self._retry_at = 0.0  # after a failure, Redis is tried again from then on

    async def first(self, *keys: str | None) -> bool:
        """True when no instance has seen any of the keys before; remembers them."""
        import redis.exceptions

        keys_ = [key for key in keys if key]
        if not keys_:
            return True
        if self.redis_down and time.monotonic() < self._retry_at:
            return self.local.add(*keys_)  # Slack must get its 200 in 3 seconds
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys_:
                    pipe.set(self.key_prefix + key, b"1", nx=True, ex=self.ttl)
                taken = await pipe.execute()
        except (redis.exceptions.RedisError, OSError, asyncio.TimeoutError) as error:
            if not self.redis_down:
                logger.error(
                    "Slack retries: Redis unreachable (%r); de-duplicating in this "
                    "process only until it is back",
                    error,
                )
            self.redis_down = True
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return self.local.add(*keys_)
        if self.redis_down:
            logger.info("Slack retries: Redis is back")
            self.redis_down = False
        return all(taken)


def from_env() -> SeenKeys | RedisSeenKeys:
    """`RedisSeenKeys` when REDIS_URL (or REDIS_HOST ...) is set, else `SeenKeys`."""
    from infra.locks import redis_url

    url = redis_url()
    if not url:
        return SeenKeys()
    logger.info("Slack retries: de-duplicated across instances in Redis")
    return RedisSeenKeys(url)
