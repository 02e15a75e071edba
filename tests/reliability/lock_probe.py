"""One contender for a conversation lock, run as its own process (one Rasa server).

    python -m tests.reliability.lock_probe STORE REDIS_URL CONVERSATION ROUNDS SECONDS

STORE is `stock` (Rasa's RedisLockStore) or `atomic` (infra.locks). The process waits
until the key `probe:go` exists (so that all contenders start together), then takes
the lock ROUNDS times (or until SECONDS have passed). Inside the lock it increments
`probe:inside`: more than 1 means two holders at once. It logs `enter`/`exit` to the
list `probe:log` (`stuck`: waited until SECONDS ran out) and prints a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from urllib.parse import urlparse

import redis


def make_store(kind: str, url: str):
    if kind == "stock":
        from rasa.core.lock_store import RedisLockStore

        parts = urlparse(url)
        return RedisLockStore(
            host=parts.hostname, port=parts.port, db=0, password=parts.password
        )
    from infra.locks import AtomicRedisLockStore

    return AtomicRedisLockStore(url, ttl_seconds=5, wait_seconds=20)


async def contend(
    kind: str, url: str, conversation: str, rounds: int, seconds: float
) -> dict:
    probe = redis.Redis.from_url(url)
    store = make_store(kind, url)
    # Rasa polls every 1 s and lets tickets live 60 s. Polling faster, and letting a
    # ticket that nobody serves any more expire after 1 s instead of blocking the
    # conversation for a minute, changes neither the algorithm nor its race; it only
    # lets more turns run within the time bound.
    options = (
        {"wait_time_in_seconds": 0.005, "lock_lifetime": 1.0} if kind == "stock" else {}
    )
    me = str(os.getpid())
    probe.incr("probe:ready")
    start_by = time.monotonic() + 30
    while not probe.exists("probe:go") and time.monotonic() < start_by:
        await asyncio.sleep(0.005)
    deadline = time.monotonic() + seconds
    done = overlaps = errors = stuck = 0

    async def one_turn() -> None:
        nonlocal overlaps
        async with store.lock(conversation, **options):
            if probe.incr("probe:inside") != 1:
                overlaps += 1
            probe.rpush("probe:log", f"{me} enter")
            await asyncio.sleep(random.uniform(0.001, 0.004))  # the turn
            probe.rpush("probe:log", f"{me} exit")
            probe.decr("probe:inside")

    for _ in range(rounds):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            await asyncio.wait_for(one_turn(), timeout=left)
            done += 1
        except asyncio.TimeoutError:  # waiting for a lock that nobody holds any more
            stuck += 1
            probe.rpush("probe:log", f"{me} stuck")
            break
        except Exception as error:  # stock: "Could not acquire lock" when deleted
            errors += 1
            probe.rpush("probe:log", f"{me} error {type(error).__name__}")
        await asyncio.sleep(random.uniform(0, 0.002))
    return {
        "pid": me,
        "done": done,
        "overlaps": overlaps,
        "errors": errors,
        "stuck": stuck,
    }


def main() -> None:
    kind, url, conversation, rounds, seconds = sys.argv[1:6]
    result = asyncio.run(contend(kind, url, conversation, int(rounds), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
