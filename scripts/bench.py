"""Benchmark the advisor against the stock `rasa init` bot, over the REST channel.

Run: .venv/bin/python scripts/bench.py [--rounds N] [--train-advisor] [--time-cap MIN]

What one run does (servers on 127.0.0.1, free ports, started and stopped by PID):
1. Prepares the stock bot in bench/cache/stock (`rasa init --no-prompt`, which trains
   it); it is trained again only when its data or the Rasa version changed. Its
   training time is kept in bench/cache/stock.json. The advisor's training time comes
   from a timed `rasa train --force` into a temporary folder, kept in
   bench/cache/advisor_train.json and measured again when its config, domain or data
   changed, or with --train-advisor.
2. Starts each bot in turn (stock, advisor, stock, advisor, ... for --rounds), the
   advisor with its action server as scripts/run.sh does; measures the time from
   process start to the first REST reply; drives the bot through /webhooks/rest/webhook
   with (a) sequential turns of short realistic conversations (a new sender per
   conversation) and (b) concurrent users (asyncio + aiohttp, one session per user);
   records turn latency p50/p95/p99, messages/s for (b), and the RSS (VmRSS, children
   included) of the Rasa server and, separately, of the action server.
3. Prints a side-by-side table with the advisor/stock ratios and the targets and
   writes bench/results/<timestamp>.json (medians across rounds, every round's raw
   numbers, the CPU other processes used meanwhile).
4. For the advisor only: latency and RSS over one 100-turn conversation, and p50 and
   messages/s at 1, 4, 16, 32 concurrent users; a PNG plot next to the JSON.
Optionally (--profile SECONDS) samples the advisor's Rasa and action servers with
py-spy under sequential load (not measured) and stores where the time goes.

Everything is bounded by --time-cap (minutes) and per-request timeouts; the servers
are always stopped; a failed start prints the tail of the server's log.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))  # the project's packages, as for `rasa run`

from infra.cluster import action_server_command, rasa_server_command  # noqa: E402
from infra.endpoints import endpoints_for  # noqa: E402

CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"
STOCK_DIR = CACHE / "stock"
STOCK_META = CACHE / "stock.json"
ADVISOR_TRAIN_META = CACHE / "advisor_train.json"
WEBHOOK = "/webhooks/rest/webhook"
BUSY_CORES = 0.25  # CPU used by other processes above which a measurement is flagged
RETRY_RESERVE_S = 240  # no re-measuring a busy phase when less time than this is left

# Ratio goals, advisor / stock: (metric key, comparison, bound, description)
TARGETS = [
    ("seq_p50_ms", "<=", 0.35, "p50 latency, sequential"),
    ("conc_msgs_per_s", ">=", 4.0, "msgs/s, concurrent users"),
    ("ready_s", "<=", 0.4, "ready time (Rasa server)"),
    ("rasa_rss_mb", "<=", 0.75, "Rasa server RSS after load"),
]

# ---------------------------------------------------------------------------
# conversations

# Advisor conversations, built from the README, the end-to-end tests and the held-out
# NLU data: greetings, job descriptions (clear and ambiguous, answered by text or by a
# button payload), "why?", "what about the other one?", "compare them", fact questions,
# facts the article lacks, chit-chat.
ADVISOR_CONVERSATIONS: list[list[str]] = [
    [
        "hello",
        "I'm a machine learning engineer building recommendation models",
        "why?",
        "what about the other one?",
        "compare them",
        "does CAIM need programming?",
        "thanks",
        "bye",
    ],
    [
        "hi there",
        "I run our company's AI programme and report its ROI to the board",
        "why?",
        "what does CAIM cover?",
        "how much does CAIM cost?",
        "thank you",
    ],
    [
        "I'm a compliance officer at a bank",
        "I set the AI governance policy",
        "why?",
        "compare them",
        "goodbye",
    ],
    [
        "hey",
        "I work in IT",
        "does CAIP need programming?",
        "I mostly build and deploy the models myself",
        "what tools does CAIP use?",
        "bye",
    ],
    [
        "good morning",
        "computer vision engineer at a car maker",
        "what are the prerequisites for CAIP",
        "when is the next CAIM exam?",
        "are you a bot?",
        "bye",
    ],
    [
        "I'm a nurse",
        "/describe_job_builder",
        "why?",
        "where do these facts come from?",
        "thanks",
    ],
    [
        "hello",
        "head of digital transformation, I decide which AI use cases we fund",
        "compare them",
        "what about the other one?",
        "who is CAIP for?",
        "bye",
    ],
    [
        "what is the difference between CAIP and CAIM?",
        "I'm a data scientist",
        "why?",
        "what will I be able to do after CAIP?",
        "ok thanks, bye",
    ],
    [
        "hi",
        "I'm the chief technology officer",
        "/describe_job_leader",
        "why?",
        "how do I choose?",
        "thank you",
    ],
    [
        "I'm a risk manager",
        "does CAIM need programming?",
        "I mostly oversee governance",
        "what about the other one?",
        "compare them",
        "bye",
    ],
]

# One long advisor conversation (same sender) for the growth measurement: a job, then
# follow-ups and fact questions, with a new job description now and then.
ADVISOR_LONG_CYCLE = [
    "why?",
    "compare them",
    "what about the other one?",
    "does CAIM need programming?",
    "what does CAIP cover?",
    "who is CAIM for?",
    "how much does CAIP cost?",
    "thanks",
    "I'm a data scientist",
    "what will I be able to do after CAIM?",
]


def stock_conversations(
    project: Path, seed: int = 7, count: int = 40
) -> list[list[str]]:
    """Conversations for the stock bot, following its own stories and rules, with
    user texts drawn from its own NLU data."""
    nlu = yaml.safe_load((project / "data" / "nlu.yml").read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {}
    for item in nlu.get("nlu", []):
        if "intent" in item:
            examples[item["intent"]] = [
                line[2:].strip()
                for line in item["examples"].splitlines()
                if line.strip().startswith("- ")
            ]
    shapes = [  # the init bot's stories (happy, sad 1, sad 2) plus its two rules
        ["greet", "mood_great", "goodbye"],
        ["greet", "mood_unhappy", "affirm", "goodbye"],
        ["greet", "mood_unhappy", "deny"],
        ["greet", "bot_challenge", "mood_great", "goodbye"],
        ["bot_challenge", "greet", "mood_unhappy", "affirm"],
    ]
    rng = random.Random(seed)
    return [
        [rng.choice(examples[intent]) for intent in shapes[i % len(shapes)]]
        for i in range(count)
    ]


# ---------------------------------------------------------------------------
# small helpers


class BenchTimeout(Exception):
    """The total time cap was reached."""


class ServerFailed(Exception):
    """A server did not start or died."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str, need: float = 0.0) -> None:
        if self.left() <= need:
            raise BenchTimeout(f"time cap reached before {what}")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def file_hash(paths: list[Path], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def project_state() -> dict[str, Any]:
    """The commit and the uncommitted changes the measured project had."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=20
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    files = [
        ROOT / "config.yml",
        ROOT / "domain.yml",
        ROOT / "endpoints.yml",
        ROOT / "credentials.yml",
    ]
    for folder in ("actions", "channels", "infra", "data"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in (".py", ".yml", ".yaml")
        ]
    return {
        "git_head": git("rev-parse", "--short", "HEAD"),
        "uncommitted": git("status", "--porcelain").splitlines(),
        "bot_files_sha256": file_hash([f for f in files if f.exists()]),
    }


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "n/a"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------------
# processes and memory


def descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid` (from /proc/<n>/stat parent ids)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _proc_mb(pid: int, file: str, field: str) -> float | None:
    """A kB figure from /proc/<pid>/<file>, in MiB; None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return 0.0


def vmrss_mb(pid: int) -> float | None:
    return _proc_mb(pid, "status", "VmRSS:")


def pss_mb(pid: int) -> float | None:
    """Proportional set size: pages shared between processes (forked Sanic workers)
    count once in total instead of once per process."""
    return _proc_mb(pid, "smaps_rollup", "Pss:")


def _tree_mb(pid: int, measure: Callable[[int], float | None]) -> float | None:
    own = measure(pid)
    if own is None:
        return None
    return round(own + sum(measure(child) or 0.0 for child in descendants(pid)), 1)


def pss_tree_mb(pid: int) -> float | None:
    """PSS of `pid` plus all its descendants, in MiB: the memory the server holds."""
    return _tree_mb(pid, pss_mb)


def rss_tree_mb(pid: int) -> float | None:
    """VmRSS of `pid` plus all its descendants, in MiB."""
    return _tree_mb(pid, vmrss_mb)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def system_busy_s() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores)."""
    fields = [
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def process_cpu_s(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / CLK_TCK


class CpuWatch:
    """How much CPU the rest of the machine used while we measured: system busy time
    minus the busy time of our own processes (this script and the bots' servers)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = [os.getpid()] + pids
        self.t0, self.sys0, self.own0 = time.monotonic(), system_busy_s(), self._own()

    def _own(self) -> float:
        pids = set(self.pids)
        for pid in self.pids[1:]:
            pids.update(descendants(pid))
        return sum(process_cpu_s(pid) for pid in pids)

    def result(self) -> dict[str, float]:
        wall = max(1e-6, time.monotonic() - self.t0)
        system, own = system_busy_s() - self.sys0, self._own() - self.own0
        return {
            "own_cores": round(own / wall, 2),
            "other_cores": round(max(0.0, system - own) / wall, 2),
        }


def other_load(seconds: float = 2.0) -> float:
    """Cores' worth of CPU used by processes other than this one, sampled now."""
    watch = CpuWatch([])
    time.sleep(seconds)
    return watch.result()["other_cores"]


async def wait_quiet(
    limit_s: float, deadline: Deadline, threshold: float = BUSY_CORES
) -> float:
    """Wait (up to limit_s) until other processes use less than `threshold` cores."""
    end = time.monotonic() + min(limit_s, max(0.0, deadline.left() - 60))
    while True:
        busy = await asyncio.to_thread(other_load, 2.0)
        if busy < threshold or time.monotonic() >= end:
            return busy
        log(f"  machine busy ({busy:.2f} cores used by other processes); waiting ...")
        await asyncio.sleep(3)


class Server:
    """One background server process in its own session, logged to a file."""

    running: list[Server] = []

    def __init__(
        self, name: str, cmd: list[str], cwd: Path, env: dict[str, str], log_path: Path
    ) -> None:
        self.name, self.cmd, self.log_path = name, cmd, log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        with open(log_path, "wb") as handle:
            self.proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        Server.running.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fail(self, why: str) -> ServerFailed:
        msg = (
            f"{self.name} {why} (exit code {self.proc.poll()}); last lines of "
            f"{self.log_path}:\n{tail(self.log_path)}"
        )
        print(msg, file=sys.stderr, flush=True)
        return ServerFailed(f"{self.name} {why}")

    def stop(self) -> None:
        """SIGTERM the process (and its process group, whose id is our child's PID),
        then SIGKILL after a grace period."""
        if self in Server.running:
            Server.running.remove(self)
        if self.proc.poll() is not None:
            return
        kids = descendants(self.pid)
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        for kid in kids:  # anything that left the group
            try:
                os.kill(kid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                print(
                    f"could not stop {server.name} (pid {server.pid}): {exc}",
                    file=sys.stderr,
                )


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ACTION_SERVER_URL", None)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1"
    )
    env.update(extra)
    return env


def run_timed(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    deadline: Deadline,
    what: str,
) -> tuple[float, float]:
    """Run a command to completion within the deadline; return its wall time and the
    CPU (in cores) that other processes used meanwhile."""
    deadline.check(what, need=5)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys0, self0 = system_busy_s(), process_cpu_s(os.getpid())
    server = Server(what, cmd, cwd, env, log_path)
    try:
        server.proc.wait(timeout=max(1.0, deadline.left()))
    except subprocess.TimeoutExpired:
        server.stop()
        raise BenchTimeout(f"time cap reached during {what}; log: {log_path}") from None
    finally:
        if server in Server.running:
            Server.running.remove(server)
    seconds = time.monotonic() - server.t0
    if server.proc.returncode != 0:
        raise server.fail("failed")
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime) + (
        process_cpu_s(os.getpid()) - self0
    )
    other = round(max(0.0, system_busy_s() - sys0 - own) / max(seconds, 1e-6), 2)
    if other > BUSY_CORES:
        log(f"  {what}: other processes used {other} cores meanwhile (time skewed)")
    return round(seconds, 1), other


