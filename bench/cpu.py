"""CPU time from /proc: how busy the rest of the machine was while we measured."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bench.common import BUSY_CORES, Deadline, log
from bench.memory import descendants

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
