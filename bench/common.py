"""Paths, thresholds and small helpers shared by the benchmark's modules."""

from __future__ import annotations

import hashlib
import statistics
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"
STOCK_DIR = CACHE / "stock"
STOCK_META = CACHE / "stock.json"
ADVISOR_TRAIN_META = CACHE / "advisor_train.json"
WEBHOOK = "/webhooks/rest/webhook"
BUSY_CORES = 0.25  # CPU used by other processes above which a measurement is flagged
RETRY_RESERVE_S = 240  # no re-measuring a busy phase when less time than this is left


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


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "n/a"