# ---------------------------------------------------------------------------
# training


def stock_data_files(project: Path) -> list[Path]:
    files = [project / "config.yml", project / "domain.yml"]
    files += sorted((project / "data").rglob("*.yml"))
    return [f for f in files if f.exists()]


def stock_model(project: Path) -> Path | None:
    models = sorted(
        (project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime
    )
    return models[-1] if models else None


def prepare_stock(deadline: Deadline, logs: Path) -> dict[str, Any]:
    """Create and train the stock bot once; retrain only when its data changed."""
    rasa_version = version("rasa")
    meta = json.loads(STOCK_META.read_text()) if STOCK_META.exists() else {}
    CACHE.mkdir(parents=True, exist_ok=True)
    env = base_env(PYTHONPATH=str(STOCK_DIR))
    have_project = (STOCK_DIR / "config.yml").exists() and (STOCK_DIR / "data").is_dir()
    if have_project and meta.get("rasa_version") != rasa_version:
        have_project = False  # made by another Rasa: make it again
    if not have_project:
        if STOCK_DIR.exists():
            shutil.rmtree(STOCK_DIR)
        STOCK_DIR.mkdir(parents=True)
        log("stock bot: rasa init --no-prompt (scaffold + training) ...")
        seconds, other = run_timed(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            STOCK_DIR,
            env,
            logs / "stock-init.log",
            deadline,
            "stock rasa init",
        )
        meta = {
            "train_seconds": seconds,
            "method": "rasa init --no-prompt "
            "(scaffold + training, empty training cache)",
            "other_cores_during": other,
        }
    else:
        data_hash = file_hash(stock_data_files(STOCK_DIR), rasa_version)
        model = stock_model(STOCK_DIR)
        if model is not None and meta.get("data_hash") == data_hash:
            log(
                f"stock bot: cached model {model.name} "
                f"(trained in {meta.get('train_seconds')} s)"
            )
            meta["cached"] = True
            return meta
        log("stock bot: data changed or model missing; rasa train --force ...")
        for old in (STOCK_DIR / "models").glob("*.tar.gz"):
            old.unlink()
        seconds, other = run_timed(
            [str(BIN / "rasa"), "train", "--force"],
            STOCK_DIR,
            env,
            logs / "stock-train.log",
            deadline,
            "stock rasa train",
        )
        meta = {
            "train_seconds": seconds,
            "method": "rasa train --force",
            "other_cores_during": other,
        }
    model = stock_model(STOCK_DIR)
    if model is None:
        raise ServerFailed("the stock bot has no trained model after training")
    meta.update(
        rasa_version=rasa_version,
        data_hash=file_hash(stock_data_files(STOCK_DIR), rasa_version),
        model=str(model.relative_to(ROOT)),
        measured_at=dt.datetime.now().isoformat(timespec="seconds"),
        cpu=cpu_model(),
        cores=os.cpu_count(),
    )
    STOCK_META.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"stock bot trained in {meta['train_seconds']} s")
    meta["cached"] = False
    return meta


