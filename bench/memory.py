"""Memory of a process tree from /proc: RSS and PSS, children included."""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path


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
