"""`make bench-report`: the report's time on 100,000 generated conversations.

Generates N conversations (report/generate.py) into a fresh SQLite file and into a
throwaway PostgreSQL (infra/services.py), then times `python -m report report` on
each, as an operator runs it (the whole command, imports included). Prints a table
and writes results/report-bench.json. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.services import throwaway_postgres
from report.classify import ROOT
from report.generate import write
from report.store import open_store


def _time_report(url: str, out: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "report", "report", "--store", url, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"report failed on {url}: {done.stderr.strip()}")
    return took, done.stdout.strip()


def measure(url: str, conversations: int, out: Path) -> dict[str, object]:
    store = open_store(url, create=True)
    started = time.perf_counter()
    events = write(store, conversations)
    generated = time.perf_counter() - started
    store.close()
    took, said = _time_report(url, out)
    return {
        "conversations generated": conversations,
        "events": events,
        "generate s": round(generated, 1),
        "report s": round(took, 1),
        "report said": said,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report.bench")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "report-bench")
    args = parser.parse_args(argv)
    figures: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="report-bench-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        figures["sqlite"] = measure(url, args.conversations, args.out / "sqlite")
    with throwaway_postgres(args.out / "postgres.log") as postgres:
        figures["postgresql"] = measure(
            postgres.url, args.conversations, args.out / "postgresql"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("| store | conversations | events | report (s) |\n|---|---|---|---|")
    for name in ("sqlite", "postgresql"):
        row = figures[name]
        assert isinstance(row, dict)
        cells = [name, row["conversations generated"], row["events"], row["report s"]]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    print(f"figures in {args.out / 'figures.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