def advisor_data_hash() -> str:
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    files += sorted((ROOT / "data").rglob("*.yml"))
    return file_hash([f for f in files if f.exists()], version("rasa"))


def advisor_training(
    args: argparse.Namespace, deadline: Deadline, logs: Path
) -> dict[str, Any]:
    # Like the stock bot's: measured once, and again when config, domain or data
    # changed (or with --train-advisor).
    if not args.train_advisor and ADVISOR_TRAIN_META.exists():
        meta = json.loads(ADVISOR_TRAIN_META.read_text())
        if meta.get("data_hash") == advisor_data_hash():
            meta["source"] = f"last recorded ({ADVISOR_TRAIN_META.relative_to(ROOT)})"
            return meta
    out = Path(tempfile.mkdtemp(prefix="bench-advisor-train-"))
    try:
        log("advisor: rasa train --force into a temporary folder ...")
        env = base_env(PYTHONPATH=str(ROOT), RASA_CACHE_DIRECTORY=str(out / "cache"))
        seconds, other = run_timed(
            [
                str(BIN / "rasa"),
                "train",
                "--fixed-model-name",
                "advisor",
                "--out",
                str(out),
                "--force",
            ],
            ROOT,
            env,
            logs / "advisor-train.log",
            deadline,
            "advisor rasa train",
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    meta = {
        "train_seconds": seconds,
        "method": "rasa train --force (temporary --out)",
        "other_cores_during": other,
        "data_hash": advisor_data_hash(),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    ADVISOR_TRAIN_META.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"advisor trained in {seconds} s")
    meta["source"] = "measured in this run"
    return meta


# ---------------------------------------------------------------------------
# talking to a bot


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


async def wait_ready(
    server: Server, url: str, probe: str, deadline: Deadline, ready_timeout: float
) -> float:
    """Seconds from process start to the first REST POST answered with a reply."""
    limit = min(ready_timeout, deadline.left())
    async with aiohttp.ClientSession() as session:
        while True:
            if not server.alive():
                raise server.fail("exited before it was ready")
            if time.monotonic() - server.t0 > limit:
                error = server.fail(f"was not ready after {limit:.0f} s")
                server.stop()
                if deadline.left() <= 0:
                    raise BenchTimeout(f"time cap reached while starting {server.name}")
                raise error
            _, error = await post_turn(
                session, url, f"bench-ready-{uuid.uuid4().hex[:8]}", probe, timeout=30
            )
            if error is None:
                return round(time.monotonic() - server.t0, 2)
            await asyncio.sleep(0.2)


async def wait_health(
    server: Server, url: str, deadline: Deadline, ready_timeout: float
) -> float:
    limit = min(ready_timeout, deadline.left())
    async with aiohttp.ClientSession() as session:
        while True:
            if not server.alive():
                raise server.fail("exited before it was ready")
            if time.monotonic() - server.t0 > limit:
                error = server.fail(f"was not healthy after {limit:.0f} s")
                server.stop()
                raise error
            try:
                async with session.get(
                    url, timeout=aiohttp.ClientTimeout(total=5)
                ) as resp:
                    if resp.status == 200:
                        return round(time.monotonic() - server.t0, 2)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.2)


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


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
            action_server_command(port),
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
    bot.rasa = Server(
        "stock rasa server",
        rasa_server_command(model, port),
        STOCK_DIR,
        env,
        logs / f"{tag}-stock-rasa.log",
    )
    watch.pids.append(bot.rasa.pid)
    info["ready_s"] = await wait_ready(
        bot.rasa, bot.url, "hello", deadline, args.ready_timeout
    )
    info["ready_cpu"] = watch.result()
    return bot, info


