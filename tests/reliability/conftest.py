"""Reliability tests: real PostgreSQL, Redis, nginx and Rasa servers on 127.0.0.1.

They run with `make test-reliability` (which sets RELIABILITY_TESTS=1), not with
the plain `pytest` of `make test`'s other steps: they need Debian's postgresql,
redis-server and nginx (`scripts/cluster.sh setup`) and take a few minutes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.launch import free_port
from infra.services import Redis

if os.environ.get("RELIABILITY_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "reliability"


def world_readable_tempdir(prefix: str) -> Path:
    """A fresh folder that the `postgres` user can reach (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """A real redis-server on a free loopback port, stopped by PID at the end."""
    workdir = world_readable_tempdir("advisor-redis-")
    server = Redis(
        "redis",
        ARTIFACTS / "redis-locks.log",
        workdir=workdir,
        port=free_port(),
        password="locktest",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# Figures measured by the tests, printed at the end of the run and kept in
# tests/artifacts/reliability/figures.json.
FIGURES: dict[str, str] = {}
FAULTS_SURVIVED: list[str] = []  # appended by each fault test once it passed


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not FIGURES:
        return
    import json

    if FAULTS_SURVIVED:
        FIGURES[
            "faults survived"
        ] = f"{len(FAULTS_SURVIVED)}: {', '.join(FAULTS_SURVIVED)}"
    terminalreporter.section("reliability figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "figures.json").write_text(json.dumps(FIGURES, indent=2) + "\n")
