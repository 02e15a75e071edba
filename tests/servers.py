"""Start and stop the real action, Rasa and web page servers for end-to-end tests.

Servers listen on 127.0.0.1 on free ports, log to tests/artifacts/, and are
stopped by PID when the test ends. Command lines, readiness and stopping come
from the project's one launcher (infra/launch.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from infra import launch
from infra.launch import ROOT, free_port

BIN = launch.BIN
MODEL = ROOT / "models" / "advisor.tar.gz"
ARTIFACTS = ROOT / "tests" / "artifacts"
READY_TIMEOUT = 240
# Largest request body (413 beyond) and WebSocket message the Rasa server accepts, as
# the launcher sets them by default (RASA_MAX_BODY_BYTES). The action server has none.
MAX_BODY_BYTES = launch.Settings().max_body
__all__ = ["free_port"]


def _env(**extra: str) -> dict[str, str]:
    return launch.base_env(**extra)


@contextmanager
def _running(
    name: str, cmd: list[str], env: dict[str, str], url: str, timeout: float
) -> Iterator[launch.Process]:
    log = ARTIFACTS / f"{name}.log"
    log.unlink(missing_ok=True)
    process = launch.Process(name, log, cmd=cmd, environment=env, ready_url=url)
    process.start(wait=False)
    try:
        process.wait_ready(timeout)
        yield process
    finally:
        process.stop(timeout=20)


@contextmanager
def action_server(port: int | None = None) -> Iterator[str]:
    """Run `rasa run actions`; yield its webhook URL."""
    port = port or free_port()
    with _running(
        f"actions-{port}",
        launch.action_server_command(port),
        launch.action_server_env(),
        f"http://127.0.0.1:{port}/health",
        READY_TIMEOUT,
    ):
        yield f"http://127.0.0.1:{port}/webhook"


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
    cmd = launch.rasa_server_command(MODEL, port, credentials, action_url)
    if cors:  # the socket.io channel answers CORS for these origins and refuses others
        env.setdefault("WEB_ORIGINS", ",".join(cors))
    for limit in launch.LIMITS:  # as the launcher sets them
        env.setdefault(limit, str(MAX_BODY_BYTES))
    # each test server keeps its conversations in its own SQLite file, not var/data
    env.setdefault("TRACKER_DB_PATH", str(ARTIFACTS / f"tracker-{port}.db"))
    with _running(
        f"rasa-{port}",
        cmd,
        _env(**env),
        f"http://127.0.0.1:{port}/status",
        READY_TIMEOUT,
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def web_server(rasa_url: str, port: int | None = None) -> Iterator[str]:
    """Run scripts/serve_web.py (the chat widget's page); yield the page's base URL."""
    port = port or free_port()
    with _running(
        f"web-{port}",
        launch.web_command(port, rasa_url),
        _env(),
        f"http://127.0.0.1:{port}/",
        30,
    ):
        yield f"http://127.0.0.1:{port}"
