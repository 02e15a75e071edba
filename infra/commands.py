"""The command lines and environments of the advisor's servers, in one place.

`rasa run actions`, `rasa run`, `rasa shell` and the page with the chat widget
(scripts/serve_web.py), as infra/launch.py, infra/cluster.py, the tests
(tests/servers.py) and the benchmark start them; a free port; an HTTP readiness
probe. Where each server listens is a parameter: the checked settings
(infra/settings.py) decide it, 127.0.0.1 unless the user asks otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from infra.endpoints import endpoints_for

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RASA = (
    "scripts/rasa"  # Rasa's command line, quiet from the first import (infra/quiet.py)
)
PYTHON = ".venv/bin/python"
MODEL = "models/advisor.tar.gz"
LIMITS = ("SANIC_REQUEST_MAX_SIZE", "SANIC_WEBSOCKET_MAX_SIZE")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when `url` (on this machine) answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310
            return reply.status == 200
    except Exception:
        return False


def base_env(environ: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment every server of the project gets."""
    env = dict(os.environ if environ is None else environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT)
    )
    env.update(extra)
    return env


def _rasa(root: Path) -> list[str]:
    """Rasa's command line: scripts/rasa in a checkout, else (the Docker image, which
    holds no scripts/) the same through the `python` on PATH."""
    script = root / RASA
    if script.exists():
        return [str(script)]
    return [shutil.which("python") or sys.executable, "-m", "infra.quiet"]


def action_server_command(port: int, root: Path = ROOT) -> list[str]:
    """`rasa run actions` on `port` (where it listens: `action_server_env`)."""
    return [*_rasa(root), "run", "actions", "--actions", "actions"] + [
        "--port",
        str(port),
    ]


def action_server_env(
    environ: Mapping[str, str] | None = None, host: str = "127.0.0.1"
) -> dict[str, str]:
    """Listening on `host` (127.0.0.1 by default); no body cap (it receives whole
    conversations)."""
    env = base_env(environ, SANIC_HOST=host)
    for name in LIMITS:
        env.pop(name, None)
    return env


def rasa_server_command(
    model: Path | str,
    port: int,
    credentials: str = "credentials.yml",
    action_url: str | None = None,
    interface: str = "127.0.0.1",
    enable_api: bool = True,
    token: str | None = None,
    root: Path = ROOT,
) -> list[str]:
    """`rasa run` with the project's channels and the endpoints for `action_url`."""
    command = [*_rasa(root), "run", "--model", str(model)]
    command += ["--endpoints", endpoints_for(action_url)]
    command += ["--credentials", credentials, "--interface", interface]
    command += ["--port", str(port)]
    if enable_api:
        command.append("--enable-api")
    if token:
        command += ["--auth-token", token]
    return command


def shell_command(
    model: Path | str, port: int, action_url: str | None = None, root: Path = ROOT
) -> list[str]:
    """`rasa shell`; the REST channel it serves for itself stays on this machine."""
    return [*_rasa(root), "shell", "--model", str(model)] + [
        "--endpoints",
        endpoints_for(action_url),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def web_command(
    port: int, rasa_url: str, root: Path = ROOT, host: str = "127.0.0.1"
) -> list[str]:
    """The page with the chat widget (scripts/serve_web.py), on `host`."""
    return [str(root / PYTHON), "scripts/serve_web.py", "--host", host] + [
        "--port",
        str(port),
        "--rasa-url",
        rasa_url,
    ]
