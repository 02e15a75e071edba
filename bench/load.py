"""Load on a running bot over REST: turns, simulated users, latency and throughput."""

from __future__ import annotations

import asyncio
import collections
import json
import statistics
import time
import uuid
from typing import Any

import aiohttp

from bench.common import WEBHOOK, Deadline, median, percentile
from bench.conversations import ADVISOR_LONG_CYCLE
from bench.cpu import CpuWatch
from bench.memory import rss_tree_mb
from bench.processes import Server


async def post_turn(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, timeout: float
) -> tuple[float, str | None]:
    """One turn; return (latency in ms, error or None)."""
    start = time.perf_counter()
    try:
        async with session.post(
            url,
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            body = await resp.read()
            latency = (time.perf_counter() - start) * 1000
            if resp.status != 200:
                return latency, f"HTTP {resp.status}"
            replies = json.loads(body)
            if not isinstance(replies, list) or not replies:
                return latency, "empty reply"
            return latency, None
    except asyncio.TimeoutError:
        return (time.perf_counter() - start) * 1000, "timeout"
    except (aiohttp.ClientError, ValueError) as exc:
        return (time.perf_counter() - start) * 1000, type(exc).__name__


class Bot:
    """A running bot: its Rasa server, optional action server, conversations."""

    def __init__(
        self, name: str, conversations: list[list[str]], timeout: float
    ) -> None:
        self.name = name
        self.conversations = conversations
        self.timeout = timeout
        self.rasa: Server | None = None
        self.actions: Server | None = None
        self.url = ""

    def check_alive(self) -> None:
        for server in (self.rasa, self.actions):
            if server is not None and not server.alive():
                raise server.fail("died during the load")

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            if server is not None:
                server.stop()

    async def user(
        self, sender_prefix: str, turns: int, offset: int, deadline: Deadline
    ) -> list[tuple[float, str | None, str]]:
        """One user: `turns` turns over consecutive conversations, one aiohttp session,
        a new sender per conversation."""
        out: list[tuple[float, str | None, str]] = []
        async with aiohttp.ClientSession() as session:
            conv_index = offset
            while len(out) < turns:
                conversation = self.conversations[conv_index % len(self.conversations)]
                sender = f"{sender_prefix}-{conv_index}-{uuid.uuid4().hex[:8]}"
                for text in conversation:
                    if len(out) >= turns:
                        break
                    deadline.check(f"{self.name} load")
                    latency, error = await post_turn(
                        session, self.url, sender, text, self.timeout
                    )
                    out.append((latency, error, text))
                conv_index += 1
        return out

    async def run_users(
        self, users: int, turns: int, tag: str, deadline: Deadline
    ) -> dict[str, Any]:
        watch = CpuWatch([s.pid for s in (self.rasa, self.actions) if s is not None])
        start = time.perf_counter()
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    self.user(f"bench-{tag}-u{u}", turns, u * 3, deadline)
                    for u in range(users)
                )
            ),
            timeout=max(1.0, deadline.left()),
        )
        wall = time.perf_counter() - start
        flat = [r for user in results for r in user]
        self.check_alive()
        summary = summarize(flat, wall, users)
        summary["cpu"] = watch.result()
        return summary

    async def long_conversation(self, turns: int, deadline: Deadline) -> dict[str, Any]:
        """One sender, `turns` turns; per-turn latency and RSS before/after."""
        sender = f"bench-long-{uuid.uuid4().hex[:8]}"
        script = [
            "hello",
            "I'm a machine learning engineer building recommendation models",
        ]
        while len(script) < turns:
            script += ADVISOR_LONG_CYCLE
        rss_before = rss_tree_mb(self.rasa.pid)
        watch = CpuWatch([self.rasa.pid] + ([self.actions.pid] if self.actions else []))
        latencies: list[float] = []
        errors = 0
        async with aiohttp.ClientSession() as session:
            for text in script[:turns]:
                deadline.check("long conversation")
                latency, error = await post_turn(
                    session, self.url, sender, text, self.timeout
                )
                latencies.append(round(latency, 1))
                errors += error is not None
            events = None
            try:
                tracker_url = self.url.replace(
                    WEBHOOK, f"/conversations/{sender}/tracker"
                )
                async with session.get(
                    tracker_url, timeout=aiohttp.ClientTimeout(total=self.timeout)
                ) as resp:
                    if resp.status == 200:
                        events = len((await resp.json()).get("events", []))
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                pass
        self.check_alive()
        first, last = latencies[:10], latencies[-10:]
        return {
            "turns": turns,
            "errors": errors,
            "tracker_events": events,
            "cpu": watch.result(),
            "p50_first10_ms": round(median(first), 1),
            "p50_last10_ms": round(median(last), 1),
            "growth_last_vs_first": round(median(last) / median(first), 2),
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_tree_mb(self.rasa.pid),
            "latencies_ms": latencies,
        }


def summarize(
    results: list[tuple[float, str | None, str]], wall: float, users: int
) -> dict[str, Any]:
    lat = [r[0] for r in results if r[1] is None]
    errors = collections.Counter(r[1] for r in results if r[1] is not None)

    def r1(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {
        "users": users,
        "turns": len(results),
        "ok": len(lat),
        "errors": dict(errors),
        "wall_s": round(wall, 2),
        "p50_ms": r1(percentile(lat, 50)),
        "p95_ms": r1(percentile(lat, 95)),
        "p99_ms": r1(percentile(lat, 99)),
        "mean_ms": r1(statistics.fmean(lat)) if lat else None,
        "msgs_per_s": round(len(lat) / wall, 2) if wall > 0 else None,
        "by_message": by_message(results),
    }


def by_message(results: list[tuple[float, str | None, str]]) -> dict[str, Any]:
    """p50 per user text (which turns cost what), slowest first."""
    groups: dict[str, list[float]] = collections.defaultdict(list)
    for latency, error, text in results:
        if error is None:
            groups[text].append(latency)
    rows = {
        text: {"n": len(v), "p50_ms": round(percentile(v, 50), 1)}
        for text, v in groups.items()
    }
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["p50_ms"]))
