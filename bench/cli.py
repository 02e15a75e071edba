"""`python -m bench`: arguments, then one run (rounds of both bots), then the report."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench
from bench.bots import start_advisor, start_stock
from bench.common import (
    BUSY_CORES,
    RESULTS,
    ROOT,
    STOCK_DIR,
    BenchTimeout,
    Deadline,
    ServerFailed,
    log,
    sha256,
    version,
)
from bench.conversations import stock_conversations
from bench.cpu import wait_quiet
from bench.machine import cpu_model, mem_total_mb, project_state
from bench.measure import measure, measure_again, scaling
from bench.processes import Server
from bench.profiling import profile
from bench.report import print_run, summarize_run
from bench.training import advisor_training, prepare_stock, stock_model


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=bench.__doc__.split("\n")[0]
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="stock/advisor pairs, alternated; medians are reported",
    )
    p.add_argument(
        "--train-advisor",
        action="store_true",
        help="time a `rasa train --force` of the advisor into a temporary folder",
    )
    p.add_argument(
        "--time-cap", type=float, default=20.0, help="minutes for everything"
    )
    p.add_argument(
        "--request-timeout", type=float, default=30.0, help="seconds per turn"
    )
    p.add_argument(
        "--ready-timeout",
        type=float,
        default=300.0,
        help="seconds for a server to start",
    )
    p.add_argument(
        "--warmup-turns", type=int, default=10, help="unmeasured turns first"
    )
    p.add_argument("--seq-turns", type=int, default=200)
    p.add_argument("--users", type=int, default=16)
    p.add_argument("--turns-per-user", type=int, default=20)
    p.add_argument("--long-turns", type=int, default=100)
    p.add_argument("--scale-users", default="1,4,16,32")
    p.add_argument(
        "--scale-turns", type=int, default=20, help="turns per user when scaling"
    )
    p.add_argument(
        "--no-scaling", action="store_true", help="skip the advisor growth part"
    )
    p.add_argument("--no-plot", action="store_true")
    p.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="SECONDS",
        help="py-spy the advisor's servers under sequential load (unmeasured)",
    )
    p.add_argument(
        "--bots",
        default="stock,advisor",
        help="which bots to run (advisor only: ratios from --stock-from)",
    )
    p.add_argument("--stock-from", help="a results JSON whose stock figures to reuse")
    p.add_argument(
        "--model", default="models/advisor.tar.gz", help="the advisor's model"
    )
    p.add_argument(
        "--endpoints", default="endpoints.yml", help="the advisor's endpoints"
    )
    p.add_argument(
        "--advisor-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the advisor's Rasa server (levers)",
    )
    p.add_argument(
        "--action-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the advisor's action server",
    )
    p.add_argument(
        "--stock-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the stock Rasa server",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=60,
        metavar="SECONDS",
        help="before each bot, wait up to this long for other processes to "
        f"use < {BUSY_CORES} cores (the machine's load is always recorded)",
    )
    p.add_argument(
        "--retry-busy",
        type=int,
        default=2,
        help="measure a phase (or a start) again, up to this many times, when other "
        f"processes used more than {BUSY_CORES} cores meanwhile",
    )
    p.add_argument("--label", default="", help="a note stored in the JSON")
    args = p.parse_args(argv)
    args.scale_users = [int(x) for x in args.scale_users.split(",") if x.strip()]
    args.bots = [b.strip() for b in args.bots.split(",") if b.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    deadline = Deadline(args.time_cap * 60)
    started = dt.datetime.now()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / f"{stamp}-logs"
    out_json = RESULTS / f"{stamp}.json"

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    # a hard stop a little after the cap, in case something blocks
    def on_alarm(_signum, _frame):
        raise BenchTimeout("hard time cap (SIGALRM)")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(args.time_cap * 60) + 90)

    result: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "label": args.label,
        "args": {k: v for k, v in vars(args).items()},
        "machine": {
            "cpu_model": cpu_model(),
            "cores": os.cpu_count(),
            "cores_usable": len(os.sched_getaffinity(0)),
            "mem_total_mb": mem_total_mb(),
            "kernel": platform.release(),
        },
        "versions": {
            "python": platform.python_version(),
            "rasa": version("rasa"),
            "rasa_sdk": version("rasa-sdk"),
            "spacy": version("spacy"),
            "tensorflow": version("tensorflow"),
            "aiohttp": version("aiohttp"),
            "sanic": version("sanic"),
        },
        "load": {
            "sequential_turns": args.seq_turns,
            "users": args.users,
            "turns_per_user": args.turns_per_user,
            "warmup_turns": args.warmup_turns,
            "think_time_s": 0,
            "client": "aiohttp on the same machine",
            "latency": "client-side, POST sent to full JSON reply read",
        },
        "project": project_state(),
        "rounds": [],
        "summary": {},
        "ratios": {},
        "targets": {},
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    exit_code = 0
    try:
        # the advisor's model is copied so that a retrain during the run cannot swap it
        model_src = (ROOT / args.model).resolve()
        if "advisor" in args.bots:
            if not model_src.exists():
                raise SystemExit(
                    f"no advisor model at {model_src}; run `make train` first"
                )
            model = tmp / "advisor.tar.gz"
            shutil.copy2(model_src, model)
            result["advisor_model"] = {
                "path": str(model_src.relative_to(ROOT))
                if model_src.is_relative_to(ROOT)
                else str(model_src),
                "sha256": sha256(model),
                "mtime": dt.datetime.fromtimestamp(model_src.stat().st_mtime).isoformat(
                    timespec="seconds"
                ),
                "size_mb": round(model.stat().st_size / 2**20, 1),
            }
        training: dict[str, Any] = {}
        if "stock" in args.bots:
            training["stock"] = prepare_stock(deadline, logs)
            sm = stock_model(STOCK_DIR)
            result["stock_model"] = {
                "path": str(sm.relative_to(ROOT)),
                "sha256": sha256(sm),
                "size_mb": round(sm.stat().st_size / 2**20, 1),
            }
        if "advisor" in args.bots:
            training["advisor"] = advisor_training(args, deadline, logs)
        result["training"] = training
        stock_convs = stock_conversations(STOCK_DIR) if "stock" in args.bots else []

        async def run_all() -> None:
            for rnd in range(1, args.rounds + 1):
                this: dict[str, Any] = {"round": rnd}
                result["rounds"].append(this)
                for name in args.bots:
                    deadline.check(f"round {rnd} {name}", need=30)
                    tag = f"r{rnd}"
                    busy = await wait_quiet(args.wait_quiet, deadline)
                    this[f"{name}_other_cores_before"] = busy
                    note = (
                        f" (other processes use {busy:.2f} cores: results skewed)"
                        if busy > BUSY_CORES
                        else ""
                    )
                    log(f"round {rnd}/{args.rounds}: starting {name} ...{note}")
                    discarded: list[dict[str, float]] = []
                    while True:
                        if name == "stock":
                            bot, info = await start_stock(
                                args, deadline, logs, tag, stock_convs
                            )
                        else:
                            bot, info = await start_advisor(
                                args, deadline, logs, tag, model, tmp
                            )
                        if not measure_again(
                            info, "ready_cpu", discarded, args, deadline
                        ):
                            break
                        log(
                            f"  {name}: other processes used "
                            f"{info['ready_cpu']['other_cores']} cores while it "
                            f"started; starting it again"
                        )
                        bot.stop()
                        await wait_quiet(max(args.wait_quiet, 60), deadline)
                    if discarded:
                        info["discarded_busy_starts"] = discarded
                    try:
                        log(f"  {name}: ready in {info['ready_s']} s")
                        this[name] = await measure(bot, info, args, deadline, tag)
                        last = rnd == args.rounds
                        if name == "advisor" and last and not args.no_scaling:
                            result["scaling"] = await scaling(bot, args, deadline)
                        if name == "advisor" and last and args.profile:
                            log(f"  advisor: py-spy for {args.profile:.0f} s ...")
                            result["profile"] = await profile(
                                bot, args.profile, deadline, stamp
                            )
                    finally:
                        bot.stop()

        asyncio.run(run_all())
    except (BenchTimeout, ServerFailed, KeyboardInterrupt) as exc:
        result["incomplete"] = f"{type(exc).__name__}: {exc}"
        print(f"\nbenchmark stopped early: {result['incomplete']}", file=sys.stderr)
        exit_code = 2
    except Exception as exc:  # report what was measured, then the error
        import traceback

        traceback.print_exc()
        result["incomplete"] = f"{type(exc).__name__}: {exc}"
        exit_code = 1
    finally:
        signal.alarm(0)
        Server.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    summarize_run(result, args)
    result["total_seconds"] = round(time.monotonic() - deadline.start, 1)
    print_run(result, args, stamp, logs)
    out_json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out_json.relative_to(ROOT)}")
    return exit_code