# What scripts/run.sh passes to the Rasa server when `scripts/run.sh check` cannot say
# (older run.sh): environment, then arguments; --model and --port are replaced.
RUN_SH_FALLBACK = (
    {"SANIC_REQUEST_MAX_SIZE": "65536", "SANIC_WEBSOCKET_MAX_SIZE": "65536"},
    [
        "rasa",
        "run",
        "--model",
        "models/advisor.tar.gz",
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
        "--interface",
        "127.0.0.1",
        "--port",
        "5005",
        "--enable-api",
    ],
)
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


def run_sh_rasa_command(web_port: int = 8080) -> tuple[dict[str, str], list[str], str]:
    """The Rasa server's environment and argv as scripts/run.sh would start it, from
    `scripts/run.sh check` (so the bench follows run.sh); else RUN_SH_FALLBACK."""
    env = {k: v for k, v in os.environ.items() if k not in SHARED_STATE_ENV}
    env.update(ACTION_PORT="5055", RASA_PORT="5005", WEB_PORT=str(web_port))
    env.pop("RASA_INTERFACE", None)
    env.pop("RASA_ENABLE_API", None)
    try:
        out = subprocess.run(
            ["bash", str(ROOT / "scripts" / "run.sh"), "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        if out.returncode == 0 and line.startswith("ok: "):
            tokens = shlex.split(line[4:])
            extra: dict[str, str] = {}
            while tokens and re.match(r"^[A-Z_][A-Z0-9_]*=", tokens[0]):
                key, _, value = tokens.pop(0).partition("=")
                extra[key] = value
            if len(tokens) > 2 and tokens[0].endswith("rasa") and tokens[1] == "run":
                return extra, ["rasa"] + tokens[1:], "scripts/run.sh check"
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        pass
    env_, argv = RUN_SH_FALLBACK
    return dict(env_), list(argv), "built-in copy of scripts/run.sh (check unavailable)"


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
    """As scripts/run.sh: the action server first (until /health answers; without the
    SANIC_* size limits), then `rasa run` with the environment and arguments that
    `scripts/run.sh check` prints, on a free port, with the copied model. The tracker
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
    run_env, argv, source = run_sh_rasa_command()
    argv = replace_arg(argv, "--model", str(model))
    argv = replace_arg(argv, "--port", str(port))
    if args.endpoints != "endpoints.yml":
        argv = replace_arg(argv, "--endpoints", args.endpoints)
    else:
        argv = replace_arg(argv, "--endpoints", endpoints_for(action_url))
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
    bot.rasa = Server(
        "advisor rasa server",
        [str(BIN / "rasa")] + argv[1:],
        ROOT,
        env,
        logs / f"{tag}-advisor-rasa.log",
    )
    watch.pids.append(bot.rasa.pid)
    info["ready_s"] = await wait_ready(
        bot.rasa, bot.url, "hello", deadline, args.ready_timeout
    )
    info["ready_cpu"] = watch.result()
    info["total_ready_s"] = round(time.monotonic() - bot.actions.t0, 2)
    return bot, info


def busy_note(phase: dict[str, Any]) -> str:
    other = (phase.get("cpu") or {}).get("other_cores", 0)
    return (
        f" [other processes used {other} cores: skewed]" if other > BUSY_CORES else ""
    )


def skewed(phase: dict[str, Any], key: str = "cpu") -> bool:
    return (phase.get(key) or {}).get("other_cores", 0) > BUSY_CORES


async def unskewed(
    make: Callable[[], Any], args, deadline: Deadline, what: str
) -> dict[str, Any]:
    """Run a measurement; while other processes used more than BUSY_CORES of CPU
    meanwhile, wait for a quiet machine and run it again (up to --retry-busy times).
    The discarded attempts' CPU figures are kept in the result."""
    discarded = []
    while True:
        result = await make()
        if (
            not skewed(result)
            or len(discarded) >= args.retry_busy
            or deadline.left() < RETRY_RESERVE_S
        ):
            break
        discarded.append(result["cpu"])
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


# ---------------------------------------------------------------------------
# profiling (optional)


# (label, substrings of a frame); the first category any frame of a stack matches wins,
# so specific costs (schema validation, logging) come before the code that calls them.
PROFILE_CATEGORIES = [
    ("action response validation (jsonschema)", ("jsonschema/",)),
    ("logging", ("logging/__init__.py", "structlog/", "rasa/utils/log_utils")),
    ("response templating (nlg)", ("rasa/core/nlg/",)),
    (
        "spaCy",
        ("spacy/", "spacy_utils.py", "spacy_tokenizer.py", "spacy_entity_extractor.py"),
    ),
    (
        "DIET / TensorFlow",
        ("diet_classifier.py", "tensorflow/", "keras/", "rasa/utils/tensorflow/"),
    ),
    ("CountVectorsFeaturizer", ("count_vectors_featurizer.py", "sklearn/")),
    ("LexicalSyntacticFeaturizer", ("lexical_syntactic_featurizer.py",)),
    ("other NLU components", ("rasa/nlu/",)),
    ("tracker store (load/save)", ("tracker_store.py",)),
    (
        "action server call (HTTP client, payload)",
        ("rasa/utils/endpoints.py", "aiohttp/"),
    ),
    (
        "policies (rules, memoization, featurizing)",
        ("rasa/core/policies/", "rasa/core/featurizers/"),
    ),
    ("tracker / events bookkeeping", ("rasa/shared/core/",)),
    ("graph runner (dask)", ("dask/", "rasa/engine/")),
    (
        "other Rasa core (processor, agent, actions)",
        (
            "rasa/core/processor.py",
            "rasa/core/agent.py",
            "rasa/core/actions/",
            "rasa/core/lock",
        ),
    ),
    ("HTTP server (sanic), JSON", ("sanic/", "json/", "channels/")),
]


def categorize(stack: str) -> str:
    """Assign one sampled stack (py-spy raw format: frames outermost first, joined by
    ';') to a cost category; a stack that ends in the server's event loop is idle."""
    frames = stack.split(";")
    if frames and (
        frames[-1].startswith("serve (sanic/server/runners.py")
        or "selectors.py" in frames[-1]
    ):
        return "idle (waiting, e.g. for the action server)"
    for label, needles in PROFILE_CATEGORIES:
        if any(n in stack for n in needles):
            return label
    return "other"


def summarize_pyspy(raw: Path) -> dict[str, Any]:
    """Share of samples per cost category and the top 'self' functions, from py-spy's
    raw (collapsed) output; idle threads are counted separately."""
    cats: collections.Counter = collections.Counter()
    selfs: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        cats[categorize(stack)] += n
        selfs[stack.split(";")[-1]] += n
    return {
        "samples": total,
        "categories_pct": {k: round(100 * v / total, 1) for k, v in cats.most_common()}
        if total
        else {},
        "top_self": [[k, round(100 * v / total, 1)] for k, v in selfs.most_common(25)]
        if total
        else [],
    }


async def profile(
    bot: Bot, seconds: float, deadline: Deadline, stamp: str
) -> dict[str, Any]:
    pyspy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not pyspy:
        return {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
    deadline.check("profiling", need=seconds + 30)
    out: dict[str, Any] = {"seconds": seconds}
    procs = {}
    for name, server in (("rasa", bot.rasa), ("actions", bot.actions)):
        if server is None:
            continue
        path = RESULTS / f"{stamp}-pyspy-{name}.txt"
        procs[name] = (
            path,
            subprocess.Popen(
                [
                    pyspy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(path),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
        )
    await asyncio.sleep(1.0)
    stop_at = time.monotonic() + seconds
    turns = 0

    async def drive() -> None:
        nonlocal turns
        async with aiohttp.ClientSession() as session:
            i = 0
            while time.monotonic() < stop_at:
                conv = bot.conversations[i % len(bot.conversations)]
                sender = f"bench-prof-{i}-{uuid.uuid4().hex[:6]}"
                for text in conv:
                    if time.monotonic() >= stop_at:
                        break
                    await post_turn(session, bot.url, sender, text, bot.timeout)
                    turns += 1
                i += 1

    await drive()
    for name, (path, proc) in procs.items():
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0 or not path.exists():
            out[name] = {"error": (err or b"").decode(errors="replace")[-500:]}
        else:
            out[name] = summarize_pyspy(path)
            out[name]["raw"] = str(path.relative_to(ROOT))
    out["turns"] = turns
    return out


# ---------------------------------------------------------------------------
# report


def collect(rounds: list[dict[str, Any]], bot: str) -> dict[str, float | None]:
    rows = [r[bot] for r in rounds if bot in r]

    def med(get: Callable[[dict], Any]) -> float | None:
        vals = []
        for row in rows:
            try:
                vals.append(get(row))
            except (KeyError, TypeError):
                pass
        value = median(vals)
        return None if value is None else round(value, 2)

    return {
        "ready_s": med(lambda r: r["ready_s"]),
        "actions_ready_s": med(lambda r: r["actions_ready_s"]),
        "total_ready_s": med(lambda r: r.get("total_ready_s", r["ready_s"])),
        "seq_p50_ms": med(lambda r: r["sequential"]["p50_ms"]),
        "seq_p95_ms": med(lambda r: r["sequential"]["p95_ms"]),
        "seq_p99_ms": med(lambda r: r["sequential"]["p99_ms"]),
        "conc_p50_ms": med(lambda r: r["concurrent"]["p50_ms"]),
        "conc_p95_ms": med(lambda r: r["concurrent"]["p95_ms"]),
        "conc_p99_ms": med(lambda r: r["concurrent"]["p99_ms"]),
        "conc_msgs_per_s": med(lambda r: r["concurrent"]["msgs_per_s"]),
        "rss_ready_mb": med(lambda r: r["rss_ready_mb"]),
        "rasa_rss_mb": med(lambda r: r["rasa_rss_mb"]),
        "rasa_pss_mb": med(lambda r: r.get("rasa_pss_mb")),
        "rasa_processes": med(lambda r: r.get("rasa_processes")),
        "action_rss_mb": med(lambda r: r["action_rss_mb"]),
        "errors": sum(
            sum(r[k]["errors"].values())
            for r in rows
            for k in ("sequential", "concurrent")
            if k in r
        ),
        "other_cores_max": max(
            [
                r[k]["cpu"]["other_cores"]
                for r in rows
                for k in ("sequential", "concurrent")
                if k in r and "cpu" in r[k]
            ]
            + [r["ready_cpu"]["other_cores"] for r in rows if "ready_cpu" in r],
            default=None,
        ),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def report(result: dict[str, Any], args) -> str:
    stock, adv = result["summary"].get("stock", {}), result["summary"].get(
        "advisor", {}
    )
    ratios = result["ratios"]
    lines = []
    head = f"{'metric':<38}{'stock':>10}{'advisor':>10}{'adv/stock':>11}  target"
    lines += [head, "-" * len(head)]
    targets = {key: (op, bound) for key, op, bound, _ in TARGETS}
    rows = [
        ("training time (s)", "train_s"),
        ("ready time, Rasa server (s)", "ready_s"),
        ("ready time, action server (s)", "actions_ready_s"),
        ("ready time, all servers in sequence (s)", "total_ready_s"),
        ("(a) sequential p50 (ms)", "seq_p50_ms"),
        ("(a) sequential p95 (ms)", "seq_p95_ms"),
        ("(a) sequential p99 (ms)", "seq_p99_ms"),
        (f"(b) {args.users} users p50 (ms)", "conc_p50_ms"),
        (f"(b) {args.users} users p95 (ms)", "conc_p95_ms"),
        (f"(b) {args.users} users p99 (ms)", "conc_p99_ms"),
        (f"(b) {args.users} users msgs/s", "conc_msgs_per_s"),
        ("Rasa server RSS at ready (MB)", "rss_ready_mb"),
        ("Rasa server RSS after load (MB)", "rasa_rss_mb"),
        ("Rasa server PSS after load (MB)", "rasa_pss_mb"),
        ("Rasa server processes", "rasa_processes"),
        ("action server RSS after load (MB)", "action_rss_mb"),
        ("failed turns", "errors"),
    ]
    for label, key in rows:
        target = ""
        if key in targets:
            op, bound = targets[key]
            status = result["targets"][key]["status"]
            target = f"{op} {bound}x  {status}"
        lines.append(
            f"{label:<38}{fmt(stock.get(key)):>10}{fmt(adv.get(key)):>10}"
            f"{fmt(ratios.get(key), 2):>11}  {target}"
        )
    return "\n".join(lines)


def scaling_report(sc: dict[str, Any]) -> str:
    lines = []
    lc = sc.get("long_conversation")
    if lc:
        lines.append(
            f"advisor, one conversation of {lc['turns']} turns: p50 turns 1-10 "
            f"{lc['p50_first10_ms']} ms, turns {lc['turns'] - 9}-{lc['turns']} "
            f"{lc['p50_last10_ms']} ms (x{lc['growth_last_vs_first']}); RSS "
            f"{lc['rss_before_mb']} -> {lc['rss_after_mb']} MB; tracker events "
            f"{lc['tracker_events']}{busy_note(lc)}"
        )
    if sc.get("users"):
        lines.append(
            f"{'users':>6}{'p50 ms':>10}{'p95 ms':>10}{'msgs/s':>10}"
            f"{'RSS after MB':>14}{'errors':>8}{'other CPU':>11}"
        )
        for row in sc["users"]:
            lines.append(
                f"{row['users']:>6}{fmt(row['p50_ms']):>10}{fmt(row['p95_ms']):>10}"
                f"{fmt(row['msgs_per_s'], 2):>10}{fmt(row['rss_after_mb']):>14}"
                f"{sum(row['errors'].values()):>8}"
                f"{fmt((row.get('cpu') or {}).get('other_cores'), 2):>11}"
                + ("  skewed" if skewed(row) else "")
            )
    return "\n".join(lines)


def plot(sc: dict[str, Any], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # matplotlib missing or broken: no plot
        return f"no plot: {exc}"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    lc = sc.get("long_conversation")
    if lc:
        lat = lc["latencies_ms"]
        left.plot(range(1, len(lat) + 1), lat, ".", alpha=0.5, label="turn")
        window = [
            statistics.median(lat[max(0, i - 4) : i + 5]) for i in range(len(lat))
        ]
        left.plot(range(1, len(lat) + 1), window, "-", label="rolling median (9)")
        left.set_xlabel("turn in one conversation")
        left.set_ylabel("latency (ms)")
        left.set_title(f"advisor: RSS {lc['rss_before_mb']} -> {lc['rss_after_mb']} MB")
        left.legend()
    users = sc.get("users") or []
    if users:
        xs = [u["users"] for u in users]
        right.plot(xs, [u["p50_ms"] for u in users], "o-", color="tab:blue")
        right.set_xlabel("concurrent users")
        right.set_ylabel("p50 latency (ms)", color="tab:blue")
        right.set_xscale("log", base=2)
        twin = right.twinx()
        twin.plot(xs, [u["msgs_per_s"] for u in users], "s--", color="tab:red")
        twin.set_ylabel("messages/s", color="tab:red")
        twin.set_ylim(bottom=0)
        right.set_ylim(bottom=0)
        right.set_title("advisor: users")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


# ---------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
                    discarded = []
                    while True:
                        if name == "stock":
                            bot, info = await start_stock(
                                args, deadline, logs, tag, stock_convs
                            )
                        else:
                            bot, info = await start_advisor(
                                args, deadline, logs, tag, model, tmp
                            )
                        if (
                            not skewed(info, "ready_cpu")
                            or len(discarded) >= args.retry_busy
                            or deadline.left() < RETRY_RESERVE_S
                        ):
                            break
                        discarded.append(info["ready_cpu"])
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

    # summary, ratios, targets
    for name in ("stock", "advisor"):
        if any(name in r for r in result["rounds"]):
            result["summary"][name] = collect(result["rounds"], name)
    if args.stock_from and "stock" not in result["summary"]:
        prior = json.loads(Path(args.stock_from).read_text())
        result["summary"]["stock"] = prior["summary"]["stock"]
        result["stock_from"] = args.stock_from
    for name, meta in result.get("training", {}).items():
        result["summary"].setdefault(name, {})["train_s"] = meta.get("train_seconds")
    stock, adv = result["summary"].get("stock", {}), result["summary"].get(
        "advisor", {}
    )
    for key in set(stock) | set(adv):
        if key != "errors":
            result["ratios"][key] = ratio(adv.get(key), stock.get(key))
    for key, op, bound, desc in TARGETS:
        value = result["ratios"].get(key)
        ok = (
            None
            if value is None
            else (value <= bound if op == "<=" else value >= bound)
        )
        result["targets"][key] = {
            "description": desc,
            "ratio": value,
            "goal": f"{op} {bound}",
            "status": "n/a" if ok is None else ("met" if ok else "NOT met"),
        }
    result["total_seconds"] = round(time.monotonic() - deadline.start, 1)

    print()
    print(
        f"Benchmark {result['date']}  {result['machine']['cpu_model']}, "
        f"{result['machine']['cores']} cores; Rasa {result['versions']['rasa']}, "
        f"spaCy {result['versions']['spacy']}, TF {result['versions']['tensorflow']}; "
        f"rounds {len(result['rounds'])} (medians)"
    )
    print(report(result, args))
    for name, meta in result.get("training", {}).items():
        how = meta.get("source") or ("cached" if meta.get("cached") else "this run")
        print(
            f"training time, {name}: {meta.get('method', 'n/a')}, measured "
            f"{meta.get('measured_at', 'n/a')} ({how})"
        )
    for name in ("stock", "advisor"):
        rows = [
            r[name]["sequential"]["by_message"]
            for r in result["rounds"]
            if name in r and "sequential" in r[name]
        ]
        if rows:
            slow = list(rows[-1].items())
            print(
                f"{name}, (a) p50 by message, slowest and fastest: "
                + "; ".join(f"{t[:28]!r} {v['p50_ms']}" for t, v in slow[:3])
                + " ... "
                + "; ".join(f"{t[:20]!r} {v['p50_ms']}" for t, v in slow[-2:])
            )
    busy = {
        name: summ.get("other_cores_max")
        for name, summ in result["summary"].items()
        if summ.get("other_cores_max") is not None
    }
    if busy:
        flag = any(v > BUSY_CORES for v in busy.values())
        print(
            "CPU used by other processes during the measurements (max, cores): "
            + ", ".join(f"{k} {v}" for k, v in busy.items())
            + ("  <-- the machine was busy: these figures are skewed" if flag else "")
        )
    if result.get("scaling"):
        print()
        print(scaling_report(result["scaling"]))
        if not args.no_plot:
            png = RESULTS / f"{stamp}.png"
            problem = plot(result["scaling"], png)
            result["scaling"]["plot"] = problem or str(png.relative_to(ROOT))
    if result.get("profile"):
        print()
        for name in ("rasa", "actions"):
            prof = result["profile"].get(name) or {}
            if "categories_pct" in prof:
                print(
                    f"py-spy {name} ({prof['samples']} samples, % of samples): "
                    + ", ".join(f"{k} {v}" for k, v in prof["categories_pct"].items())
                )
            elif prof:
                print(f"py-spy {name}: {prof.get('error')}")
    print(f"\ntotal {result['total_seconds']} s; logs in {logs.relative_to(ROOT)}/")
    out_json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out_json.relative_to(ROOT)}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
