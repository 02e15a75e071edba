"""The measured phases on a running bot, each measured again when the machine was
busy: sequential and concurrent load, the advisor's long conversation and scaling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.common import BUSY_CORES, RETRY_RESERVE_S, Deadline, log
from bench.cpu import wait_quiet
from bench.load import Bot
from bench.memory import descendants, pss_tree_mb, rss_tree_mb


def busy_note(phase: dict[str, Any]) -> str:
    other = (phase.get("cpu") or {}).get("other_cores", 0)
    return (
        f" [other processes used {other} cores: skewed]" if other > BUSY_CORES else ""
    )


def skewed(phase: dict[str, Any], key: str = "cpu") -> bool:
    return (phase.get(key) or {}).get("other_cores", 0) > BUSY_CORES


def measure_again(
    result: dict[str, Any],
    key: str,
    discarded: list[dict[str, float]],
    args,
    deadline: Deadline,
) -> bool:
    """Whether to discard `result`, skewed by other processes' CPU (its `key`), and
    measure again: not after --retry-busy attempts nor when little time is left.
    A discarded result's CPU figures are added to `discarded`."""
    if (
        not skewed(result, key)
        or len(discarded) >= args.retry_busy
        or deadline.left() < RETRY_RESERVE_S
    ):
        return False
    discarded.append(result[key])
    return True


async def unskewed(
    make: Callable[[], Any], args, deadline: Deadline, what: str
) -> dict[str, Any]:
    """Run a measurement; while other processes used more than BUSY_CORES of CPU
    meanwhile, wait for a quiet machine and run it again (up to --retry-busy times).
    The discarded attempts' CPU figures are kept in the result."""
    discarded: list[dict[str, float]] = []
    while True:
        result = await make()
        if not measure_again(result, "cpu", discarded, args, deadline):
            break
        log(
            f"  {what}: other processes used {result['cpu']['other_cores']} cores; "
            f"measuring again ({len(discarded)}/{args.retry_busy})"
        )
        await wait_quiet(max(args.wait_quiet, 60), deadline)
    if discarded:
        result["discarded_busy_attempts"] = discarded
    return result


async def measure(
    bot: Bot, info: dict[str, Any], args, deadline: Deadline, tag: str
) -> dict[str, Any]:
    """Warm-up (not measured), then load (a) and (b), with RSS after each."""
    result = dict(info)
    result["rasa_pid"] = bot.rasa.pid
    result["rss_ready_mb"] = rss_tree_mb(bot.rasa.pid)
    await bot.run_users(1, args.warmup_turns, f"{tag}-warm", deadline)
    log(f"  {bot.name}: (a) {args.seq_turns} sequential turns ...")
    seq = await unskewed(
        lambda: bot.run_users(1, args.seq_turns, f"{tag}-seq", deadline),
        args,
        deadline,
        f"{bot.name} (a)",
    )
    result["sequential"] = seq
    result["rss_after_seq_mb"] = rss_tree_mb(bot.rasa.pid)
    log(
        f"  {bot.name}: p50 {seq['p50_ms']} ms, p95 {seq['p95_ms']} ms"
        f"{busy_note(seq)}; "
        f"(b) {args.users} users x {args.turns_per_user} turns ..."
    )
    conc = await unskewed(
        lambda: bot.run_users(args.users, args.turns_per_user, f"{tag}-conc", deadline),
        args,
        deadline,
        f"{bot.name} (b)",
    )
    result["concurrent"] = conc
    result["rasa_rss_mb"] = rss_tree_mb(bot.rasa.pid)
    result["rasa_pss_mb"] = pss_tree_mb(bot.rasa.pid)
    result["rasa_processes"] = 1 + len(descendants(bot.rasa.pid))
    result["action_rss_mb"] = rss_tree_mb(bot.actions.pid) if bot.actions else None
    log(
        f"  {bot.name}: {conc['msgs_per_s']} msgs/s, p50 {conc['p50_ms']} ms"
        f"{busy_note(conc)}; RSS rasa {result['rasa_rss_mb']} MB "
        f"(PSS {result['rasa_pss_mb']} MB, {result['rasa_processes']} processes), "
        f"actions {result['action_rss_mb']} MB"
    )
    return result


async def scaling(bot: Bot, args, deadline: Deadline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "note": "advisor only, on the last round's servers after its load"
    }
    log(f"  advisor: one conversation of {args.long_turns} turns ...")
    out["long_conversation"] = await unskewed(
        lambda: bot.long_conversation(args.long_turns, deadline),
        args,
        deadline,
        "advisor long conversation",
    )
    lc = out["long_conversation"]
    log(
        f"  advisor: turns 1-10 p50 {lc['p50_first10_ms']} ms, last 10 p50 "
        f"{lc['p50_last10_ms']} ms; "
        f"RSS {lc['rss_before_mb']} -> {lc['rss_after_mb']} MB"
    )
    out["users"] = []
    for users in args.scale_users:
        deadline.check(f"scaling with {users} users", need=10)
        rss_before = rss_tree_mb(bot.rasa.pid)
        res = await unskewed(
            lambda users=users: bot.run_users(
                users, args.scale_turns, f"scale{users}", deadline
            ),
            args,
            deadline,
            f"advisor {users} users",
        )
        res["rss_before_mb"], res["rss_after_mb"] = rss_before, rss_tree_mb(
            bot.rasa.pid
        )
        out["users"].append(res)
        log(
            f"  advisor: {users:>2} users: p50 {res['p50_ms']} ms, "
            f"{res['msgs_per_s']} msgs/s"
        )
    return out
