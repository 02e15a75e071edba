"""Starting each bot as it is run for real, and waiting until it answers."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench.common import (
    BIN,
    ROOT,
    STOCK_DIR,
    WEBHOOK,
    BenchTimeout,
    Deadline,
)
from bench.conversations import ADVISOR_CONVERSATIONS
from bench.cpu import CpuWatch
from bench.load import Bot, post_turn
from bench.processes import Server, base_env
from bench.training import stock_model
from infra import launch
from infra.launch import action_server_command, free_port, rasa_server_command


async def _wait_until(
    server: Server,
    deadline: Deadline,
    ready_timeout: float,
    answered: Callable[[aiohttp.ClientSession], Awaitable[bool]],
    state: str,
    cap_ends_run: bool,
) -> float:
    """Seconds from process start until `answered` says yes; the server is stopped
    when it takes longer than `ready_timeout` (or the time left). With
    `cap_ends_run`, running out of the total time is reported as BenchTimeout."""
    limit = min(ready_timeout, deadline.left())
    async with aiohttp.ClientSession() as session:
        while True:
            if not server.alive():
                raise server.fail("exited before it was ready")
            if time.monotonic() - server.t0 > limit:
                error = server.fail(f"was not {state} after {limit:.0f} s")
                server.stop()
                if cap_ends_run and deadline.left() <= 0:
                    raise BenchTimeout(f"time cap reached while starting {server.name}")
                raise error
            if await answered(session):
                return round(time.monotonic() - server.t0, 2)
            await asyncio.sleep(0.2)


async def wait_ready(
    server: Server, url: str, probe: str, deadline: Deadline, ready_timeout: float
) -> float:
    """Seconds from process start to the first REST POST answered with a reply."""

    async def answered(session: aiohttp.ClientSession) -> bool:
        _, error = await post_turn(
            session, url, f"bench-ready-{uuid.uuid4().hex[:8]}", probe, timeout=30
        )
        return error is None

    return await _wait_until(
        server, deadline, ready_timeout, answered, "ready", cap_ends_run=True
    )


async def wait_health(
    server: Server, url: str, deadline: Deadline, ready_timeout: float
) -> float:
    async def answered(session: aiohttp.ClientSession) -> bool:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    return await _wait_until(
        server, deadline, ready_timeout, answered, "healthy", cap_ends_run=False
    )


async def rasa_ready(
    bot: Bot,
    rasa: Server,
    watch: CpuWatch,
    info: dict[str, Any],
    args,
    deadline: Deadline,
) -> None:
    """The bot's just started Rasa server, waited for: its ready time and the CPU
    used meanwhile go into `info`."""
    bot.rasa = rasa
    watch.pids.append(rasa.pid)
    info["ready_s"] = await wait_ready(
        rasa, bot.url, "hello", deadline, args.ready_timeout
    )
    info["ready_cpu"] = watch.result()


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def stock_cli(argv: list[str]) -> list[str]:
    """The launcher's command line with the installed `rasa` in place of the project's
    quiet wrapper (scripts/rasa imports infra/): the stock bot runs nothing of ours."""
    return [str(Path(sys.executable).with_name("rasa")), *argv[argv.index("run") :]]


async def start_stock(
    args, deadline: Deadline, logs: Path, tag: str, conversations: list[list[str]]
) -> tuple[Bot, dict[str, Any]]:
    bot = Bot("stock", conversations, args.request_timeout)
    info: dict[str, Any] = {}
    watch = CpuWatch([])
    env = {**base_env(PYTHONPATH=str(STOCK_DIR)), **parse_env(args.stock_env)}
    endpoints = yaml.safe_load((STOCK_DIR / "endpoints.yml").read_text()) or {}
    if (endpoints.get("action_endpoint") or {}).get("url"):
        # its endpoints use an action server: start it like the advisor's
        port = free_port()
        bot.actions = Server(
            "stock action server",
            stock_cli(action_server_command(port)),
            STOCK_DIR,
            base_env(SANIC_HOST="127.0.0.1", PYTHONPATH=str(STOCK_DIR)),
            logs / f"{tag}-stock-actions.log",
        )
        watch.pids.append(bot.actions.pid)
        info["actions_ready_s"] = await wait_health(
            bot.actions, f"http://127.0.0.1:{port}/health", deadline, args.ready_timeout
        )
    port = free_port()
    bot.url = f"http://127.0.0.1:{port}{WEBHOOK}"
    model = stock_model(STOCK_DIR)
    rasa = Server(
        "stock rasa server",
        stock_cli(rasa_server_command(model, port)),
        STOCK_DIR,
        env,
        logs / f"{tag}-stock-rasa.log",
    )
    await rasa_ready(bot, rasa, watch, info, args, deadline)
    return bot, info


# Settings a developer's shell may carry that would point the bench's servers at shared
# databases, Redis or several workers; the bench drops them (--advisor-env sets them).
SHARED_STATE_ENV = (
    "TRACKER_DB_URL",
    "DB_HOST",
    "REDIS_URL",
    "REDIS_HOST",
    "SANIC_WORKERS",
    "TRACKER_DB_PATH",
    "RASA_AUTH_TOKEN",
)


def launcher_rasa_command(
    model: Path, port: int, action_url: str
) -> tuple[dict[str, str], list[str], str]:
    """The Rasa server's limits and argv as `make run` starts it (infra/launch.py,
    default settings), with the copied model, a free port and this action server."""
    settings = dataclasses.replace(
        launch.Settings.from_env({"RASA_AUTH_TOKEN": "none"}),  # as measured before
        model=str(model),
        rasa_port=port,
        action_url=action_url,
    )
    argv = settings.rasa_command()
    return settings.limits(), ["rasa"] + argv[1:], "infra.launch (as make run)"


def replace_arg(argv: list[str], flag: str, value: str) -> list[str]:
    argv = list(argv)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    return argv


async def start_advisor(
    args, deadline: Deadline, logs: Path, tag: str, model: Path, store_dir: Path
) -> tuple[Bot, dict[str, Any]]:
    """As `make run`: the action server first (until /health answers; without the
    SANIC_* size limits), then `rasa run` with the limits and arguments of the
    launcher (infra/launch.py), on a free port, with the copied model. The tracker
    store's SQLite file (TRACKER_DB_PATH) is a new one in a temporary folder, so the
    bench neither fills nor reads the project's var/data. The web page is not part
    of the bot and is not started."""
    bot = Bot("advisor", ADVISOR_CONVERSATIONS, args.request_timeout)
    info: dict[str, Any] = {}
    watch = CpuWatch([])
    action_port = free_port()
    action_url = f"http://127.0.0.1:{action_port}/webhook"
    action_env = base_env(SANIC_HOST="127.0.0.1", PYTHONPATH=str(ROOT))
    for key in (
        "SANIC_REQUEST_MAX_SIZE",
        "SANIC_WEBSOCKET_MAX_SIZE",
        *SHARED_STATE_ENV,
    ):
        action_env.pop(key, None)
    action_env.update(parse_env(args.action_env))
    bot.actions = Server(
        "advisor action server",
        action_server_command(action_port),
        ROOT,
        action_env,
        logs / f"{tag}-advisor-actions.log",
    )
    watch.pids.append(bot.actions.pid)
    info["actions_ready_s"] = await wait_health(
        bot.actions,
        f"http://127.0.0.1:{action_port}/health",
        deadline,
        args.ready_timeout,
    )
    port = free_port()
    bot.url = f"http://127.0.0.1:{port}{WEBHOOK}"
    run_env, argv, source = launcher_rasa_command(model, port, action_url)
    if args.endpoints != "endpoints.yml":
        argv = replace_arg(argv, "--endpoints", args.endpoints)
    env = base_env(PYTHONPATH=str(ROOT))
    for key in SHARED_STATE_ENV:
        env.pop(key, None)
    db = store_dir / f"{tag}-tracker.db"
    env.update(run_env, TRACKER_DB_PATH=str(db))
    env.update(parse_env(args.advisor_env))
    info["command"] = {
        "source": source,
        "argv": ["rasa"] + argv[1:],
        "env": {**run_env, "TRACKER_DB_PATH": str(db), **parse_env(args.advisor_env)},
    }
    rasa = Server(
        "advisor rasa server",
        [str(BIN / "rasa")] + argv[1:],
        ROOT,
        env,
        logs / f"{tag}-advisor-rasa.log",
    )
    await rasa_ready(bot, rasa, watch, info, args, deadline)
    info["total_ready_s"] = round(time.monotonic() - bot.actions.t0, 2)
    return bot, info
