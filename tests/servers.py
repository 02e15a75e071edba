"""Start and stop the real action, Rasa and web page servers for end-to-end tests.

Servers listen on 127.0.0.1 on free ports, log to tests/artifacts/, and are
stopped by PID when the test session ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from infra.cluster import action_server_command, rasa_server_command

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "advisor.tar.gz"
ARTIFACTS = ROOT / "tests" / "artifacts"
READY_TIMEOUT = 240
# Largest request body (413 beyond) and WebSocket message the Rasa server accepts, as
# scripts/run.sh sets them (RASA_MAX_BODY_BYTES). The action server keeps the default.
MAX_BODY_BYTES = 65536


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout}s; see {log}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start(
    cmd: list[str],
    name: str,
    ready_url: str,
    env: dict[str, str],
    timeout: float = READY_TIMEOUT,
) -> subprocess.Popen:
    """Start one server and wait until `ready_url` answers 200."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"{name}.log"
    with open(log, "wb") as handle:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    try:
        _wait(ready_url, proc, log, timeout)
    except Exception:
        _stop(proc)
        raise
    return proc


@contextmanager
def action_server(port: int | None = None) -> Iterator[str]:
    """Run `rasa run actions`; yield its webhook URL."""
    port = port or free_port()
    proc = start(
        action_server_command(port),
        f"actions-{port}",
        f"http://127.0.0.1:{port}/health",
        _env(SANIC_HOST="127.0.0.1"),
    )
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        _stop(proc)


@contextmanager
def rasa_server(
    action_url: str,
    port: int | None = None,
    credentials: str = "credentials.yml",
    cors: list[str] | None = None,
    **env: str,
) -> Iterator[str]:
    """Run `rasa run` with the channels in `credentials` and the HTTP API on localhost.

    `cors` lists the web origins (e.g. "http://127.0.0.1:8080") allowed to call the
    server from a browser, as the chat widget's page does; none by default.
    """
    port = port or free_port()
    cmd = rasa_server_command(MODEL, port, credentials, action_url)
    if cors:  # the socket.io channel answers CORS for these origins and refuses others
        env.setdefault("WEB_ORIGINS", ",".join(cors))
    for limit in (
        "SANIC_REQUEST_MAX_SIZE",
        "SANIC_WEBSOCKET_MAX_SIZE",
    ):  # as scripts/run.sh
        env.setdefault(limit, str(MAX_BODY_BYTES))
    # each test server keeps its conversations in its own SQLite file, not var/data
    env.setdefault("TRACKER_DB_PATH", str(ARTIFACTS / f"tracker-{port}.db"))
    proc = start(
        cmd,
        f"rasa-{port}",
        f"http://127.0.0.1:{port}/status",
        _env(**env),
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@contextmanager
def web_server(rasa_url: str, port: int | None = None) -> Iterator[str]:
    """Run scripts/serve_web.py (the chat widget's page); yield the page's base URL."""
    port = port or free_port()
    proc = start(
        [
            str(BIN / "python"),
            "scripts/serve_web.py",
            "--port",
            str(port),
            "--rasa-url",
            rasa_url,
        ],
        f"web-{port}",
        f"http://127.0.0.1:{port}/",
        _env(),
        timeout=30,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)
