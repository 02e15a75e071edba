"""The conversation lock across Rasa instances, against a real redis-server.

Each property is checked on Rasa's stock `RedisLockStore` too, marked
`xfail(strict=True)`: the test must fail there (RasaHQ/rasa#9213), and would turn
red if it ever passed, i.e. if the demonstration stopped demonstrating.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest
import redis

from infra.locks import AtomicRedisLockStore
from tests.reliability.conftest import FIGURES, ROOT

STOCK_FAILS = pytest.mark.xfail(
    strict=True, reason="Rasa's RedisLockStore is not atomic across servers (#9213)"
)
CONTENDERS = 6  # processes, like six Rasa servers
ROUNDS = 40  # turns each
SECONDS = 10  # bound per process


def stores(url: str, kind: str, ttl: float):
    """Two stores (two 'servers') of one kind."""
    if kind == "stock":
        from rasa.core.lock_store import RedisLockStore

        parts = urlparse(url)
        made = [
            RedisLockStore(
                host=parts.hostname, port=parts.port, db=0, password=parts.password
            )
            for _ in range(2)
        ]
        return made, {"lock_lifetime": ttl, "wait_time_in_seconds": 0.01}
    made = [
        AtomicRedisLockStore(url, ttl_seconds=ttl, wait_seconds=10) for _ in range(2)
    ]
    return made, {}


@pytest.fixture
def url(redis_server):
    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server.url


@pytest.mark.parametrize("kind", [pytest.param("stock", marks=STOCK_FAILS), "atomic"])
def test_one_holder_at_a_time_across_processes(url, kind):
    probe = redis.Redis.from_url(url)
    env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.lock_probe",
                kind,
                url,
                "conversation-1",
                str(ROUNDS),
                str(SECONDS),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONTENDERS)
    ]
    try:
        deadline = time.monotonic() + 60
        while int(probe.get("probe:ready") or 0) < CONTENDERS:
            assert time.monotonic() < deadline, "contenders did not start"
            assert all(p.poll() is None for p in procs), [
                p.communicate() for p in procs
            ]
            time.sleep(0.05)
        probe.set("probe:go", 1)
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=SECONDS + 30)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = [entry.decode() for entry in probe.lrange("probe:log", 0, -1)]
    interleaved = first_interleaving(log)
    overlaps = sum(r["overlaps"] for r in results)
    errors = sum(r["errors"] for r in results)
    stuck = sum(r["stuck"] for r in results)
    done = sum(r["done"] for r in results)
    print(
        f"\n{kind}: {done} of {CONTENDERS * ROUNDS} turns, {overlaps} overlapping, "
        f"{errors} lock errors, {stuck} stuck; first interleaving: {interleaved}"
    )
    FIGURES[
        f"lock, {CONTENDERS} processes x {ROUNDS} turns on one conversation, "
        f"{'Rasa RedisLockStore' if kind == 'stock' else 'AtomicRedisLockStore'}"
    ] = (
        f"{done} turns done, {overlaps} overlapping, {errors} lock errors, "
        f"{stuck} stuck"
    )
    assert interleaved is None, f"two holders at once: {interleaved}"
    assert overlaps == 0 and errors == 0 and stuck == 0
    assert done == CONTENDERS * ROUNDS


def first_interleaving(log: list[str]):
    """The first place where someone entered before the holder exited, or None."""
    holder = None
    for index, entry in enumerate(log):
        pid, what = entry.split(" ", 1)
        if what == "enter":
            if holder is not None:
                return log[max(0, index - 2) : index + 2]
            holder = pid
        elif what == "exit":
            if holder != pid:
                return log[max(0, index - 2) : index + 2]
            holder = None
    return None


@pytest.mark.parametrize("kind", [pytest.param("stock", marks=STOCK_FAILS), "atomic"])
def test_a_turn_longer_than_the_ttl_keeps_the_lock(url, kind):
    """A slow turn (slow action server) must not let the next turn in."""

    async def scenario() -> list[str]:
        (first, second), options = stores(url, kind, ttl=0.3)
        events: list[str] = []
        inside = asyncio.Event()

        async def slow_turn() -> None:
            async with first.lock("conversation-2", **options):
                events.append("slow enter")
                inside.set()
                await asyncio.sleep(1.2)  # four TTLs
                events.append("slow exit")

        async def next_turn() -> None:
            await inside.wait()
            async with second.lock("conversation-2", **options):
                events.append("next enter")

        await asyncio.wait_for(asyncio.gather(slow_turn(), next_turn()), 20)
        return events

    assert asyncio.run(scenario()) == ["slow enter", "slow exit", "next enter"]


def test_an_expired_holder_cannot_release_the_next_holders_lock(url):
    """A stalled instance whose lock expired must not free its successor's lock."""

    async def scenario() -> tuple[list[str], str, str]:
        stalled = AtomicRedisLockStore(url, ttl_seconds=0.3, wait_seconds=10)
        successor = AtomicRedisLockStore(url, ttl_seconds=5, wait_seconds=10)
        third = AtomicRedisLockStore(url, ttl_seconds=5, wait_seconds=10)

        async def no_renewal(*_args) -> None:  # the stalled instance cannot renew
            await asyncio.sleep(3600)

        stalled._renew_forever = no_renewal  # type: ignore[method-assign]
        events: list[str] = []
        stalled_in, successor_in = asyncio.Event(), asyncio.Event()
        owner_after_release = {}

        async def stalled_turn() -> None:
            async with stalled.lock("conversation-3"):
                stalled_in.set()
                await successor_in.wait()  # its lock expired; the successor has it
                events.append("stalled exit")
            owner_after_release["token"] = await successor.owner("conversation-3")

        async def successor_turn() -> None:
            await stalled_in.wait()
            async with successor.lock("conversation-3"):
                events.append("successor enter")
                successor_in.set()
                await asyncio.sleep(0.5)
                events.append("successor exit")

        async def third_turn() -> None:
            await successor_in.wait()
            await asyncio.sleep(0.1)  # after the stalled exit
            async with third.lock("conversation-3"):
                events.append("third enter")

        await asyncio.wait_for(
            asyncio.gather(stalled_turn(), successor_turn(), third_turn()), 20
        )
        return events, owner_after_release["token"], "ok"

    events, token, _ = asyncio.run(scenario())
    assert token is not None, "the stalled instance deleted its successor's lock"
    assert events == [
        "successor enter",
        "stalled exit",
        "successor exit",
        "third enter",
    ]


def test_an_unreachable_redis_is_a_lock_error_not_a_free_pass():
    from rasa.core.lock_store import LockError

    from infra.launch import free_port

    store = AtomicRedisLockStore(
        f"redis://127.0.0.1:{free_port()}/0",
        ttl_seconds=5,
        wait_seconds=5,
        retry_seconds=0.5,
        socket_timeout=1,
    )

    async def scenario() -> None:
        async with store.lock("conversation-4"):
            raise AssertionError("entered without a lock")

    started = time.monotonic()
    with pytest.raises(LockError):
        asyncio.run(scenario())
    assert time.monotonic() - started < 5


def test_env_lock_store_picks_the_lock_from_the_environment(monkeypatch, url):
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.shared.exceptions import RasaException

    from infra.locks import EnvLockStore

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert isinstance(EnvLockStore(endpoint_config=None), InMemoryLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(RasaException, match="REDIS_URL"):
        EnvLockStore(endpoint_config=None)
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("LOCK_TTL_SECONDS", "7")
    store = EnvLockStore(endpoint_config=None)
    assert isinstance(store, AtomicRedisLockStore) and store.ttl_ms == 7000
